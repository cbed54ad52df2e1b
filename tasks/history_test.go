package tasks

import (
	"testing"
	"time"

	"github.com/aheadhq/ahead/engine"
	"github.com/aheadhq/ahead/flows"
	"github.com/aheadhq/ahead/internal/store"
)

// skip_if sees the data of the events since the trigger and the events of
// a type in a window before it, as stored on real Redis.
func TestSkipIfSeesHistory(t *testing.T) {
	t.Parallel()
	g := setupGuards(t)
	shipped := start.Add(7 * 24 * time.Hour)
	at := func(e *flows.Event, t time.Time) *flows.Event { e.OccurredAt = t; return e }
	contact := func(id, cus string, t time.Time, topic string) *flows.Event {
		return at(ev(id, "support.contact", cus, "", map[string]any{"topic": topic}), t)
	}
	// Before the shipment: cus_3 twice in the week before, cus_4 once in
	// it and once before it.
	g.route(t, contact("c3a", "cus_3", shipped.Add(-6*24*time.Hour), "delivery"))
	g.route(t, contact("c3b", "cus_3", shipped.Add(-24*time.Hour), "invoice"))
	g.route(t, contact("c4a", "cus_4", shipped.Add(-8*24*time.Hour), "delivery"))
	g.route(t, contact("c4b", "cus_4", shipped.Add(-24*time.Hour), "delivery"))
	g.clock.Set(shipped)
	for _, cus := range []string{"cus_1", "cus_2", "cus_3", "cus_4"} {
		g.route(t, at(ev("evt_ship", "order.shipped", cus, "ord_1", nil), shipped))
	}
	// Since the shipment: cus_1 asks about the delivery, cus_2 about an invoice.
	g.route(t, contact("c1", "cus_1", shipped.Add(10*time.Minute), "delivery"))
	g.route(t, contact("c2", "cus_2", shipped.Add(10*time.Minute), "invoice"))
	g.clock.Set(shipped.Add(time.Hour))

	want := map[string]string{"cus_1": store.Skipped, "cus_2": store.Sent, "cus_3": store.Skipped, "cus_4": store.Sent}
	for cus, state := range want {
		id := engine.InterventionID(cus, "evt_ship", "shipping", "notice")
		g.run(t, cus, id)
		iv := g.iv(t, cus, id)
		if iv.State != state {
			t.Errorf("%s: %s (%s), want %s", cus, iv.State, iv.Reason, state)
		}
		if state == store.Skipped {
			if e := one(t, g.entries(t, cus, id, store.Skipped), cus+" notice"); e.Cause != "skip_if" {
				t.Errorf("%s: skipped %+v, want cause skip_if", cus, e)
			}
		}
	}
}
