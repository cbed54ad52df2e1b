package stats

import "math"

// Interval is an estimate with the bounds of its interval, Lo ≤ Est ≤ Hi.
type Interval struct {
	Est float64 `json:"est"`
	Lo  float64 `json:"lo"`
	Hi  float64 `json:"hi"`
}

// Verdict says where an interval lies relative to zero. For a difference
// treatment − control in inbound contacts, BelowZero means the treatment
// group made fewer contacts than the holdout.
type Verdict string

// The verdicts.
const (
	BelowZero    Verdict = "below_zero"    // the whole interval is below zero
	AboveZero    Verdict = "above_zero"    // the whole interval is above zero
	ContainsZero Verdict = "contains_zero" // zero is inside the interval (or on a bound)
	Undefined    Verdict = "undefined"     // there is no interval: too little data
)

// Verdict says whether the interval lies entirely below zero, entirely
// above zero, or contains it.
func (iv Interval) Verdict() Verdict {
	switch {
	case iv.Hi < 0:
		return BelowZero
	case iv.Lo > 0:
		return AboveZero
	default:
		return ContainsZero
	}
}

// Scale returns the interval multiplied by k. A negative k swaps the
// bounds, so that Lo ≤ Hi still holds.
func (iv Interval) Scale(k float64) Interval {
	if k < 0 {
		return Interval{Est: iv.Est * k, Lo: iv.Hi * k, Hi: iv.Lo * k}
	}
	return Interval{Est: iv.Est * k, Lo: iv.Lo * k, Hi: iv.Hi * k}
}

// Quantile returns the quantile of the standard normal distribution at p,
// the z with P(Z ≤ z) = p: √2·erfinv(2p − 1). Quantile(0.975) ≈ 1.959964.
// It is −Inf at 0 and +Inf at 1.
func Quantile(p float64) float64 {
	return math.Sqrt2 * math.Erfinv(2*p-1)
}

// zconf returns the two-sided critical value for a confidence level:
// Quantile(1 − (1−conf)/2).
func zconf(conf float64) float64 {
	return Quantile((1 + conf) / 2)
}

func validConf(conf float64) bool { return conf > 0 && conf < 1 }

func validCount(x, n int) bool { return n > 0 && x >= 0 && x <= n }

// Wilson returns the Wilson score interval for the proportion x/n at
// confidence level conf (0.95 for 95%), without continuity correction. It
// matches statsmodels proportion_confint(x, n, alpha=1-conf,
// method="wilson"). The bounds always lie in [0, 1]; for n ≤ 0, x outside
// [0, n], or conf outside (0, 1), Wilson returns the whole range, 0 and 1.
func Wilson(x, n int, conf float64) (lo, hi float64) {
	if !validCount(x, n) || !validConf(conf) {
		return 0, 1
	}
	z := zconf(conf)
	z2 := z * z
	fn := float64(n)
	p := float64(x) / fn
	den := 1 + z2/fn
	center := (p + z2/(2*fn)) / den
	half := z * math.Sqrt(p*(1-p)/fn+z2/(4*fn*fn)) / den
	return math.Max(0, center-half), math.Min(1, center+half)
}

// Diff returns the difference of two independent proportions,
// treatment − control (xt/nt − xc/nc), with the Newcombe hybrid score
// interval at confidence level conf (method 10 of Newcombe, Statistics in
// Medicine 17, 1998: built from the two Wilson intervals). It matches
// statsmodels confint_proportions_2indep(xt, nt, xc, nc, method="newcomb",
// compare="diff", alpha=1-conf). The interval is good for small counts and
// for counts of zero. ok is false when an arm is empty, a count is out of
// range, or conf is outside (0, 1).
func Diff(xt, nt, xc, nc int, conf float64) (iv Interval, ok bool) {
	if !validCount(xt, nt) || !validCount(xc, nc) || !validConf(conf) {
		return Interval{}, false
	}
	pt := float64(xt) / float64(nt)
	pc := float64(xc) / float64(nc)
	lt, ht := Wilson(xt, nt, conf)
	lc, hc := Wilson(xc, nc, conf)
	d := pt - pc
	return Interval{
		Est: d,
		Lo:  d - math.Sqrt((pt-lt)*(pt-lt)+(hc-pc)*(hc-pc)),
		Hi:  d + math.Sqrt((pc-lc)*(pc-lc)+(ht-pt)*(ht-pt)),
	}, true
}

