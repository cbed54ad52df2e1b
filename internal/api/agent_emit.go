package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/hibiken/asynq"

	"github.com/aheadhq/ahead/flows"
	"github.com/aheadhq/ahead/internal/clock"
	"github.com/aheadhq/ahead/internal/store"
	"github.com/aheadhq/ahead/tasks"
)

// Emitter returns a function that takes in an event that ahead raises
// itself (a callback queue's on_exhausted event) the way POST /v1/events
// takes in a posted one: it is validated, stored under its id (a repeated
// id is acknowledged and ignored), journaled on the customer's timeline
// and queued for routing, so flows can trigger on it.
func Emitter(st *store.Store, client *asynq.Client, c clock.Clock) func(context.Context, *flows.Event) error {
	if c == nil {
		c = clock.Real{}
	}
	return func(ctx context.Context, ev *flows.Event) error {
		if fe := flows.ValidateEvent(ev); len(fe) > 0 {
			msgs := make([]error, len(fe))
			for i, e := range fe {
				msgs[i] = e
			}
			return fmt.Errorf("take in event %s: %w", ev.ID, errors.Join(msgs...))
		}
		now := c.Now().UTC()
		if ev.OccurredAt.IsZero() {
			ev.OccurredAt = now
		}
		b, err := json.Marshal(ev)
		if err != nil {
			return fmt.Errorf("take in event %s: %w", ev.ID, err)
		}
		ref := store.EventRef{Customer: ev.CustomerID, ID: ev.ID, JSON: b}
		got, err := st.Accept(ctx, []store.EventRef{ref}, eventTTL)
		if err != nil {
			return fmt.Errorf("take in event %s: %w", ev.ID, err)
		}
		if got[0] == store.AcceptRouted {
			return nil
		}
		if err := st.Journal(ctx, ev.CustomerID, store.Entry{
			At: now, Kind: store.KindEvent, State: "received", EventID: ev.ID, EventType: ev.Type,
			Subject: ev.Subject, Reason: "raised by ahead",
		}); err != nil {
			_ = st.ForgetEvents(ctx, []store.EventRef{ref})
			return fmt.Errorf("take in event %s: %w", ev.ID, err)
		}
		t, opts := tasks.NewRouteTask(ev.CustomerID, ev.ID)
		if _, err := client.EnqueueContext(ctx, t, opts...); err != nil && !isConflict(err) {
			_ = st.ForgetEvents(ctx, []store.EventRef{ref})
			return fmt.Errorf("queue event %s: %w", ev.ID, err)
		}
		return st.MarkRouted(ctx, []store.EventRef{ref})
	}
}
