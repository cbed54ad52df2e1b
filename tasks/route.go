package tasks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/hibiken/asynq"

	"github.com/aheadhq/ahead/flows"
	"github.com/aheadhq/ahead/internal/metrics"
	"github.com/aheadhq/ahead/internal/store"
)

// TypeRoute is the kind of the task that routes one accepted event.
const TypeRoute = "event:route"

// RoutePayload names the event to route. Version 1.
type RoutePayload struct {
	V        int    `json:"v"`
	Customer string `json:"customer_id"`
	Event    string `json:"event_id"`
}

func (p *RoutePayload) version() int { return p.V }

func unmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

// NewRouteTask returns the task that routes event id of customer, with its
// deterministic task id.
func NewRouteTask(customer, id string) (*asynq.Task, []asynq.Option) {
	b, _ := json.Marshal(RoutePayload{V: 1, Customer: customer, Event: id})
	return asynq.NewTask(TypeRoute, b), []asynq.Option{
		asynq.TaskID(RouteTaskID(customer, id)), asynq.Queue(QueueEvents), asynq.MaxRetry(20),
	}
}

// ProfileOf turns a stored profile into a customer.
func ProfileOf(cus string, p store.Profile) *flows.Customer {
	return &flows.Customer{
		ID: cus, Name: p["name"], Email: p["email"], Phone: p["phone"], WhatsApp: p["whatsapp"],
		Timezone: p["timezone"], Locale: p["locale"], Formality: p["formality"],
	}
}

// ProfileFields turns a customer block into stored profile fields.
func ProfileFields(c *flows.Customer) store.Profile {
	if c == nil {
		return store.Profile{}
	}
	return store.Profile{
		"name": c.Name, "email": c.Email, "phone": c.Phone, "whatsapp": c.WhatsApp,
		"timezone": c.Timezone, "locale": c.Locale, "formality": c.Formality,
	}
}

func (w *Worker) loadEvent(ctx context.Context, cus, id string) (*flows.Event, error) {
	raw, err := w.o.Store.Event(ctx, cus, id)
	if err != nil {
		return nil, err
	}
	var ev flows.Event
	if err := json.Unmarshal(raw, &ev); err != nil {
		return nil, fmt.Errorf("decode event %q: %w", id, err)
	}
	return &ev, nil
}

func (w *Worker) loadProfile(ctx context.Context, cus string) (store.Profile, error) {
	p, err := w.o.Store.Profile(ctx, cus)
	if errors.Is(err, store.ErrNotFound) {
		return store.Profile{}, nil
	}
	return p, err
}

// HandleRoute cancels what the event cancels and starts a run of every
// flow it triggers: one intervention per step, each scheduled as a step
// task at its due time.
func (w *Worker) HandleRoute(ctx context.Context, t *asynq.Task) error {
	var p RoutePayload
	if err := decode(t, &p); err != nil {
		return err
	}
	ev, err := w.loadEvent(ctx, p.Customer, p.Event)
	if errors.Is(err, store.ErrNotFound) {
		return nil // erased since it was accepted
	}
	if err != nil {
		return err
	}
	prof, err := w.loadProfile(ctx, p.Customer)
	if err != nil {
		return err
	}
	cust := ProfileOf(p.Customer, prof)
	cat := w.Catalog()
	if err := w.cancelFor(ctx, cat, ev, cust); err != nil {
		return err
	}
	triggered, err := cat.Flows.Triggered(ev, cust)
	if err != nil {
		w.conditionFailed(ctx, ev, "trigger", err)
	}
	if len(triggered) == 0 {
		return nil
	}
	return w.schedule(ctx, ev, cust, triggered)
}

// conditionFailed logs and journals an expression (trigger.if,
// cancel_on[].if) that could not be evaluated for ev: the flows it names
// were left out, and the customer's timeline says why.
func (w *Worker) conditionFailed(ctx context.Context, ev *flows.Event, what string, err error) {
	w.o.Log.Warn(what+" condition failed", "event", ev.ID, "err", err)
	if jerr := w.o.Store.Journal(ctx, ev.CustomerID, store.Entry{
		At: w.o.Clock.Now(), Kind: store.KindEvent, State: "error", EventID: ev.ID,
		EventType: ev.Type, Subject: ev.Subject, Reason: err.Error(),
	}); jerr != nil {
		w.o.Log.Error("journal failed condition", "event", ev.ID, "err", jerr)
	}
}

