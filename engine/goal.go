package engine

import (
	"context"
	"fmt"
	"time"

	"github.com/aheadhq/ahead/flows"
	"github.com/aheadhq/ahead/internal/metrics"
	"github.com/aheadhq/ahead/internal/store"
)

// A goal event counts for a run of a measured flow when it is for the
// run's customer, occurred inside the run's goal window (from the
// trigger's occurred_at to within later), is not the trigger itself, is
// about the run's subject when the goal says same_subject and the run has
// one, and is of the goal's event type with its if true, or is a built-in
// contact the goal includes. Each customer keeps an index of the goal
// windows of their runs, so matching costs a read of that customer's
// small index per event, never a scan.

// goalInput is one thing that may count toward goals: an event, or a
// contact ahead saw itself (an inbound message, a callback request).
type goalInput struct {
	customer string
	at       time.Time
	// ev is the event, or nil for a built-in source.
	ev *flows.Event
	// source is the built-in source (flows.SourceInboundMessage, …) when
	// ev is nil.
	source string
	// id identifies the input, so that it counts once per run.
	id string
}

// measuresGoals reports whether a flow in force has a goal.
func (c *Catalog) measuresGoals() bool {
	for _, f := range c.Flows.Flows() {
		if f.Goal != nil {
			return true
		}
	}
	return false
}

// countEventGoals counts accepted events toward the goals of their
// customers' open runs.
func (w *Engine) countEventGoals(ctx context.Context, events []*flows.Event) error {
	in := make([]goalInput, len(events))
	for i, ev := range events {
		in[i] = goalInput{customer: ev.CustomerID, at: ev.OccurredAt, ev: ev, id: "event:" + ev.ID}
	}
	return w.countGoals(ctx, in)
}

// Contacted counts a contact ahead saw itself (source is one of
// flows.GoalSources) from customer at at toward the goals that include
// that source. id identifies the contact (a message id, a callback and
// its attempt), so that it counts once.
func (w *Engine) Contacted(ctx context.Context, customer, source, id string, at time.Time) error {
	return w.countGoals(ctx, []goalInput{{customer: customer, at: at, source: source, id: source + ":" + id}})
}

// countGoals matches inputs against their customers' goal windows and
// counts the hits; windows long closed are removed on the way.
func (w *Engine) countGoals(ctx context.Context, in []goalInput) error {
	cat := w.Catalog()
	if len(in) == 0 || !cat.measuresGoals() {
		return nil
	}
	customers := make([]string, len(in))
	for i, x := range in {
		customers[i] = x.customer
	}
	windows, err := w.o.Store.GoalWindows(ctx, customers)
	if err != nil {
		return err
	}
	now := w.o.Clock.Now()
	var (
		hits     []store.GoalHit
		stale    []*store.GoalWindow
		expired  = map[*store.GoalWindow]bool{}
		profiles = map[string]*flows.Customer{}
	)
	for _, x := range in {
		for _, win := range windows[x.customer] {
			if win.Expired(now) {
				if !expired[win] {
					expired[win] = true
					stale = append(stale, win)
				}
				continue
			}
			f := w.goalFlow(ctx, cat, win)
			if f == nil || f.Goal == nil {
				continue
			}
			ok, err := w.goalMatches(ctx, f, win, x, profiles)
			if err != nil {
				w.o.Log.Warn("goal condition failed", "flow", f.Name, "err", err)
				continue
			}
			if !ok {
				continue
			}
			hits = append(hits, store.GoalHit{Window: win, Event: x.id, Entry: goalEntry(f, win, x, now)})
		}
	}
	counts, err := w.o.Store.CountGoals(ctx, hits)
	if err != nil {
		return err
	}
	for i, n := range counts {
		if n == 1 {
			metrics.GoalReached.WithLabelValues(hits[i].Window.Flow, hits[i].Window.Arm).Inc()
		}
	}
	if err := w.o.Store.ForgetGoalWindows(ctx, stale); err != nil {
		w.o.Log.Warn("remove closed goal windows", "err", err)
	}
	return nil
}

// goalFlow returns the flow a run's goal is read from: the version the
// run started on, else the flow in force when it still counts in the same
// report period, else nil (the run's period has ended).
func (w *Engine) goalFlow(ctx context.Context, cat *Catalog, win *store.GoalWindow) *flows.Flow {
	cur := cat.Flows.Get(win.Flow)
	if cur != nil && cur.Version == win.Version {
		return cur
	}
	if f := w.pinned(ctx, cat, win.Flow, win.Version); f != nil {
		return f
	}
	if cur != nil && cur.Period() == win.Period {
		return cur
	}
	return nil
}

// goalMatches reports whether x counts toward the goal of run win of flow
// f. profiles caches the customers' profiles for goal.if.
func (w *Engine) goalMatches(ctx context.Context, f *flows.Flow, win *store.GoalWindow, x goalInput, profiles map[string]*flows.Customer) (bool, error) {
	g := f.Goal
	if x.at.Before(win.Start) || x.at.After(win.End) {
		return false, nil
	}
	if x.ev == nil {
		return g.Includes(x.source), nil
	}
	if x.ev.ID == win.Event || x.ev.Type != g.Event {
		return false, nil
	}
	if g.SameSubject && win.Subject != "" && x.ev.Subject != win.Subject {
		return false, nil
	}
	var cust *flows.Customer
	if g.If != "" {
		cust = profiles[x.customer]
		if cust == nil {
			p, err := w.o.Store.Profile(ctx, x.customer)
			if err != nil {
				p = nil // no profile: an empty one
			}
			cust = ProfileOf(x.customer, p)
			profiles[x.customer] = cust
		}
	}
	return g.Matches(x.ev, cust)
}

// goalEntry is the journal entry of a goal hit.
func goalEntry(f *flows.Flow, win *store.GoalWindow, x goalInput, now time.Time) store.Entry {
	what := "a " + x.source
	e := store.Entry{
		At: now, Kind: store.KindGoal, State: "counted", Flow: f.Name, Version: win.Version, Run: win.Run,
		Subject: win.Subject, Cause: "goal",
		Details: map[string]string{"arm": win.Arm, "period": win.Period, "window_end": win.End.UTC().Format(time.RFC3339)},
	}
	if x.ev != nil {
		what = fmt.Sprintf("event %s (%s)", x.ev.Type, x.ev.ID)
		e.EventID, e.EventType = x.ev.ID, x.ev.Type
	} else {
		e.Details["source"] = x.source
	}
	e.Reason = fmt.Sprintf("%s counts toward the goal of flow %s (%s arm): %s", what, f.Name, win.Arm, f.Goal.Spec())
	return e
}
