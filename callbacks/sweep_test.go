package callbacks_test

import (
	"slices"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/aheadhq/ahead/callbacks"
	"github.com/aheadhq/ahead/internal/metrics"
	"github.com/aheadhq/ahead/internal/store"
)

func (b *bundle) sweep() {
	b.t.Helper()
	if err := b.q.Sweep(b.ctx); err != nil {
		b.t.Fatalf("sweep: %v", err)
	}
}

// The sweep tests do not run in parallel: the gauges they read are shared.

func TestSweepLapsedLeaseAndDeadline(t *testing.T) {
	b := setup(t, tuesday10)
	b.add("leased", "retention", "call", "cus_1", "Europe/Amsterdam", local(t, "2026-11-24 09:00"), 0)
	b.add("old", "retention", "call", "cus_2", "Europe/Amsterdam", local(t, "2026-11-20 16:00"), 0) // deadline Monday 16:00
	b.clk.Set(local(t, "2026-11-23 15:00"))
	if cb := b.claim("retention", "ann"); cb == nil || cb.ID != "old" {
		t.Fatalf("claimed %+v", cb)
	}
	b.clk.Set(tuesday10)
	if cb := b.claim("retention", "ann"); cb == nil || cb.ID != "leased" {
		t.Fatalf("claimed %+v", cb)
	}
	b.clk.Advance(10 * time.Minute)
	b.sweep()

	cb := b.get("leased")
	if cb.State != store.CallbackQueued || cb.Agent != "" || !cb.LeaseUntil.IsZero() {
		t.Errorf("after its lease ran out: %+v", cb)
	}
	if e := b.journal("cus_1"); len(e) != 2 || e[1].State != "lease_expired" || e[1].Reason != "the claim of ann ran out; back in queue retention" {
		t.Errorf("journal %+v", e)
	}
	old := b.get("old")
	if old.State != store.CallbackDone || old.Result != callbacks.ResultExpired || !old.Ended.Equal(b.clk.Now()) {
		t.Errorf("past its deadline: %+v", old)
	}
	if e := b.journal("cus_2"); len(e) != 2 || e[1].State != "expired" || e[1].Reason != "deadline 2026-11-23 16:00 CET passed after 0 calls; takes in callback.exhausted" {
		t.Errorf("journal %+v", e)
	}
	evs := b.emit.list()
	if len(evs) != 1 || evs[0].ID != "callback-expired-old" || evs[0].Data["reason"] != "deadline" || evs[0].Data["result"] != "expired" {
		t.Fatalf("events %+v", evs)
	}
	// A second sweep changes nothing.
	b.sweep()
	if len(b.emit.list()) != 1 || len(b.journal("cus_1")) != 2 {
		t.Error("the second sweep did it again")
	}
}

func gauge(t *testing.T, g interface{ Write(*dto.Metric) error }) float64 {
	t.Helper()
	var m dto.Metric
	if err := g.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetGauge().GetValue()
}

