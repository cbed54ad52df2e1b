package stats

import "math"

// SRMLimits decide when a sample-ratio mismatch raises an alert. A zero
// field takes its default.
type SRMLimits struct {
	// P: alert only when the p-value is below it. Default 0.001.
	P float64 `json:"p"`
	// Abs: the smallest deviation of the observed control share from the
	// configured one, in absolute terms, that alerts. Default 0.01 (one
	// percentage point).
	Abs float64 `json:"abs"`
	// Rel: the same, relative to the configured share. Default 0.10 (a
	// tenth of the share).
	Rel float64 `json:"rel"`
}

// DefaultSRMLimits are the limits a zero SRMLimits stands for.
var DefaultSRMLimits = SRMLimits{P: 0.001, Abs: 0.01, Rel: 0.10}

func (l SRMLimits) withDefaults() SRMLimits {
	if !(l.P > 0) {
		l.P = DefaultSRMLimits.P
	}
	if !(l.Abs > 0) {
		l.Abs = DefaultSRMLimits.Abs
	}
	if !(l.Rel > 0) {
		l.Rel = DefaultSRMLimits.Rel
	}
	return l
}

// SRM is the result of a sample-ratio check: whether entrants were split
// between treatment and holdout in the configured proportion.
type SRM struct {
	Chi2     float64 `json:"chi2"`                   // chi-square statistic, 1 degree of freedom
	P        float64 `json:"p"`                      // its p-value
	Expected float64 `json:"expected_control_share"` // the configured holdout share
	Observed float64 `json:"observed_control_share"` // nc / (nt + nc)
	Alert    bool    `json:"alert"`
}

// CheckSRM tests whether nt treatment and nc control entrants fit the
// configured control (holdout) share, with a chi-square goodness-of-fit
// test of one degree of freedom (as scipy.stats.chisquare([nt, nc],
// [n(1−share), n·share])); the p-value is erfc(√(χ²/2)).
//
// With many entrants a split that is off by a negligible amount is
// already significant, so Alert needs two things: the p-value below lim.P,
// and a deviation of the observed control share from share of at least
// lim.Abs in absolute terms or at least lim.Rel relative to share,
// whichever bar is lower. With the defaults and a 10% holdout both bars
// are one percentage point: 10.5% of entrants in the holdout never
// alerts, 11% alerts once the sample makes it significant. With a 1%
// holdout the relative bar (0.1 point) is the one that counts, with a
// 50% holdout the absolute one.
//
// ok is false when share is outside (0, 1), a count is negative, or there
// are no entrants.
func CheckSRM(nt, nc int, share float64, lim SRMLimits) (srm SRM, ok bool) {
	if !(share > 0 && share < 1) || nt < 0 || nc < 0 || nt+nc == 0 {
		return SRM{}, false
	}
	lim = lim.withDefaults()
	n := float64(nt + nc)
	ec := n * share
	et := n - ec
	dc := float64(nc) - ec
	dt := float64(nt) - et
	chi2 := dc*dc/ec + dt*dt/et
	obs := float64(nc) / n
	dev := math.Abs(obs - share)
	// A hair of slack so that a deviation of exactly the bar, which floats
	// cannot always hold exactly, counts as reaching it.
	const eps = 1e-12
	p := math.Erfc(math.Sqrt(chi2 / 2))
	return SRM{
		Chi2:     chi2,
		P:        p,
		Expected: share,
		Observed: obs,
		Alert:    p < lim.P && (dev >= lim.Abs-eps || dev >= lim.Rel*share-eps),
	}, true
}
