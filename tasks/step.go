package tasks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/hibiken/asynq"

	"github.com/aheadhq/ahead/channels"
	"github.com/aheadhq/ahead/flows"
	"github.com/aheadhq/ahead/internal/metrics"
	"github.com/aheadhq/ahead/internal/signed"
	"github.com/aheadhq/ahead/internal/store"
	"github.com/aheadhq/ahead/templates"
)

// TypeStep is the kind of the task that runs one intervention at its due time.
const TypeStep = "step:run"

// StepPayload names the intervention to run. Version 1.
type StepPayload struct {
	V            int    `json:"v"`
	Customer     string `json:"customer_id"`
	Intervention string `json:"intervention_id"`
}

func (p *StepPayload) version() int { return p.V }

// NewStepTask returns the task that runs intervention id of customer; its
// task id is the intervention id.
func NewStepTask(customer, id string) (*asynq.Task, []asynq.Option) {
	b, _ := json.Marshal(StepPayload{V: 1, Customer: customer, Intervention: id})
	return asynq.NewTask(TypeStep, b), []asynq.Option{asynq.TaskID(id)}
}

// ContactPoint returns the customer's address for a channel, or "".
func ContactPoint(channel string, c *flows.Customer) string {
	switch channel {
	case channels.Email:
		return c.Email
	case channels.SMS, channels.Callback:
		return c.Phone
	case channels.WhatsApp:
		if c.WhatsApp != "" {
			return c.WhatsApp
		}
		return c.Phone
	case channels.Outbox:
		for _, v := range []string{c.Email, c.Phone, c.WhatsApp} {
			if v != "" {
				return v
			}
		}
		return c.ID
	}
	return c.ID
}

// OptOutField is the profile field that records an opt-out from channel.
func OptOutField(channel string) string { return "optout_" + channel }

// HandleStep runs one intervention: it claims it (unless it was cancelled
// or already sent), renders the template and sends it over the first
// channel that takes it, falling back on permanent failures, and journals
// the outcome. The sent-marker is written before the handler returns.
func (w *Worker) HandleStep(ctx context.Context, t *asynq.Task) error {
	var p StepPayload
	if err := decode(t, &p); err != nil {
		return err
	}
	iv, ok, err := w.o.Store.Begin(ctx, p.Customer, p.Intervention)
	if errors.Is(err, store.ErrNotFound) {
		return nil // erased
	}
	if err != nil {
		return err
	}
	if !ok {
		return nil // cancelled, or already sent by an earlier try
	}
	if iv.Attempts == 1 {
		metrics.Lag.Observe(w.o.Clock.Now().Sub(iv.Due).Seconds() / w.scale())
	}
	ev, err := w.loadEvent(ctx, iv.Customer, iv.EventID)
	if errors.Is(err, store.ErrNotFound) {
		return w.end(ctx, iv, store.Failed, "", "trigger event is no longer stored")
	}
	if err != nil {
		return w.retry(ctx, iv, err)
	}
	prof, err := w.loadProfile(ctx, iv.Customer)
	if err != nil {
		return w.retry(ctx, iv, err)
	}
	cust := ProfileOf(iv.Customer, prof)
	cat := w.Catalog()
	f := cat.Flows.Get(iv.Flow)
	var step *flows.Step
	if f != nil {
		for _, s := range f.Steps {
			if s.ID == iv.Step {
				step = s
			}
		}
	}
	switch {
	case f == nil:
		return w.end(ctx, iv, store.Skipped, "", fmt.Sprintf("flow %s is no longer loaded", iv.Flow))
	case step == nil:
		return w.end(ctx, iv, store.Skipped, "", fmt.Sprintf("flow %s no longer has step %s", iv.Flow, iv.Step))
	}
	for iv.Next < len(iv.Channels) {
		name := iv.Channels[iv.Next]
		reason, code, err := w.try(ctx, iv, name, cat, f, step, ev, cust, prof)
		if err == nil {
			return nil
		}
		if !channels.IsPermanent(err) {
			return w.retry(ctx, iv, err)
		}
		iv.Next++
		state := "fallback"
		if iv.Next >= len(iv.Channels) {
			return w.end(ctx, iv, store.Failed, code, fmt.Sprintf("%s: %s; no channel left", name, reason))
		}
		e := w.entry(iv, state, name, fmt.Sprintf("%s: %s; trying %s", name, reason, iv.Channels[iv.Next]))
		e.Code = code
		if err := w.update(ctx, iv, e); err != nil {
			return err
		}
	}
	return w.end(ctx, iv, store.Failed, "", "no channel left")
}