func TestSweepMetrics(t *testing.T) {
	b := setup(t, tuesday10)
	b.add("a", "retention", "call", "cus_1", "Europe/Amsterdam", local(t, "2026-11-24 09:30"), 0)
	b.add("b", "retention", "call", "cus_2", "Europe/Amsterdam", local(t, "2026-11-24 08:00"), 0)
	b.add("ny", "retention", "call", "cus_3", "America/New_York", local(t, "2026-11-24 07:00"), 0) // asleep
	b.add("later", "retention", "call", "cus_4", "Europe/Amsterdam", local(t, "2026-11-24 12:00"), 0)
	b.add("c", "retention", "call", "cus_5", "Europe/Amsterdam", local(t, "2026-11-24 09:00"), 0)
	for _, id := range []string{"b", "c"} {
		if _, err := b.q.Take(b.ctx, id, "ann", time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	b.record("b", "ann", callbacks.Outcome{Outcome: "reached"})
	b.sweep()
	depth := func(state string) float64 { return gauge(t, metrics.CallbackDepth.WithLabelValues("retention", state)) }
	if q, c, call := depth("queued"), depth("claimed"), depth("callable"); q != 3 || c != 1 || call != 1 {
		t.Errorf("depth queued %v claimed %v callable %v; want 3, 1, 1", q, c, call)
	}
	if age := gauge(t, metrics.CallbackOldest.WithLabelValues("retention")); age != 30*60 {
		t.Errorf("oldest callable age %vs, want 1800", age)
	}
	if r := gauge(t, metrics.CallbackReach.WithLabelValues("retention")); r != 1 {
		t.Errorf("reach ratio %v, want 1", r)
	}
	b.record("c", "ann", callbacks.Outcome{Outcome: "declined"})
	b.sweep()
	if r := gauge(t, metrics.CallbackReach.WithLabelValues("retention")); r != 0.5 {
		t.Errorf("reach ratio %v after a decline, want 0.5", r)
	}
	if call := depth("callable"); call != 1 {
		t.Errorf("callable %v", call)
	}
	b.clk.Set(local(t, "2026-11-24 18:00"))
	b.sweep()
	if call, age := depth("callable"), gauge(t, metrics.CallbackOldest.WithLabelValues("retention")); call != 0 || age != 0 {
		t.Errorf("after closing time: callable %v, oldest %v", call, age)
	}
}

func TestSweepExports(t *testing.T) {
	b := setup(t, tuesday10)
	b.add("x", "offered", "offered-call", "cus_1", "Europe/Amsterdam", local(t, "2026-11-24 09:00"), 0)
	b.add("y", "offered", "offered-call", "cus_2", "Europe/Amsterdam", local(t, "2026-11-24 09:30"), 0)
	b.add("z", "offered", "offered-call", "cus_3", "Europe/Amsterdam", local(t, "2026-11-24 11:00"), 0) // not due
	b.add("r", "retention", "call", "cus_4", "Europe/Amsterdam", local(t, "2026-11-24 09:00"), 0)       // no taskrouter
	b.sweep()
	b.sweep()
	if b.export.n != 2 || b.export.offers["WTx"] != "x" || b.export.offers["WTy"] != "y" {
		t.Fatalf("offers %v (%d exports)", b.export.offers, b.export.n)
	}
	if got := b.export.timeouts["WTx"]; got != 23*time.Hour {
		t.Errorf("timeout %v, want the time to the deadline (23h)", got)
	}
	if cb := b.get("x"); cb.TaskSID != "WTx" {
		t.Errorf("task sid %q", cb.TaskSID)
	}
	if e := b.journal("cus_1"); len(e) != 1 || e[0].State != "offered" || e[0].Reason != "offered to TaskRouter as task WTx" {
		t.Errorf("journal %+v", e)
	}

	// TaskRouter reports an outcome for y; an agent in ahead claims x.
	if _, err := b.q.Record(b.ctx, "y", "", callbacks.Outcome{Outcome: "reached", Task: "WTother"}); err == nil {
		t.Error("an outcome from another task was recorded")
	}
	b.record("y", "", callbacks.Outcome{Outcome: "reached", Task: "WTy"})
	if cb := b.claim("offered", "ann"); cb == nil || cb.ID != "x" || cb.TaskSID != "" {
		t.Fatalf("claimed %+v", cb)
	}
	b.sweep()
	if !slices.Equal(b.export.withdrawn, []string{"WTx"}) {
		t.Errorf("withdrawn %v, want the task of the claimed callback only", b.export.withdrawn)
	}
	b.sweep()
	if len(b.export.withdrawn) != 1 {
		t.Errorf("withdrawn again: %v", b.export.withdrawn)
	}
}

func TestSweepPrunes(t *testing.T) {
	b := setup(t, tuesday10)
	cb := b.add("gone", "always", "evening-call", "cus_1", "UTC", tuesday10.Add(-40*24*time.Hour), 0)
	cb.State, cb.Result, cb.Ended = store.CallbackDone, "reached", tuesday10.Add(-31*24*time.Hour)
	if err := b.st.SaveCallback(b.ctx, cb); err != nil {
		t.Fatal(err)
	}
	b.sweep()
	if _, err := b.st.FindCallback(b.ctx, "gone"); err == nil {
		t.Error("a callback that ended 31 days ago is still kept")
	}
}

func TestForgetWithdrawsOffers(t *testing.T) {
	b := setup(t, tuesday10)
	b.add("x", "offered", "offered-call", "cus_gone", "Europe/Amsterdam", local(t, "2026-11-24 09:00"), 0)
	b.add("y", "offered", "offered-call", "cus_kept", "Europe/Amsterdam", local(t, "2026-11-24 09:00"), 0)
	b.sweep()
	if err := b.q.Forget(b.ctx, "cus_gone"); err != nil {
		t.Fatal(err)
	}
	if err := b.st.Erase(b.ctx, "cus_gone"); err != nil {
		t.Fatal(err)
	}
	b.sweep()
	if !slices.Equal(b.export.withdrawn, []string{"WTx"}) {
		t.Errorf("withdrawn %v, want the erased customer's task only", b.export.withdrawn)
	}
}
