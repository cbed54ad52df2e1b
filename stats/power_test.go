package stats

import "testing"

// The reference values below come from this script (scipy 1.10.1,
// statsmodels 0.13.5, Debian packages), run once and written here as
// literals. mde and needed are the formulas computed by hand with
// scipy.stats.norm quantiles; needed solves the variance equation
// numerically (brentq) rather than with Needed's closed form. The
// NormalIndPower figures beside them also count the other tail; they are
// checked to one part in ten thousand.
//
//	from math import sqrt, ceil
//	from scipy.stats import norm
//	from scipy.optimize import brentq
//	from statsmodels.stats.power import NormalIndPower
//	def mde(nt, nc, pc, alpha=0.05, power=0.8):
//	    return (norm.ppf(1 - alpha/2) + norm.ppf(power)) * sqrt(pc*(1 - pc)*(1/nt + 1/nc))
//	def needed(nt, nc, pc, share, effect, alpha=0.05, power=0.8):
//	    k = (norm.ppf(1 - alpha/2) + norm.ppf(power))**2 * pc*(1 - pc)
//	    f = lambda m: k*(1/(nt + (1 - share)*m) + 1/(nc + share*m)) - effect**2
//	    if nt > 0 and nc > 0 and f(0) <= 0: return 0, 0.0
//	    m = brentq(f, 1e-12, 1e12, xtol=1e-12, rtol=1e-15)
//	    return ceil(m), m
//	print("// MDE: hand, NormalIndPower")
//	for nt,nc,pc,a,pw in [(18000,2000,0.25,0.05,0.8),(900,100,0.12,0.05,0.8),(100,100,0.25,0.05,0.8),(4500,500,0.05,0.05,0.9),(50000,50000,0.3,0.01,0.8)]:
//	    es = NormalIndPower().solve_power(nobs1=nt, ratio=nc/nt, alpha=a, power=pw, alternative="two-sided")
//	    print("{%d, %d, %g, %g, %g, %.17g}, // NormalIndPower: %.17g"%(nt,nc,pc,a,pw,mde(nt,nc,pc,a,pw), es*sqrt(pc*(1-pc))))
//	print("// Needed")
//	for nt,nc,pc,sh,eff,a,pw in [(0,0,0.25,0.1,0.02,0.05,0.8),(0,0,0.25,0.5,0.02,0.05,0.8),(18000,2000,0.25,0.1,0.02,0.05,0.8),(9000,1000,0.25,0.1,0.02,0.05,0.8),(18000,2000,0.25,0.1,0.05,0.05,0.8),(9500,500,0.25,0.1,0.02,0.05,0.8),(1000,0,0.2,0.1,0.03,0.05,0.9)]:
//	    n, m = needed(nt,nc,pc,sh,eff,a,pw)
//	    extra=""
//	    if nt==0 and nc==0:
//	        es=eff/sqrt(pc*(1-pc)); r=sh/(1-sh)
//	        n1=NormalIndPower().solve_power(effect_size=es, alpha=a, power=pw, ratio=r, alternative="two-sided")
//	        extra=" // NormalIndPower total: %.17g"%(n1*(1+r))
//	    print("{%d, %d, %g, %g, %g, %g, %g, %d}, // m = %.17g%s"%(nt,nc,pc,sh,eff,a,pw,n,m,extra))

func TestMDE(t *testing.T) {
	// hand: mde(nt, nc, pc, alpha, power); sm: NormalIndPower
	for _, c := range []struct {
		nt, nc           int
		pc, alpha, power float64
		hand, sm         float64
	}{
		{18000, 2000, 0.25, 0.05, 0.8, 0.028593559397086202, 0.028593426204608825},
		{900, 100, 0.12, 0.05, 0.8, 0.095965369908296932, 0.095965205610157936},
		{100, 100, 0.25, 0.05, 0.8, 0.17156135638251721, 0.17156118114964483},
		{4500, 500, 0.05, 0.05, 0.9, 0.033303406412972546, 0.033303399630095591},
		{50000, 50000, 0.3, 0.01, 0.8, 0.0099047126489799353, 0.0099048442138875391},
	} {
		m, ok := MDE(c.nt, c.nc, c.pc, c.alpha, c.power)
		if !ok || !near(m, c.hand) {
			t.Errorf("MDE(%d, %d, %v, %v, %v) = %.17g, %v, want %.17g", c.nt, c.nc, c.pc, c.alpha, c.power, m, ok, c.hand)
		}
		if d := (m - c.sm) / c.sm; d > 1e-4 || d < -1e-4 {
			t.Errorf("MDE(%d, %d, %v, %v, %v) = %.17g, NormalIndPower %.17g", c.nt, c.nc, c.pc, c.alpha, c.power, m, c.sm)
		}
	}
	for _, c := range []struct {
		nt, nc           int
		pc, alpha, power float64
	}{
		{0, 10, 0.2, 0.05, 0.8}, {10, 0, 0.2, 0.05, 0.8}, {10, 10, 0, 0.05, 0.8}, {10, 10, 1, 0.05, 0.8},
		{10, 10, 0.2, 0, 0.8}, {10, 10, 0.2, 0.05, 1},
	} {
		if m, ok := MDE(c.nt, c.nc, c.pc, c.alpha, c.power); ok || m != 0 {
			t.Errorf("MDE(%+v) = %v, %v, want not ok", c, m, ok)
		}
	}
}