// try sends iv over one channel. A nil error means it was sent and
// journaled; a permanent error comes with the reason to journal.
func (w *Worker) try(ctx context.Context, iv *store.Intervention, name string, cat *Catalog, f *flows.Flow, step *flows.Step, ev *flows.Event, cust *flows.Customer, prof store.Profile) (reason, code string, err error) {
	ch := w.o.Channels[name]
	if ch == nil {
		return "channel not configured", "", channels.Permanent(name, "", errors.New("channel not configured"))
	}
	if prof[OptOutField(name)] != "" {
		return "customer opted out", "", channels.Permanent(name, "", errors.New("opted out"))
	}
	to := ContactPoint(name, cust)
	if to == "" {
		return "no contact point", "", channels.Permanent(name, "", channels.ErrNoContact)
	}
	formality := cust.Formality
	if formality == "" {
		formality = w.o.Formality
	}
	locale := cust.Locale
	if locale == "" {
		locale = w.o.Locale
	}
	r, err := cat.Templates.Render(step.Template, name, locale, formality, w.o.Locale, templates.Data{
		Customer: cust, Event: ev,
		Flow: templates.FlowInfo{Name: f.Name, Description: f.Description},
		Step: templates.StepInfo{ID: step.ID},
	})
	if err != nil {
		return "render template: " + err.Error(), "", channels.Permanent(name, "", err)
	}
	m := &channels.Message{
		ID: iv.ID, CustomerID: iv.Customer, Flow: iv.Flow, Step: iv.Step, Channel: name,
		To: to, Name: cust.Name, Subject: r.Subject, Text: r.Text, HTML: r.HTML,
		Queue: step.Queue, Locale: r.Locale, Formality: r.Formality, Due: iv.Due,
	}
	if w.o.PublicURL != "" && len(w.o.SigningKey) > 0 && name != channels.Callback {
		m.Unsubscribe = w.o.PublicURL + "/v1/unsubscribe/" + signed.Token(w.o.SigningKey, iv.Customer, name)
	}
	rc, err := ch.Send(ctx, m)
	if err != nil {
		return err.Error(), channels.Code(err), err
	}
	iv.State, iv.Channel, iv.ProviderID, iv.Code = store.Sent, name, rc.ProviderID, ""
	variant := r.Locale
	if r.Formality != "" {
		variant += ", " + r.Formality
	}
	e := w.entry(iv, store.Sent, name, fmt.Sprintf("sent via %s (%s)", name, variant))
	e.ProviderID = rc.ProviderID
	if err := w.update(ctx, iv, e); err != nil {
		// The message went out; returning the error would send it again.
		w.o.Log.Error("record sent intervention", "intervention", iv.ID, "err", err)
	}
	return "", "", nil
}

// recordTimeout bounds how long recording an intervention's progress may
// take once the task's own context has ended.
const recordTimeout = 10 * time.Second

// update stores iv's progress with its journal entries and counts them.
// It goes on when ctx is cancelled (a shutdown, the task's deadline): a
// message that went out must be recorded as sent, or the next try sends it
// again.
func (w *Worker) update(ctx context.Context, iv *store.Intervention, entries ...store.Entry) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	if err := w.o.Store.Update(ctx, iv, entries...); err != nil {
		return err
	}
	for _, e := range entries {
		metrics.Interventions.WithLabelValues(e.State, e.Channel).Inc()
	}
	return nil
}

func (w *Worker) entry(iv *store.Intervention, state, channel, reason string) store.Entry {
	due := iv.Due
	return store.Entry{
		At: w.o.Clock.Now(), Kind: store.KindIntervention, State: state, EventID: iv.EventID,
		EventType: iv.EventType, Subject: iv.Subject, Flow: iv.Flow, Version: iv.Version,
		Step: iv.Step, Run: iv.Run, Intervention: iv.ID, Channel: channel, Due: &due, Reason: reason,
	}
}

// end puts iv in a final state with its reason.
func (w *Worker) end(ctx context.Context, iv *store.Intervention, state, code, reason string) error {
	iv.State, iv.Reason, iv.Code = state, reason, code
	e := w.entry(iv, state, "", reason)
	e.Code = code
	return w.update(ctx, iv, e)
}

// retry hands a transient failure back to asynq for a later try, or ends
// the intervention as failed when the tries are used up.
func (w *Worker) retry(ctx context.Context, iv *store.Intervention, cause error) error {
	n, _ := asynq.GetRetryCount(ctx)
	max, ok := asynq.GetMaxRetry(ctx)
	name := ""
	if iv.Next < len(iv.Channels) {
		name = iv.Channels[iv.Next]
	}
	if ok && n >= max {
		if err := w.end(ctx, iv, store.Failed, channels.Code(cause), fmt.Sprintf("gave up after %d tries: %v", n+1, cause)); err != nil {
			return err
		}
		return fmt.Errorf("step %s: %w: %w", iv.ID, cause, asynq.SkipRetry)
	}
	iv.State, iv.Code = store.Scheduled, channels.Code(cause)
	e := w.entry(iv, "retrying", name, fmt.Sprintf("try %d failed, will retry: %v", n+1, cause))
	e.Code = iv.Code
	if err := w.update(ctx, iv, e); err != nil {
		return err
	}
	return fmt.Errorf("step %s: %w", iv.ID, cause)
}
