package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/aheadhq/ahead/flows"
	"github.com/aheadhq/ahead/internal/store"
)

// ErrUnavailable wraps a failure of the store: the caller may try again
// later, and nothing of what it handed in was kept.
var ErrUnavailable = errors.New("store unavailable")

// intakeTimeout bounds storing and routing one batch. A producer that
// hangs up meanwhile does not cut the batch short: what was accepted is
// routed, or handed to route tasks, or forgotten, whole.
const intakeTimeout = 30 * time.Second

// Ingest takes in validated events, posted by a producer: it stores the
// new ones (a repeated id is counted as a duplicate and ignored), updates
// the customers' profiles and consent, journals each event and routes
// them, or hands them to route tasks when routing fails. If that fails
// too, the events are forgotten again, so that the producer's retry is not
// taken for a duplicate, and the error wraps ErrUnavailable.
func (w *Engine) Ingest(ctx context.Context, events []*flows.Event) (accepted, dups int, err error) {
	in, err := w.Take(ctx, events)
	return in.Accepted, in.Duplicates, err
}

// Intake counts what became of a batch of events.
type Intake struct {
	// Accepted events are stored and routed; Duplicates were taken before
	// (or twice in the batch); Erased belong to erased customers and are
	// dropped.
	Accepted   int `json:"accepted"`
	Duplicates int `json:"duplicates"`
	Erased     int `json:"erased,omitempty"`
}

// Take takes in events as Ingest does and counts all that became of them.
func (w *Engine) Take(ctx context.Context, events []*flows.Event) (Intake, error) {
	return w.intake(ctx, events, "")
}

// Raise takes in an event that ahead raises itself (a callback queue's
// on_exhausted event) the way Ingest takes in a posted one, so flows can
// trigger on it; its journal entry says it was raised by ahead.
func (w *Engine) Raise(ctx context.Context, ev *flows.Event) error {
	if fe := flows.ValidateEventAt(ev, w.o.Clock.Now()); len(fe) > 0 {
		msgs := make([]error, len(fe))
		for i, e := range fe {
			msgs[i] = e
		}
		return fmt.Errorf("take in event %s: %w", ev.ID, errors.Join(msgs...))
	}
	if _, err := w.intake(ctx, []*flows.Event{ev}, "raised by ahead"); err != nil {
		return fmt.Errorf("take in event %s: %w", ev.ID, err)
	}
	return nil
}

// intake is the one way events come in; reason, when set, is journaled
// with each event's received entry.
func (w *Engine) intake(ctx context.Context, events []*flows.Event, reason string) (in Intake, err error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), intakeTimeout)
	defer cancel()
	now := w.o.Clock.Now().UTC()
	customers := make([]string, 0, len(events))
	for _, ev := range events {
		customers = append(customers, ev.CustomerID)
	}
	erased, err := w.erased(ctx, slices.Compact(slices.Sorted(slices.Values(customers))))
	if err != nil {
		return in, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	seen := map[[2]string]bool{}
	var refs []store.EventRef
	var uniq []*flows.Event
	for _, ev := range events {
		k := [2]string{ev.CustomerID, ev.ID}
		if erased[ev.CustomerID] {
			in.Erased++
			continue
		}
		if seen[k] {
			in.Duplicates++
			continue
		}
		seen[k] = true
		if ev.OccurredAt.IsZero() {
			ev.OccurredAt = now
		}
		// The event is stored with its receipt, from which its "received"
		// entry is made for the timeline.
		b, err := json.Marshal(struct {
			*flows.Event
			store.Receipt
		}{ev, store.Receipt{ReceivedNS: now.UnixNano(), Via: reason}})
		if err != nil {
			return in, err
		}
		refs = append(refs, store.EventRef{Customer: ev.CustomerID, ID: ev.ID, JSON: b})
		uniq = append(uniq, ev)
	}
	got, err := w.o.Store.Accept(ctx, refs, w.EventTTL())
	if err != nil {
		return in, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	// An event stored before but never routed was taken by a process that
	// stopped halfway; the producer, who got no answer, sends it again. It
	// is taken as new, and what routing it the first time journaled is not
	// journaled again.
	var newRefs []store.EventRef
	var newEvents []*flows.Event
	again := map[*flows.Event]bool{}
	for i, a := range got {
		if a == store.AcceptRouted {
			in.Duplicates++
			continue
		}
		newRefs = append(newRefs, refs[i])
		newEvents = append(newEvents, uniq[i])
		if a == store.AcceptUnrouted {
			again[uniq[i]] = true
		}
	}
	rollback := func(cause error) (Intake, error) {
		if err := w.o.Store.ForgetEvents(ctx, newRefs); err != nil {
			w.o.Log.Error("forget events after failed intake", "err", err)
		}
		return Intake{}, fmt.Errorf("%w: %w", ErrUnavailable, cause)
	}
	// An event taken again is stored as it comes now, with its receipt.
	var retaken []store.EventRef
	for i, ev := range newEvents {
		if again[ev] {
			retaken = append(retaken, newRefs[i])
		}
	}
	if err := w.o.Store.Restore(ctx, retaken); err != nil {
		return rollback(err)
	}
	received := make([]store.Received, len(newEvents))
	for i, ev := range newEvents {
		received[i] = store.Received{Customer: ev.CustomerID}
		if ev.Customer != nil {
			received[i].Profile = ProfileFields(ev.Customer)
		}
	}
	if err := w.o.Store.Receive(ctx, received); err != nil {
		return rollback(err)
	}
	for _, ev := range newEvents {
		if ev.Customer != nil && len(ev.Customer.Consent) > 0 {
			if err := w.o.Store.SetConsent(ctx, ev.CustomerID, ConsentOf(ev.Customer), ev.OccurredAt); err != nil {
				return rollback(err)
			}
		}
	}
	// Route the batch now, so its steps are scheduled when the answer
	// comes. Should that fail, route tasks take over: nothing accepted is
	// lost.
	if err := w.RouteEvents(ctx, newEvents, func(ev *flows.Event) bool { return again[ev] }); err != nil {
		w.o.Log.Warn("route events: handing them to route tasks", "events", len(newEvents), "err", err)
		for _, ev := range newEvents {
			if err := w.o.Queue.Route(ctx, ev.CustomerID, ev.ID); err != nil {
				return rollback(err)
			}
		}
	}
	// Count the events toward the goals of the customers' runs, after
	// routing, so that a run this batch started sees its goal events.
	if err := w.countEventGoals(ctx, newEvents); err != nil {
		return rollback(err)
	}
	if err := w.o.Store.MarkRouted(ctx, newRefs); err != nil {
		// Routed all the same; a repeat of these events would be routed
		// again, which creates nothing new.
		w.o.Log.Warn("mark events routed", "events", len(newRefs), "err", err)
	}
	in.Accepted = len(newEvents)
	return in, nil
}
