package tasks

import (
	"fmt"
	"testing"
	"time"

	"github.com/aheadhq/ahead/engine"
	"github.com/aheadhq/ahead/flows"
)

// Five status changes of one order posted in one batch, out of order,
// make one message with the newest status, as five posts would.
func TestDebounceInOneBatch(t *testing.T) {
	t.Parallel()
	g := setupGuards(t)
	statuses := []string{"received", "packed", "shipped", "in transit", "out for delivery"}
	var batch []*flows.Event
	for _, i := range []int{2, 0, 4, 1, 3} {
		e := ev(fmt.Sprintf("evt_%d", i), "order.status", "cus_1", "ord_1", map[string]any{"status": statuses[i]})
		e.OccurredAt = start.Add(time.Duration(i) * 150 * time.Second)
		batch = append(batch, e)
	}
	g.clock.Set(start.Add(10 * time.Minute))
	if n, dups, err := g.w.Ingest(g.ctx, batch); err != nil || n != 5 || dups != 0 {
		t.Fatalf("ingest: %d accepted, %d duplicates, %v", n, dups, err)
	}
	ivs, _ := g.store.Interventions(g.ctx, "cus_1")
	if len(ivs) != 1 {
		t.Fatalf("%d interventions, want one for the order", len(ivs))
	}
	first := engine.InterventionID("cus_1", "evt_0", "status", "update")
	if iv := g.iv(t, "cus_1", first); iv.EventID != "evt_4" {
		t.Errorf("the intervention carries %s, want the newest, evt_4", iv.EventID)
	}
	if deb := g.entries(t, "cus_1", first, "debounced"); len(deb) != 4 {
		t.Errorf("%d debounced entries, want 4", len(deb))
	}
	g.clock.Set(start.Add(15 * time.Minute))
	g.run(t, "cus_1", first)
	msgs := g.sms.messages()
	if len(msgs) != 1 || msgs[0].Text != "Bestelling ord_1: out for delivery" {
		t.Fatalf("messages %+v, want one with the newest status", msgs)
	}
}

// once_per holds inside a batch: of two openings of one account posted
// together, only the one that occurred first starts the once-only flows.
func TestOncePerInOneBatch(t *testing.T) {
	t.Parallel()
	g := setupGuards(t)
	late := ev("evt_late", "account.opened", "cus_1", "acc_1", nil)
	late.OccurredAt = start.Add(time.Hour)
	early := ev("evt_early", "account.opened", "cus_1", "acc_1", nil)
	early.OccurredAt = start
	g.clock.Set(start.Add(2 * time.Hour))
	if _, _, err := g.w.Ingest(g.ctx, []*flows.Event{late, early}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		ev, flow string
		want     bool
	}{
		{"evt_early", "once-customer", true}, {"evt_early", "once-subject", true}, {"evt_early", "every-event", true},
		{"evt_late", "once-customer", false}, {"evt_late", "once-subject", false}, {"evt_late", "every-event", true},
	} {
		_, err := g.store.Intervention(g.ctx, "cus_1", engine.InterventionID("cus_1", c.ev, c.flow, "hello"))
		if got := err == nil; got != c.want {
			t.Errorf("%s started %s: %v, want %v", c.ev, c.flow, got, c.want)
		}
	}
}
