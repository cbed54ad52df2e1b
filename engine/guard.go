package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aheadhq/ahead/flows"
	"github.com/aheadhq/ahead/internal/store"
)

// contactWindow is how far back contacts count for skip_if and budgets.
const contactWindow = 30 * 24 * time.Hour

// maxDeferrals bounds how often one intervention is deferred.
const maxDeferrals = 50

// guard decides, when a step comes due, whether it goes out now, later or
// not at all. Quiet hours, windows and budgets only ever defer; skip_if and
// deadlines skip.
type guard struct {
	w        *Engine
	iv       *store.Intervention
	f        *flows.Flow
	step     *flows.Step
	ev       *flows.Event
	cust     *flows.Customer
	prof     store.Profile
	policy   *flows.Policy
	contacts []store.Contact // of the last contactWindow, read with the step
	since    []string        // event types since the trigger, when read with the step
	reserved *store.Contact
}

// check applies the guards. done means the intervention was settled
// (skipped or deferred) and the handler must stop.
func (g *guard) check(ctx context.Context) (done bool, err error) {
	w, iv := g.w, g.iv
	now := w.o.Clock.Now()
	loc := w.location(g.cust.Timezone)
	if done, err := g.tooLate(ctx, now, loc); done || err != nil {
		return done, err
	}
	contacts := g.contacts
	if g.step.SkipIf != "" {
		if done, err := g.skipIf(ctx, now, contacts); done || err != nil {
			return done, err
		}
	}
	at, cause, why := g.allowed(now, loc, contacts)
	if at.After(now) {
		return true, g.deferTo(ctx, at, cause, why)
	}
	if done, err := g.heldOut(ctx); done || err != nil {
		return done, err
	}
	// Take the place in the budget; a worker that took it first defers us.
	c := store.Contact{Intervention: iv.ID, At: now, Channel: iv.Channels[min(iv.Next, len(iv.Channels)-1)], Flow: iv.Flow, Step: iv.Step}
	per, max, gap := g.budget()
	ok, err := w.o.Store.Reserve(ctx, iv.Customer, c, per, max, gap)
	if err != nil {
		return true, w.retry(ctx, iv, err)
	}
	if !ok {
		contacts, err := w.o.Store.Contacts(ctx, iv.Customer, now.Add(-contactWindow))
		if err != nil {
			return true, w.retry(ctx, iv, err)
		}
		at, cause, why := g.allowed(now.Add(time.Second), loc, contacts)
		return true, g.deferTo(ctx, at, cause, why)
	}
	g.reserved = &c
	return false, nil
}

// release gives back the budget place of a contact that did not happen.
func (g *guard) release(ctx context.Context) {
	if g.reserved == nil {
		return
	}
	if err := g.w.o.Store.Release(context.WithoutCancel(ctx), g.iv.Customer, *g.reserved); err != nil {
		g.w.o.Log.Warn("release contact budget", "intervention", g.iv.ID, "err", err)
	}
	g.reserved = nil
}

// allowed returns the first instant at or after t at which quiet hours,
// the step's window and the contact budget all allow the step, with the
// rules that moved it.
func (g *guard) allowed(t time.Time, loc *time.Location, contacts []store.Contact) (time.Time, string, string) {
	var times []time.Time
	for _, c := range contacts {
		if c.Intervention != g.iv.ID {
			times = append(times, c.At)
		}
	}
	limit := 0
	if g.policy.Budget != nil {
		limit = g.policy.Budget.Limit(g.f.Purpose)
	}
	var causes, why []string
	note := func(cause, reason string) {
		if reason == "" {
			return
		}
		if !strings.Contains(strings.Join(causes, ","), cause) {
			causes = append(causes, cause)
		}
		why = append(why, reason)
	}
	for i := 0; i < 16; i++ {
		start := t
		var r string
		t, r = g.quiet(t, loc)
		note("quiet_hours", r)
		t, r = g.window(t, loc)
		note("window", r)
		t, r = g.policy.Budget.NextBudget(t, times, limit)
		note("budget", r)
		if t.Equal(start) {
			break
		}
	}
	return t, strings.Join(causes, ","), strings.Join(why, "; ")
}

// deferTo moves the step to at, or skips it when at is past its deadline.
func (g *guard) deferTo(ctx context.Context, at time.Time, cause, why string) error {
	w, iv := g.w, g.iv
	loc := w.location(g.cust.Timezone)
	deadline := g.deadline()
	details := map[string]string{"deferred_to": at.UTC().Format(time.RFC3339), "deadline": deadline.UTC().Format(time.RFC3339)}
	if at.After(deadline) || iv.Deferrals >= maxDeferrals {
		return w.endWith(ctx, iv, store.Skipped, cause,
			fmt.Sprintf("%s; that is past the deadline %s", why, stampIn(deadline, loc)), details)
	}
	iv.Deferrals++
	iv.TaskID = fmt.Sprintf("%s-d%d", iv.ID, iv.Deferrals)
	iv.Occurred = g.ev.OccurredAt
	iv.Due, iv.State = at.UTC(), store.Scheduled
	// Queue the deferred task before recording it: a failure in between
	// leaves this task to be retried, never an intervention without a task.
	if err := w.EnqueueStep(ctx, iv); err != nil {
		return err
	}
	e := w.entry(iv, "deferred", "", why)
	e.Cause, e.Details = cause, details
	err := w.update(ctx, iv, e)
	if errors.Is(err, store.ErrCancelled) {
		// Cancelled while it was being deferred: the new task must go.
		w.DropTask(iv.TaskQueue, iv.Customer, iv.TaskID)
		return nil
	}
	return err
}
