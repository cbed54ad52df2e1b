package stats

// Opts are the settings of Compare. A zero field takes its default.
type Opts struct {
	// Conf is the confidence level of every interval. Default 0.95. The
	// power figures use the matching two-sided level, alpha = 1 − Conf.
	Conf float64 `json:"conf"`
	// Tuning is the tuning of the always-valid interval (see Seq). Default
	// DefaultTuning.
	Tuning float64 `json:"tuning"`
	// Share is the configured holdout share: the control group's share of
	// entrants, such as 0.10. Without it (0) there is no sample-ratio
	// check and no Needed.
	Share float64 `json:"share"`
	// SRM are the limits of the sample-ratio alert.
	SRM SRMLimits `json:"srm"`
	// Power is the power of MDE and Needed. Default DefaultPower.
	Power float64 `json:"power"`
	// Effect is the absolute difference in goal rate the flow should be
	// able to detect, such as 0.02; Needed says how many entrants that
	// takes. Without it (0) there is no Needed.
	Effect float64 `json:"effect"`
}

func (o Opts) withDefaults() Opts {
	if !validConf(o.Conf) {
		o.Conf = 0.95
	}
	if !(o.Tuning > 0) {
		o.Tuning = DefaultTuning
	}
	if !(o.Power > 0 && o.Power < 1) {
		o.Power = DefaultPower
	}
	o.SRM = o.SRM.withDefaults()
	return o
}

// ArmResult is one arm in a Result. Rate is nil for an empty arm.
type ArmResult struct {
	N    int      `json:"n"`
	Hits int      `json:"hits"`
	Rate *float64 `json:"rate"`
}

// Result is the comparison of a flow's treatment group with its holdout,
// ready to be serialized. A statistic that cannot be computed (an empty
// arm, no hits, no configured share) is nil, never NaN. Differences are
// treatment − control, so that fewer inbound contacts in the treatment
// group give a negative difference.
type Result struct {
	Conf    float64   `json:"conf"`
	Treat   ArmResult `json:"treat"`
	Control ArmResult `json:"control"`
	// Diff is the difference of goal rates with its Newcombe interval
	// (see Diff): valid when looked at once, at a sample size chosen in
	// advance.
	Diff *Interval `json:"diff"`
	// Rel is the relative difference of goal rates, rate_t/rate_c − 1,
	// with its log-ratio interval (see Rel); nil without a hit in each arm.
	Rel *Interval `json:"rel"`
	// Avoided is the number of entrants with an inbound contact avoided
	// per 1,000 entrants: −1000 × Diff, bounds swapped.
	Avoided *Interval `json:"avoided_per_1000"`
	// Seq is the always-valid interval for the difference of goal rates
	// (see SeqDiff), and Verdict where it lies relative to zero. This is
	// the verdict to show on a report that is looked at every day.
	Seq     *Interval `json:"seq"`
	Verdict Verdict   `json:"verdict"`
	// Count compares contacts per entrant, for a count goal.
	Count *CountResult `json:"count,omitempty"`
	// SRM is the sample-ratio check; nil without Opts.Share.
	SRM *SRM `json:"srm"`
	// MDE is the minimum detectable absolute difference in goal rate at
	// the current sample sizes and control rate (see MDE).
	MDE *float64 `json:"mde"`
	// Needed is how many more entrants it takes for MDE to reach
	// Opts.Effect (see Needed); nil without Opts.Effect and Opts.Share.
	Needed *Need `json:"needed,omitempty"`
}

// CountResult compares the mean number of contacts per entrant.
type CountResult struct {
	Treat   float64  `json:"treat_mean"`
	Control float64  `json:"control_mean"`
	Diff    Interval `json:"diff"`             // see MeanDiff
	Avoided Interval `json:"avoided_per_1000"` // contacts avoided per 1,000 entrants: −1000 × Diff
	Seq     Interval `json:"seq"`              // see SeqMeanDiff
	Verdict Verdict  `json:"verdict"`          // where Seq lies
}

// Compare compares a flow's treatment arm with its holdout (control) arm:
// goal rates (Hits/N) always, and mean counts per entrant (Sum/N) when the
// arms carry them (Count is nil when both arms have zero variance, as when
// Sum and SumSq are not kept).
func Compare(treat, control Arm, o Opts) Result {
	o = o.withDefaults()
	r := Result{
		Conf:    o.Conf,
		Treat:   armResult(treat),
		Control: armResult(control),
		Verdict: Undefined,
	}
	xt, nt, xc, nc := treat.Hits, treat.N, control.Hits, control.N
	if iv, ok := Diff(xt, nt, xc, nc, o.Conf); ok {
		r.Diff = &iv
		av := iv.Scale(-1000)
		r.Avoided = &av
	}
	if iv, ok := Rel(xt, nt, xc, nc, o.Conf); ok {
		r.Rel = &iv
	}
	if iv, ok := SeqDiff(xt, nt, xc, nc, o.Conf, o.Tuning); ok {
		r.Seq = &iv
		r.Verdict = iv.Verdict()
	}
	if d, ok := MeanDiff(treat, control, o.Conf); ok {
		s, _ := SeqMeanDiff(treat, control, o.Conf, o.Tuning)
		r.Count = &CountResult{
			Treat:   treat.Mean(),
			Control: control.Mean(),
			Diff:    d,
			Avoided: d.Scale(-1000),
			Seq:     s,
			Verdict: s.Verdict(),
		}
	}
	if s, ok := CheckSRM(nt, nc, o.Share, o.SRM); ok {
		r.SRM = &s
	}
	if r.Control.Rate != nil {
		pc := *r.Control.Rate
		if m, ok := MDE(nt, nc, pc, 1-o.Conf, o.Power); ok {
			r.MDE = &m
		}
		if o.Effect > 0 {
			if n, ok := Needed(nt, nc, pc, o.Share, o.Effect, 1-o.Conf, o.Power); ok {
				r.Needed = &n
			}
		}
	}
	return r
}

func armResult(a Arm) ArmResult {
	r := ArmResult{N: a.N, Hits: a.Hits}
	if validCount(a.Hits, a.N) {
		p := float64(a.Hits) / float64(a.N)
		r.Rate = &p
	}
	return r
}
