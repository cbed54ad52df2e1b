package stats

import "testing"

func TestSRM(t *testing.T) {
	// chi2 and p from scipy 1.10.1 (Debian python3-scipy), for n = nt + nc:
	//
	//	r = scipy.stats.chisquare([nt, nc], [n*(1-share), n*share])
	//	print("%.17g, %.17g" % (r.statistic, r.pvalue))
	for _, c := range []struct {
		nt, nc  int
		share   float64
		chi2, p float64
		alert   bool
		why     string
	}{
		{1700, 300, 0.1, 55.555555555555557, 9.08547022400831e-14, true, "15% in a 10% holdout"},
		{1810, 190, 0.1, 0.55555555555555558, 0.45605654025025599, false, "9.5%: within chance"},
		{897000, 103000, 0.1, 100, 1.5239706048320995e-23, false, "10.3%: significant but below both bars"},
		{888000, 112000, 0.1, 1600, 0, true, "11.2%: significant and above the bars"},
		{9000, 1000, 0.1, 0, 1, false, "exact"},
		{1, 0, 0.1, 0.11111111111111112, 0.73888268036352711, false, "one entrant"},
		{100, 0, 0.1, 11.111111111111111, 0.00085812066639367579, true, "no holdout at all"},
		{4900, 5100, 0.5, 4, 0.04550026389635857, false, "51% in a 50% holdout: not below 0.001"},
		{490000, 510000, 0.5, 400, 5.5072482372123789e-89, true, "51% in a 50% holdout: the absolute bar (1 point < 10% of 50%)"},
		{99100, 900, 0.01, 10.1010101010101, 0.0014818807747203882, false, "0.9% in a 1% holdout: not below 0.001"},
		{991000, 9000, 0.01, 101.01010101010101, 9.1515562701870991e-24, true, "0.9% in a 1% holdout: the relative bar (0.1 point < 1 point)"},
	} {
		s, ok := CheckSRM(c.nt, c.nc, c.share, SRMLimits{})
		if !ok || !near(s.Chi2, c.chi2) || !near(s.P, c.p) || s.Alert != c.alert {
			t.Errorf("%s: CheckSRM(%d, %d, %v) = %+v, %v, want chi2 %.17g, p %.17g, alert %v", c.why, c.nt, c.nc, c.share, s, ok, c.chi2, c.p, c.alert)
		}
		if want := float64(c.nc) / float64(c.nt+c.nc); s.Observed != want || s.Expected != c.share {
			t.Errorf("%s: shares %v, %v, want %v, %v", c.why, s.Observed, s.Expected, want, c.share)
		}
	}
	// Limits are parameters: a looser p or a smaller bar alerts where the
	// defaults do not.
	if s, _ := CheckSRM(4900, 5100, 0.5, SRMLimits{P: 0.05}); !s.Alert {
		t.Errorf("P 0.05: %+v does not alert", s)
	}
	if s, _ := CheckSRM(897000, 103000, 0.1, SRMLimits{Abs: 0.002}); !s.Alert {
		t.Errorf("Abs 0.002: %+v does not alert", s)
	}
	if s, _ := CheckSRM(897000, 103000, 0.1, SRMLimits{Rel: 0.02}); !s.Alert {
		t.Errorf("Rel 0.02: %+v does not alert", s)
	}
	if s, _ := CheckSRM(1700, 300, 0.1, SRMLimits{P: 1e-20}); s.Alert {
		t.Errorf("P 1e-20: %+v alerts", s)
	}
	for _, c := range []struct {
		nt, nc int
		share  float64
	}{{0, 0, 0.1}, {10, 1, 0}, {10, 1, 1}, {-1, 5, 0.1}} {
		if s, ok := CheckSRM(c.nt, c.nc, c.share, SRMLimits{}); ok || s != (SRM{}) {
			t.Errorf("CheckSRM(%d, %d, %v) = %+v, %v, want not ok", c.nt, c.nc, c.share, s, ok)
		}
	}
}
