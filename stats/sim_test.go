package stats

import (
	"math"
	"math/rand/v2"
	"testing"
)

// These tests draw experiments from a fixed seed, so they give the same
// result on every run, and check that the intervals cover the truth as
// often as they claim. They fail if an interval is too narrow: with 1.57
// in place of 1.96 (an 88% interval sold as 95%) Diff and Rel exclude zero
// in about a tenth of the experiments without an effect, and with a
// sequential half-width cut by 40% SeqDiff excludes zero at some look in
// a quarter of them.
//
// The 3% to 8% band for the fixed intervals is about two standard errors
// either side of 5% for 200 experiments: correct intervals fall outside it
// for about one seed in ten, so the seed is fixed rather than drawn.

// enter adds one entrant to t or c: to the holdout with probability share,
// reaching the goal with probability pt or pc, and making a Poisson number
// of contacts with mean mt or mc for a count goal (0 leaves the count out).
func enter(r *rand.Rand, t, c *Arm, share, pt, pc, mt, mc float64) {
	a, p, m := t, pt, mt
	if r.Float64() < share {
		a, p, m = c, pc, mc
	}
	a.N++
	if m > 0 {
		k := poisson(r, m)
		a.Sum += float64(k)
		a.SumSq += float64(k * k)
		if k > 0 {
			a.Hits++
		}
		return
	}
	if r.Float64() < p {
		a.Hits++
		a.Sum++
		a.SumSq++
	}
}

// poisson draws from a Poisson distribution with a small mean (Knuth).
func poisson(r *rand.Rand, mean float64) int {
	l, k, p := math.Exp(-mean), 0, 1.0
	for {
		p *= r.Float64()
		if p <= l {
			return k
		}
		k++
	}
}

func excludesZero(iv Interval) bool { return iv.Lo > 0 || iv.Hi < 0 }

func TestSimKnownEffect(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var tr, co Arm
	for range 20000 {
		enter(r, &tr, &co, 0.10, 0.10, 0.25, 0, 0)
	}
	d, ok := Diff(tr.Hits, tr.N, co.Hits, co.N, 0.95)
	if !ok || d.Lo > -0.15 || d.Hi < -0.15 || !excludesZero(d) {
		t.Errorf("true difference -0.15: Diff = %+v, %v (treat %+v, control %+v)", d, ok, tr, co)
	}
	res := Compare(tr, co, Opts{Share: 0.10})
	if res.Verdict != BelowZero {
		t.Errorf("true difference -0.15: sequential verdict %s, %+v", res.Verdict, res.Seq)
	}
	if res.Avoided.Lo > 150 || res.Avoided.Hi < 150 {
		t.Errorf("true 150 avoided per 1,000: %+v", res.Avoided)
	}
	if res.SRM == nil || res.SRM.Alert {
		t.Errorf("a fair 10%% split raises a sample-ratio alert: %+v", res.SRM)
	}
	if rel, _ := Rel(tr.Hits, tr.N, co.Hits, co.N, 0.95); rel.Lo > -0.6 || rel.Hi < -0.6 {
		t.Errorf("true relative difference -0.6: Rel = %+v", rel)
	}
}

// TestSimNoEffect runs 200 experiments of 4,000 entrants with a 10%
// holdout and the same goal rate (20%) in both arms, looking at each
// experiment 16 times, every 250 entrants.
func TestSimNoEffect(t *testing.T) {
	const (
		runs  = 200
		size  = 4000
		every = 250
	)
	r := rand.New(rand.NewPCG(20, 4))
	var fixed, rel, mean, meanSeq, seqEnd, seqAny, fixedAny int
	for range runs {
		var tr, co, trc, coc Arm
		var sawSeq, sawFixed bool
		for i := 1; i <= size; i++ {
			enter(r, &tr, &co, 0.10, 0.20, 0.20, 0, 0)
			enter(r, &trc, &coc, 0.10, 0, 0, 0.4, 0.4)
			if i%every != 0 {
				continue
			}
			if s, ok := SeqDiff(tr.Hits, tr.N, co.Hits, co.N, 0.95, DefaultTuning); ok && excludesZero(s) {
				sawSeq = true
			}
			if d, ok := Diff(tr.Hits, tr.N, co.Hits, co.N, 0.95); ok && excludesZero(d) {
				sawFixed = true
			}
		}
		if d, _ := Diff(tr.Hits, tr.N, co.Hits, co.N, 0.95); excludesZero(d) {
			fixed++
		}
		if d, _ := Rel(tr.Hits, tr.N, co.Hits, co.N, 0.95); excludesZero(d) {
			rel++
		}
		if s, _ := SeqDiff(tr.Hits, tr.N, co.Hits, co.N, 0.95, DefaultTuning); excludesZero(s) {
			seqEnd++
		}
		if d, _ := MeanDiff(trc, coc, 0.95); excludesZero(d) {
			mean++
		}
		if s, _ := SeqMeanDiff(trc, coc, 0.95, DefaultTuning); excludesZero(s) {
			meanSeq++
		}
		if sawSeq {
			seqAny++
		}
		if sawFixed {
			fixedAny++
		}
	}
	share := func(k int) float64 { return float64(k) / runs }
	t.Logf("excluding zero: Diff %.3f, Rel %.3f, MeanDiff %.3f, SeqDiff %.3f (any look %.3f), SeqMeanDiff %.3f; Diff at any look %.3f",
		share(fixed), share(rel), share(mean), share(seqEnd), share(seqAny), share(meanSeq), share(fixedAny))
	for _, c := range []struct {
		name string
		k    int
	}{{"Diff", fixed}, {"Rel", rel}, {"MeanDiff", mean}} {
		if s := share(c.k); s < 0.03 || s > 0.08 {
			t.Errorf("%s excludes zero in %.3f of experiments without an effect, want 0.03 to 0.08", c.name, s)
		}
	}
	for _, c := range []struct {
		name string
		k    int
	}{{"SeqDiff, last look", seqEnd}, {"SeqDiff, any of 16 looks", seqAny}, {"SeqMeanDiff", meanSeq}} {
		if s := share(c.k); s > 0.05 {
			t.Errorf("%s excludes zero in %.3f of experiments without an effect, want at most 0.05", c.name, s)
		}
	}
	// The reason for the sequential interval: the fixed one, looked at 16
	// times, excludes zero at some look far more often than 5%.
	if s := share(fixedAny); s <= 0.08 {
		t.Errorf("Diff at any of 16 looks excludes zero in only %.3f of experiments; the simulation has lost its power", s)
	}
}
