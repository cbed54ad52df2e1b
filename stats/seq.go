package stats

import "math"

// DefaultTuning is the default tuning of the confidence sequence: the
// number of entrants (both arms together) around which it is narrowest.
// It is GrowthBook's default.
const DefaultTuning = 5000

// Seq returns the always-valid interval around an estimate est with
// standard error se after n entrants in both arms together, at confidence
// level conf (0.95 for 95%) with the given tuning (DefaultTuning if
// tuning ≤ 0).
//
// Unlike a fixed interval, which is right only when looked at once, at a
// sample size fixed in advance, this interval may be looked at after every
// entrant: the chance that it ever excludes the true effect, however often
// it is looked at, stays below 1 − conf. It is wider in exchange.
//
// It is the asymptotic confidence sequence of Waudby-Smith, Arnold, Wu,
// Howard, Ramdas, "Time-uniform central limit theory and asymptotic
// confidence sequences" (arXiv 2103.06476), eq. 9 with ρ from eq. 161, as
// GrowthBook's gbstats computes it for its sequential two-sided test:
//
//	ρ² = (−2 ln α + ln(1 − 2 ln α)) / tuning, α = 1 − conf
//	half-width = se·√n · √( 2(nρ² + 1)/(nρ)² · ln(√(nρ² + 1)/α) )
//
// where se·√n plays the part of the standard deviation of one observation.
// ok is false when n < 1, se is not positive and finite, or conf is
// outside (0, 1).
func Seq(est, se float64, n int, conf, tuning float64) (iv Interval, ok bool) {
	if n < 1 || !(se > 0) || math.IsInf(se, 0) || !validConf(conf) {
		return Interval{}, false
	}
	if !(tuning > 0) {
		tuning = DefaultTuning
	}
	alpha := 1 - conf
	la := -2 * math.Log(alpha)
	rho2 := (la + math.Log(la+1)) / tuning
	fn := float64(n)
	v := fn*rho2 + 1
	w := se * math.Sqrt(fn) * math.Sqrt(2*v/(fn*fn*rho2)*math.Log(math.Sqrt(v)/alpha))
	return Interval{Est: est, Lo: est - w, Hi: est + w}, true
}

// SeqDiff returns the always-valid interval (see Seq) for the difference
// of two proportions, treatment − control (xt/nt − xc/nc). The standard
// error is √(pt(1−pt)/nt + pc(1−pc)/nc) and n is nt + nc, as in
// GrowthBook. ok is false when an arm is empty, a count is out of range,
// both rates are 0 or 1 (no variance), or conf is outside (0, 1).
func SeqDiff(xt, nt, xc, nc int, conf, tuning float64) (iv Interval, ok bool) {
	if !validCount(xt, nt) || !validCount(xc, nc) {
		return Interval{}, false
	}
	pt := float64(xt) / float64(nt)
	pc := float64(xc) / float64(nc)
	se := math.Sqrt(pt*(1-pt)/float64(nt) + pc*(1-pc)/float64(nc))
	return Seq(pt-pc, se, nt+nc, conf, tuning)
}

// SeqMeanDiff returns the always-valid interval (see Seq) for the
// difference of the mean counts per entrant, treatment − control, with the
// standard error of MeanDiff and n = t.N + c.N. ok is false when an arm
// has fewer than two entrants, both arms have zero variance, or conf is
// outside (0, 1).
func SeqMeanDiff(t, c Arm, conf, tuning float64) (iv Interval, ok bool) {
	if t.N < 2 || c.N < 2 {
		return Interval{}, false
	}
	return Seq(t.Mean()-c.Mean(), meanSE(t, c), t.N+c.N, conf, tuning)
}
