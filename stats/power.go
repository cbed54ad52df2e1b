package stats

import "math"

// Default power settings.
const (
	DefaultAlpha = 0.05 // two-sided significance level
	DefaultPower = 0.80 // chance of detecting an effect of the planned size
)

// powerK returns (z_{1−α/2} + z_power)² · pc(1−pc), the numerator of the
// sample-size formula.
func powerK(pc, alpha, power float64) float64 {
	z := Quantile(1-alpha/2) + Quantile(power)
	return z * z * pc * (1 - pc)
}

func validPower(pc, alpha, power float64) bool {
	return pc > 0 && pc < 1 && alpha > 0 && alpha < 1 && power > 0 && power < 1
}

// MDE returns the minimum detectable effect: the smallest absolute
// difference in proportions that a two-sided test at level alpha detects
// with probability power, given nt treatment and nc control entrants and
// the control rate pc:
//
//	(z_{1−α/2} + z_power) · √( pc(1−pc) · (1/nt + 1/nc) )
//
// This is the normal approximation with the control rate's variance in
// both arms: statsmodels NormalIndPower with the standardized effect
// mde/√(pc(1−pc)), except that it leaves out the chance of a significant
// result in the wrong direction, which NormalIndPower counts; at 80% power
// the two differ by less than one part in ten thousand. Typical values are
// alpha = DefaultAlpha and power = DefaultPower.
//
// ok is false when an arm is empty, pc is not strictly between 0 and 1
// (use an expected rate before any hit is seen), or alpha or power are
// outside (0, 1).
func MDE(nt, nc int, pc, alpha, power float64) (mde float64, ok bool) {
	if nt <= 0 || nc <= 0 || !validPower(pc, alpha, power) {
		return 0, false
	}
	return math.Sqrt(powerK(pc, alpha, power) * (1/float64(nt) + 1/float64(nc))), true
}

// Need is how many more entrants a flow needs, in total and split by the
// holdout share (the expected split: Treat + Control = Total).
type Need struct {
	Total   int `json:"total"`
	Treat   int `json:"treat"`
	Control int `json:"control"`
}

// Needed returns how many more entrants a flow needs before MDE falls to
// effect (an absolute difference in proportions, such as 0.02 for two
// percentage points), given nt treatment and nc control entrants so far,
// the control rate pc and the holdout share (the control group's share of
// new entrants, such as 0.10). It is the smallest m ≥ 0 with
//
//	(z_{1−α/2} + z_power)² · pc(1−pc) · (1/(nt + (1−share)m) + 1/(nc + share·m)) ≤ effect²
//
// rounded up (and capped at math.MaxInt32). From no entrants this is the
// textbook total (z_{1−α/2} + z_power)² · pc(1−pc) / (effect² · share(1−share)).
// Zero means enough entrants are already in.
//
// ok is false when effect is not positive, share is outside (0, 1), a count
// is negative, pc is not strictly between 0 and 1, or alpha or power are
// outside (0, 1).
func Needed(nt, nc int, pc, share, effect, alpha, power float64) (need Need, ok bool) {
	if nt < 0 || nc < 0 || !(share > 0 && share < 1) || !(effect > 0) || !validPower(pc, alpha, power) {
		return Need{}, false
	}
	a, b := float64(nt), float64(nc)
	c := effect * effect / powerK(pc, alpha, power) // target for 1/nt' + 1/nc'
	u, v := 1-share, share
	// 1/(a+um) + 1/(b+vm) = c  ⇔  c·uv·m² + (c(av+bu) − 1)·m + (c·ab − a − b) = 0.
	qa := c * u * v
	qb := c*(a*v+b*u) - 1
	qc := c*a*b - a - b
	if a > 0 && b > 0 && 1/a+1/b <= c {
		return Need{}, true
	}
	// qa > 0 and qc ≤ 0: the larger root is the answer. Written so as not
	// to subtract nearly equal numbers.
	disc := math.Sqrt(qb*qb - 4*qa*qc)
	var m float64
	if qb <= 0 {
		m = (-qb + disc) / (2 * qa)
	} else {
		m = 2 * qc / (-qb - disc)
	}
	total := math.Max(0, math.Ceil(m-1e-9))
	if total > math.MaxInt32 {
		total = math.MaxInt32
	}
	control := math.Round(total * share)
	return Need{Total: int(total), Treat: int(total - control), Control: int(control)}, true
}
