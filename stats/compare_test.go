package stats

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
)

func TestCompareMatchesParts(t *testing.T) {
	tr := Arm{N: 1800, Hits: 452, Sum: 536, SumSq: 744}
	co := Arm{N: 200, Hits: 77, Sum: 98, SumSq: 144}
	o := Opts{Conf: 0.9, Tuning: 2000, Share: 0.1, Power: 0.9, Effect: 0.03}
	r := Compare(tr, co, o)

	diff, _ := Diff(452, 1800, 77, 200, 0.9)
	rel, _ := Rel(452, 1800, 77, 200, 0.9)
	seq, _ := SeqDiff(452, 1800, 77, 200, 0.9, 2000)
	md, _ := MeanDiff(tr, co, 0.9)
	ms, _ := SeqMeanDiff(tr, co, 0.9, 2000)
	srm, _ := CheckSRM(1800, 200, 0.1, SRMLimits{})
	mde, _ := MDE(1800, 200, 77.0/200, 0.1, 0.9)
	need, _ := Needed(1800, 200, 77.0/200, 0.1, 0.03, 0.1, 0.9)
	switch {
	case r.Conf != 0.9 || r.Treat.N != 1800 || r.Control.Hits != 77 || *r.Treat.Rate != 452.0/1800 || *r.Control.Rate != 77.0/200:
		t.Errorf("arms: %+v", r)
	case *r.Diff != diff || *r.Rel != rel || *r.Seq != seq || r.Verdict != seq.Verdict():
		t.Errorf("rates: %+v %+v %+v %s", r.Diff, r.Rel, r.Seq, r.Verdict)
	case *r.Avoided != (Interval{-diff.Est * 1000, -diff.Hi * 1000, -diff.Lo * 1000}):
		t.Errorf("avoided %+v, diff %+v", r.Avoided, diff)
	case r.Count == nil || r.Count.Diff != md || r.Count.Seq != ms || r.Count.Verdict != ms.Verdict() ||
		r.Count.Avoided != (Interval{-md.Est * 1000, -md.Hi * 1000, -md.Lo * 1000}) ||
		r.Count.Treat != 536.0/1800 || r.Count.Control != 98.0/200:
		t.Errorf("count: %+v", r.Count)
	case *r.SRM != srm || *r.MDE != mde || *r.Needed != need:
		t.Errorf("srm %+v, mde %v, needed %+v", r.SRM, *r.MDE, r.Needed)
	}
}

func TestCompareDefaults(t *testing.T) {
	tr, co := Arm{N: 900, Hits: 45}, Arm{N: 100, Hits: 12}
	a := Compare(tr, co, Opts{})
	b := Compare(tr, co, Opts{Conf: 0.95, Tuning: DefaultTuning, Power: DefaultPower, SRM: DefaultSRMLimits})
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if string(ja) != string(jb) {
		t.Errorf("zero Opts:\n%s\nthe defaults:\n%s", ja, jb)
	}
	if a.SRM != nil || a.Needed != nil {
		t.Errorf("without a share: srm %+v, needed %+v", a.SRM, a.Needed)
	}
	if a.Count != nil {
		t.Errorf("0/1 goal without Sum and SumSq has a count comparison: %+v", a.Count)
	}
}

func TestCompareJSON(t *testing.T) {
	r := Compare(Arm{N: 900, Hits: 45, Sum: 50, SumSq: 60}, Arm{N: 100, Hits: 12, Sum: 14, SumSq: 18}, Opts{Share: 0.1, Effect: 0.02})
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{`"conf"`, `"treat"`, `"control"`, `"n"`, `"hits"`, `"rate"`, `"diff"`, `"est"`, `"lo"`, `"hi"`,
		`"rel"`, `"avoided_per_1000"`, `"seq"`, `"verdict"`, `"count"`, `"treat_mean"`, `"control_mean"`, `"srm"`, `"chi2"`, `"p"`,
		`"expected_control_share"`, `"observed_control_share"`, `"alert"`, `"mde"`, `"needed"`, `"total"`} {
		if !strings.Contains(string(b), k+":") {
			t.Errorf("no %s in %s", k, b)
		}
	}
}

// Empty arms, zero counts, counts of all: nothing is NaN or infinite, so
// every result serializes, and every interval holds its estimate.
func TestCompareEdges(t *testing.T) {
	empty := Compare(Arm{}, Arm{}, Opts{Share: 0.1, Effect: 0.02})
	if empty.Diff != nil || empty.Rel != nil || empty.Avoided != nil || empty.Seq != nil || empty.Count != nil ||
		empty.SRM != nil || empty.MDE != nil || empty.Needed != nil || empty.Treat.Rate != nil || empty.Control.Rate != nil ||
		empty.Verdict != Undefined {
		t.Errorf("empty arms: %+v", empty)
	}
	if b, err := json.Marshal(empty); err != nil || !strings.Contains(string(b), `"diff":null`) || !strings.Contains(string(b), `"rate":null`) {
		t.Errorf("empty arms: %s, %v", b, err)
	}

	none := Compare(Arm{N: 900}, Arm{N: 100}, Opts{Share: 0.1, Effect: 0.02})
	if none.Diff == nil || none.Rel != nil || none.Seq != nil || none.Verdict != Undefined || none.MDE != nil || none.SRM == nil {
		t.Errorf("no hits: %+v", none)
	}

	check := func(name string, iv *Interval) {
		if iv == nil {
			return
		}
		if !(iv.Lo <= iv.Est && iv.Est <= iv.Hi) {
			t.Errorf("%s: %+v is out of order", name, *iv)
		}
	}
	for nt := 0; nt <= 5; nt++ {
		for nc := 0; nc <= 5; nc++ {
			for xt := 0; xt <= nt; xt++ {
				for xc := 0; xc <= nc; xc++ {
					tr := Arm{N: nt, Hits: xt, Sum: float64(2 * xt), SumSq: float64(4 * xt)}
					co := Arm{N: nc, Hits: xc, Sum: float64(xc), SumSq: float64(xc)}
					r := Compare(tr, co, Opts{Share: 0.5, Effect: 0.1})
					if _, err := json.Marshal(r); err != nil {
						t.Fatalf("Compare(%+v, %+v): %v", tr, co, err)
					}
					check("diff", r.Diff)
					check("rel", r.Rel)
					check("avoided", r.Avoided)
					check("seq", r.Seq)
					if r.Count != nil {
						check("count diff", &r.Count.Diff)
						check("count seq", &r.Count.Seq)
					}
					if r.MDE != nil && (math.IsNaN(*r.MDE) || *r.MDE <= 0) {
						t.Errorf("Compare(%+v, %+v): mde %v", tr, co, *r.MDE)
					}
				}
			}
		}
	}
}