// Rel returns the relative difference of two independent proportions,
// (xt/nt) / (xc/nc) − 1, with the interval from the log of the ratio
// (Katz et al., Biometrics 34, 1978) at confidence level conf. It matches
// statsmodels confint_proportions_2indep(xt, nt, xc, nc, method="log",
// compare="ratio", alpha=1-conf) minus 1. The log interval needs a hit in
// each arm: ok is false when xt or xc is zero, when an arm is empty, a
// count is out of range, or conf is outside (0, 1).
func Rel(xt, nt, xc, nc int, conf float64) (iv Interval, ok bool) {
	if !validCount(xt, nt) || !validCount(xc, nc) || !validConf(conf) || xt == 0 || xc == 0 {
		return Interval{}, false
	}
	r := (float64(xt) / float64(nt)) / (float64(xc) / float64(nc))
	se := math.Sqrt(1/float64(xt) - 1/float64(nt) + 1/float64(xc) - 1/float64(nc))
	w := zconf(conf) * se
	return Interval{Est: r - 1, Lo: r*math.Exp(-w) - 1, Hi: r*math.Exp(w) - 1}, true
}

// Arm holds the running counters of one arm, enough for every statistic
// here: entrants N, entrants who reached the goal Hits (made at least one
// inbound contact), and for a count goal the sum of each entrant's count
// (Sum, the number of contacts) and the sum of its squares (SumSq). An
// entrant with no contact adds 1 to N and nothing else.
type Arm struct {
	N     int     `json:"n"`
	Hits  int     `json:"hits"`
	Sum   float64 `json:"sum"`
	SumSq float64 `json:"sum_sq"`
}

// Mean returns Sum/N, or 0 for an empty arm.
func (a Arm) Mean() float64 {
	if a.N <= 0 {
		return 0
	}
	return a.Sum / float64(a.N)
}

// Var returns the sample variance of the counts, with N − 1 in the
// denominator, or 0 for fewer than two entrants.
func (a Arm) Var() float64 {
	if a.N < 2 {
		return 0
	}
	n := float64(a.N)
	return math.Max(0, (a.SumSq-a.Sum*a.Sum/n)/(n-1))
}

// meanSE returns the standard error of the difference of the arms' means
// with unequal variances (Welch).
func meanSE(t, c Arm) float64 {
	return math.Sqrt(t.Var()/float64(t.N) + c.Var()/float64(c.N))
}

// MeanDiff returns the difference of the mean counts per entrant,
// treatment − control, with the Welch (unequal variances) interval at
// confidence level conf, using normal quantiles rather than Student's t.
// It matches statsmodels CompareMeans(DescrStatsW(t), DescrStatsW(c))
// .zconfint_diff(alpha=1-conf, usevar="unequal"). With the sample sizes of
// a holdout the t and normal quantiles differ in the fourth digit at most.
// ok is false when an arm has fewer than two entrants, when both arms have
// zero variance (the interval would have no width: for instance when
// nobody made a contact), or when conf is outside (0, 1).
func MeanDiff(t, c Arm, conf float64) (iv Interval, ok bool) {
	if t.N < 2 || c.N < 2 || !validConf(conf) {
		return Interval{}, false
	}
	se := meanSE(t, c)
	if !(se > 0) || math.IsInf(se, 0) {
		return Interval{}, false
	}
	d := t.Mean() - c.Mean()
	w := zconf(conf) * se
	return Interval{Est: d, Lo: d - w, Hi: d + w}, true
}
