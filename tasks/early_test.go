package tasks

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/aheadhq/ahead/engine"
	"github.com/aheadhq/ahead/flows"
	"github.com/aheadhq/ahead/internal/clock"
)

// A step task handed on before its step is due, as the task queue may do
// by up to a second, waits: the message never goes out early.
func TestStepNeverRunsEarly(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *Options) { o.Clock = clock.Real{} })
	set, err := flows.Parse("soon.yaml", []byte(`
flow: soon
trigger: { event: cart.updated }
steps:
  - { id: nudge, after: 1m, channel: sms, template: reassurance }
`), b.w.Catalog().Templates)
	if err != nil {
		t.Fatal(err)
	}
	b.w.SetCatalog(&engine.Catalog{Flows: set, Templates: b.w.Catalog().Templates})
	var (
		mu     sync.Mutex
		sentAt time.Time
	)
	b.sms.during = func(context.Context) {
		mu.Lock()
		defer mu.Unlock()
		sentAt = time.Now()
	}
	// Due 600 ms from now: the event occurred 59.4 s ago.
	ev := &flows.Event{ID: "evt_1", Type: "cart.updated", CustomerID: "cus_1", Customer: anna(), OccurredAt: time.Now().Add(-59400 * time.Millisecond)}
	b.route(t, ev)
	id := engine.InterventionID("cus_1", "evt_1", "soon", "nudge")
	due := b.iv(t, "cus_1", id).Due
	b.run(t, "cus_1", id)
	mu.Lock()
	defer mu.Unlock()
	if sentAt.IsZero() {
		t.Fatal("nothing was sent")
	}
	if sentAt.Before(due) {
		t.Errorf("sent at %s, %s before it was due at %s", sentAt.Format(time.RFC3339Nano), due.Sub(sentAt), due.Format(time.RFC3339Nano))
	}
}
