package engine

import (
	"context"

	"github.com/aheadhq/ahead/internal/store"
)

// Erase removes everything ahead holds of cus: pending work is cancelled,
// the customer's queued tasks (steps and events still to route) are
// removed, callbacks handed to another system are withdrawn there, then
// every key of the customer is deleted. A tombstone then keeps the
// customer from coming back: see Options.TombstoneTTL.
func (w *Engine) Erase(ctx context.Context, cus string) error {
	// The tombstone first: an event that arrives while the customer is
	// erased is dropped, not stored again.
	if err := w.o.Store.Bury(ctx, w.tomb(cus), w.o.Clock.Now(), w.o.TombstoneTTL); err != nil {
		return err
	}
	pending, err := w.o.Store.PendingOf(ctx, cus)
	if err != nil {
		return err
	}
	ids := make([]string, 0, len(pending))
	for id := range pending {
		ids = append(ids, id)
	}
	if _, err := w.CancelPending(ctx, cus, ids, pending, store.Entry{At: w.o.Clock.Now().UTC(), Cause: "erased", Reason: "customer erased"}); err != nil {
		return err
	}
	// Task payloads name the customer, so they go too, whatever their state.
	ivs, err := w.o.Store.Interventions(ctx, cus)
	if err != nil {
		return err
	}
	for _, iv := range ivs {
		w.DropTask(iv.TaskQueue, cus, iv.ID)
		if iv.TaskID != "" && iv.TaskID != iv.ID {
			w.DropTask(iv.TaskQueue, cus, iv.TaskID)
		}
	}
	events, err := w.o.Store.EventIDs(ctx, cus)
	if err != nil {
		return err
	}
	for _, id := range events {
		if err := w.o.Queue.DropRoute(cus, id); err != nil {
			w.o.Log.Warn("remove route task", "event", id, "err", err)
		}
	}
	// Callbacks exported to TaskRouter carry the customer's name and number
	// there: withdraw them first.
	if w.o.Forget != nil {
		if err := w.o.Forget(ctx, cus); err != nil {
			return err
		}
	}
	return w.o.Store.Erase(ctx, cus)
}
