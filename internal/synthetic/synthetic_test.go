package synthetic_test

import (
	"context"
	"os"
	"testing"

	"github.com/aheadhq/ahead/internal/redistest"
	"github.com/aheadhq/ahead/internal/synthetic"
	"github.com/aheadhq/ahead/stats"
)

func TestMain(m *testing.M) { os.Exit(redistest.Main(m)) }

// 20,000 entrants, a 10% holdout, inbound contacts at 25% in the holdout
// and 10% in the treatment group: the report's 95% interval for the
// difference must contain the true −15 points and exclude zero. The test
// fails when arms are assigned or goals counted wrongly (swap the arms and
// the difference is +15 points; count no goals and it is 0), or when the
// statistics are off. The seed is fixed, so the numbers are the same on
// every run.
func TestRecoversKnownEffect(t *testing.T) {
	if testing.Short() {
		t.Skip("posts 20,000 entrants")
	}
	res, err := synthetic.Run(context.Background(), synthetic.Options{Redis: redistest.New(t)})
	if err != nil {
		t.Fatal(err)
	}
	rep := res.Report
	c := rep.Closed
	t.Logf("%d entrants in %s: treatment %d with %d contacts, holdout %d with %d",
		c.Treat.N+c.Control.N, res.Elapsed.Round(1e6), c.Treat.N, c.Treat.Hits, c.Control.N, c.Control.Hits)
	t.Logf("difference %+.2f points, 95%% CI %+.2f to %+.2f; always-valid %+.2f to %+.2f (%s); SRM p = %.3f",
		c.Diff.Est*100, c.Diff.Lo*100, c.Diff.Hi*100, c.Seq.Lo*100, c.Seq.Hi*100, c.Verdict, c.SRM.P)
	t.Log(c.Summary)
	t.Log(c.AlwaysValid)
	if n := c.Treat.N + c.Control.N; n != 20000 || rep.Open.Treat.N+rep.Open.Control.N != 0 {
		t.Fatalf("%d entrants with closed windows, %d open; want 20,000 closed", n, rep.Open.Treat.N+rep.Open.Control.N)
	}
	// What the report counted is what was drawn.
	for arm, got := range map[string]stats.ArmResult{"treatment": c.Treat, "control": c.Control} {
		if got.N != res.Entrants[arm] || got.Hits != res.Contacts[arm] {
			t.Errorf("%s: report %d of %d, drawn %d of %d", arm, got.Hits, got.N, res.Contacts[arm], res.Entrants[arm])
		}
	}
	if d := c.Diff; d == nil || !(d.Lo < -0.15 && d.Hi > -0.15) || d.Hi >= 0 {
		t.Errorf("95%% interval %+v: want it to contain -0.15 and exclude 0", d)
	}
	if c.Verdict != stats.BelowZero {
		t.Errorf("always-valid verdict %s, want %s", c.Verdict, stats.BelowZero)
	}
	if c.SRM == nil || c.SRM.Alert {
		t.Errorf("sample-ratio check %+v: a 10%% holdout drawn by hash must not alert", c.SRM)
	}
	if c.Avoided == nil || c.Avoided.Lo > 150 || c.Avoided.Hi < 150 {
		t.Errorf("avoided per 1,000 %+v: want an interval around 150", c.Avoided)
	}
}

// The same path on a Redis Cluster of three masters, with fewer entrants
// and a larger holdout: every customer's writes stay in their slot, the
// counters in the flow's.
func TestRecoversKnownEffectCluster(t *testing.T) {
	rdb := redistest.Cluster(t)
	res, err := synthetic.Run(context.Background(), synthetic.Options{
		Redis: rdb, Entrants: 4000, Holdout: "50%", ControlRate: 0.30, TreatRate: 0.15, Seed: 2,
	})
	if err != nil {
		t.Fatal(err)
	}
	c := res.Report.Closed
	t.Logf("%d entrants in %s: difference %+.2f points, 95%% CI %+.2f to %+.2f", c.Treat.N+c.Control.N, res.Elapsed.Round(1e6), c.Diff.Est*100, c.Diff.Lo*100, c.Diff.Hi*100)
	if c.Treat.N+c.Control.N != 4000 || c.Treat.Hits != res.Contacts["treatment"] || c.Control.Hits != res.Contacts["control"] {
		t.Errorf("counted %+v / %+v, drawn %v of %v", c.Treat, c.Control, res.Contacts, res.Entrants)
	}
	if d := c.Diff; !(d.Lo < -0.15 && d.Hi > -0.15) || d.Hi >= 0 {
		t.Errorf("95%% interval %+v: want it to contain -0.15 and exclude 0", d)
	}
}
