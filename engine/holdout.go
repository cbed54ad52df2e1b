package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aheadhq/ahead/flows"
	"github.com/aheadhq/ahead/internal/metrics"
	"github.com/aheadhq/ahead/internal/store"
)

// heldOut ends a control run's step as held_out at the moment it would
// have gone out: after the deadline, skip_if, quiet hours, the window and
// the budget had their say, before a channel is tried. The journal then
// shows the exposure the holdout did not get, on the channel it would
// have used, and a cancel that came first still wins. A treatment step
// goes on.
func (g *guard) heldOut(ctx context.Context) (bool, error) {
	iv := g.iv
	if iv.Arm != flows.ArmControl {
		return false, nil
	}
	share := flows.FormatShare(g.f.Holdout.BP)
	if g.f.Holdout.BP == 0 {
		share = "a holdout"
	}
	channel := iv.Channels[min(iv.Next, len(iv.Channels)-1)]
	iv.State, iv.Reason = store.HeldOut,
		fmt.Sprintf("held out: the customer is in the control group of flow %s (%s), which gets no contact; would have gone out via %s", iv.Flow, share, channel)
	e := g.w.entry(iv, store.HeldOut, channel, iv.Reason)
	e.Cause = "holdout"
	e.Details = map[string]string{"arm": flows.ArmControl, "holdout": share}
	if err := g.w.update(ctx, iv, e); err != nil && !errors.Is(err, store.ErrCancelled) {
		return true, err
	}
	return true, nil
}

// arm returns the arm a new run of f for the customer is in, as stored on
// its interventions: flows.ArmControl, or "" for the treatment.
func arm(f *flows.Flow, customer string) string {
	if f.Holdout.BP > 0 && f.Arm(customer) == flows.ArmControl {
		return flows.ArmControl
	}
	return ""
}

// entrant is the record of a new run of a measured flow: its arm, its
// report period and its goal window, which opens at the trigger's
// occurred_at.
func entrant(f *flows.Flow, ev *flows.Event, run string, now time.Time) store.Entrant {
	end := ev.OccurredAt
	goal := ""
	if f.Goal != nil {
		end = end.Add(f.Goal.Within)
		goal = f.Goal.Spec()
	}
	return store.Entrant{
		Customer: ev.CustomerID, Run: run, Flow: f.Name, Version: f.Version,
		Period: store.Period{ID: f.Period(), Holdout: f.Holdout.Share(), Salt: f.HoldoutSalt(), Goal: goal, Since: now.UTC()},
		Arm:    f.Arm(ev.CustomerID), Event: ev.ID, Subject: ev.Subject,
		Start: ev.OccurredAt, End: end,
	}
}

// addEntrants counts the runs a batch started in their flows' reports.
func (w *Engine) addEntrants(ctx context.Context, es []store.Entrant, now time.Time) error {
	added, err := w.o.Store.AddEntrants(ctx, es, now)
	if err != nil {
		return err
	}
	for i, ok := range added {
		if ok {
			metrics.Entrants.WithLabelValues(es[i].Flow, es[i].Arm).Inc()
		}
	}
	return nil
}