func TestNeeded(t *testing.T) {
	// needed(nt, nc, pc, share, effect, alpha, power)
	for _, c := range []struct {
		nt, nc                          int
		pc, share, effect, alpha, power float64
		total                           int
	}{
		{0, 0, 0.25, 0.1, 0.02, 0.05, 0.8, 40880},        // m = 40879.58; NormalIndPower total 40879.48
		{0, 0, 0.25, 0.5, 0.02, 0.05, 0.8, 14717},        // m = 14716.65; NormalIndPower total 14716.61
		{18000, 2000, 0.25, 0.1, 0.02, 0.05, 0.8, 20880}, // on the way, split as planned
		{9000, 1000, 0.25, 0.1, 0.02, 0.05, 0.8, 30880},
		{18000, 2000, 0.25, 0.1, 0.05, 0.05, 0.8, 0},   // already enough
		{9500, 500, 0.25, 0.1, 0.02, 0.05, 0.8, 35386}, // too few in the holdout so far
		{1000, 0, 0.2, 0.1, 0.03, 0.05, 0.9, 20650},    // no holdout yet
	} {
		n, ok := Needed(c.nt, c.nc, c.pc, c.share, c.effect, c.alpha, c.power)
		if !ok || n.Total != c.total || n.Treat+n.Control != n.Total {
			t.Errorf("Needed(%d, %d, %v, %v, %v, %v, %v) = %+v, %v, want total %d", c.nt, c.nc, c.pc, c.share, c.effect, c.alpha, c.power, n, ok, c.total)
		}
		if d := float64(n.Control) - c.share*float64(n.Total); d > 0.5 || d < -0.5 {
			t.Errorf("Needed(%d, %d, ...) = %+v: control is not the share %v of the total", c.nt, c.nc, n, c.share)
		}
		// Having them, the MDE is at most the effect, and one fewer is not enough.
		if n.Total > 0 {
			z := Quantile(1-c.alpha/2) + Quantile(c.power)
			k := z * z * c.pc * (1 - c.pc)
			at := func(m int) float64 { // MDE² after m more entrants
				mc := c.share * float64(m)
				return k * (1/(float64(c.nt)+float64(m)-mc) + 1/(float64(c.nc)+mc))
			}
			e2 := c.effect * c.effect
			if at(n.Total) > e2*(1+1e-12) || at(n.Total-1) <= e2 {
				t.Errorf("Needed(%d, %d, ...) = %d is not the smallest that reaches the effect", c.nt, c.nc, n.Total)
			}
		}
	}
	for _, c := range []struct {
		nt, nc                          int
		pc, share, effect, alpha, power float64
	}{
		{0, 0, 0.25, 0.1, 0, 0.05, 0.8}, {0, 0, 0.25, 0, 0.02, 0.05, 0.8}, {0, 0, 0.25, 1, 0.02, 0.05, 0.8},
		{0, 0, 0, 0.1, 0.02, 0.05, 0.8}, {-1, 0, 0.25, 0.1, 0.02, 0.05, 0.8}, {0, 0, 0.25, 0.1, 0.02, 0.05, 0},
	} {
		if n, ok := Needed(c.nt, c.nc, c.pc, c.share, c.effect, c.alpha, c.power); ok || n != (Need{}) {
			t.Errorf("Needed(%+v) = %+v, %v, want not ok", c, n, ok)
		}
	}
}