// cancelFor cancels the pending interventions of flows whose cancel_on
// matches ev: same customer and, when both ev and the run have a subject,
// same subject. A run started without a subject is about the customer as a
// whole, so any matching event of that customer cancels it.
func (w *Worker) cancelFor(ctx context.Context, cat *Catalog, ev *flows.Event, cust *flows.Customer) error {
	cancels, err := cat.Flows.Cancels(ev, cust)
	if err != nil {
		w.conditionFailed(ctx, ev, "cancel", err)
	}
	if len(cancels) == 0 {
		return nil
	}
	names := make(map[string]bool, len(cancels))
	for _, f := range cancels {
		names[f.Name] = true
	}
	pending, err := w.o.Store.PendingOf(ctx, ev.CustomerID)
	if err != nil {
		return err
	}
	var ids []string
	for id, pd := range pending {
		if names[pd.Flow] && (ev.Subject == "" || pd.Subject == "" || pd.Subject == ev.Subject) {
			ids = append(ids, id)
		}
	}
	_, err = w.CancelPending(ctx, ev.CustomerID, ids, pending, store.Entry{
		At: w.o.Clock.Now(), EventID: ev.ID, EventType: ev.Type,
		Reason: fmt.Sprintf("cancelled by event %s (%s)", ev.Type, ev.ID),
	})
	return err
}

func (w *Worker) schedule(ctx context.Context, ev *flows.Event, cust *flows.Customer, triggered []*flows.Flow) error {
	now := w.o.Clock.Now()
	loc := w.location(cust.Timezone)
	occurred := ev.OccurredAt
	if occurred.IsZero() {
		occurred = now
	}
	var ivs []*store.Intervention
	var entries []store.Entry
	last := now
	for _, f := range triggered {
		run := RunID(ev.CustomerID, ev.ID, f.Name)
		for _, s := range f.Steps {
			plan := s.Due(occurred, now, loc, f.StepLateLimit(s))
			iv := &store.Intervention{
				ID: InterventionID(ev.CustomerID, ev.ID, f.Name, s.ID), Customer: ev.CustomerID,
				Run: run, Flow: f.Name, Version: f.Version, Step: s.ID, EventID: ev.ID,
				EventType: ev.Type, Subject: ev.Subject, Channels: s.Channels, Due: plan.At.UTC(),
				TaskQueue: StepQueue(ev.CustomerID, w.o.Shards), State: store.Scheduled, Reason: plan.Reason,
			}
			if plan.Late {
				iv.State = store.Skipped
			}
			due := iv.Due
			ivs = append(ivs, iv)
			entries = append(entries, store.Entry{
				At: now, Kind: store.KindIntervention, State: iv.State, EventID: ev.ID, EventType: ev.Type,
				Subject: ev.Subject, Flow: f.Name, Version: f.Version, Step: s.ID, Run: run,
				Intervention: iv.ID, Due: &due, Reason: plan.Reason,
			})
			if due.After(last) {
				last = due
			}
		}
	}
	states, err := w.o.Store.Schedule(ctx, ivs, entries)
	if err != nil {
		return err
	}
	for i, st := range states {
		if st == "created" {
			metrics.Interventions.WithLabelValues(ivs[i].State, "").Inc()
		}
	}
	// Keep the event (its data renders in the templates) until the last step is done.
	if err := w.o.Store.KeepEvent(ctx, ev.CustomerID, ev.ID, last.Sub(now)+w.o.EventTTL); err != nil {
		return err
	}
	for i, iv := range ivs {
		// A retried route finds its interventions created; enqueue those still
		// scheduled again (the task id makes that a no-op if it is queued).
		if states[i] != "created" && states[i] != store.Scheduled {
			continue
		}
		if iv.State != store.Scheduled {
			continue
		}
		if err := w.enqueueStep(ctx, iv); err != nil {
			return err
		}
	}
	return nil
}

func (w *Worker) enqueueStep(ctx context.Context, iv *store.Intervention) error {
	t, opts := NewStepTask(iv.Customer, iv.ID)
	opts = append(opts, asynq.Queue(iv.TaskQueue), asynq.MaxRetry(w.o.MaxRetry), asynq.ProcessAt(w.o.Clock.Wall(iv.Due)))
	_, err := w.o.Client.EnqueueContext(ctx, t, opts...)
	if err != nil && !errors.Is(err, asynq.ErrTaskIDConflict) && !errors.Is(err, asynq.ErrDuplicateTask) {
		return fmt.Errorf("enqueue step %s: %w", iv.ID, err)
	}
	return nil
}
