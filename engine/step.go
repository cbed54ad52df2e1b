package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aheadhq/ahead/channels"
	"github.com/aheadhq/ahead/flows"
	"github.com/aheadhq/ahead/internal/metrics"
	"github.com/aheadhq/ahead/internal/signed"
	"github.com/aheadhq/ahead/internal/store"
	"github.com/aheadhq/ahead/templates"
)

// StepRef names the intervention a step task runs. Event and Occurred,
// when the task carries them, name its trigger event, so that the step's
// state is read with its claim.
type StepRef struct {
	Customer     string
	Intervention string
	Event        string
	Occurred     time.Time
}

// RunStep runs one intervention: it claims it (unless it was cancelled
// or already sent), applies the guards (flow still loaded, not too late,
// skip_if, quiet hours, the contact budget), renders the template and sends
// it over the first channel that takes it, falling back on permanent
// failures, and journals the outcome. The sent-marker is written before
// RunStep returns. An error wrapping channels.ErrNoRetry is final; any
// other error asks for another try (see WithTry).
func (w *Engine) RunStep(ctx context.Context, p StepRef) error {
	since := w.o.Clock.Now().Add(-contactWindow)
	iv, ok, state, err := w.claim(ctx, &p, since)
	if errors.Is(err, store.ErrNotFound) {
		return nil // erased
	}
	if err != nil {
		return err
	}
	if !ok {
		if iv.CancelCause != "" {
			countHeldCancel(iv) // the claim found a held cancel and applied it
		}
		return nil // cancelled, or already sent by an earlier try
	}
	if err := w.notEarly(ctx, iv); err != nil {
		return w.retry(ctx, iv, err)
	}
	if iv.Attempts == 1 {
		metrics.Lag.Observe(w.o.Clock.Now().Sub(iv.Due).Seconds() / w.scale())
	}
	if iv.Interrupted && !resendable(iv) {
		// The worker of an earlier try died past the channel's point of no
		// return: the provider may have the message. Sending it again could
		// reach the customer twice. (A try that died before that point is
		// not interrupted: it is simply tried again.)
		return w.endWith(ctx, iv, store.Failed, "interrupted",
			"an earlier try stopped after the message was handed to the provider (its worker died); it may have gone out, so it is not sent again", nil)
	}
	if state == nil {
		if state, err = w.o.Store.LoadStep(ctx, iv.Customer, iv.EventID, since); err != nil {
			return w.retry(ctx, iv, err)
		}
	}
	if state.Event == nil {
		return w.end(ctx, iv, store.Failed, "", "trigger event is no longer stored")
	}
	ev := new(flows.Event)
	if err := json.Unmarshal(state.Event, ev); err != nil {
		return w.end(ctx, iv, store.Failed, "", "trigger event cannot be read: "+err.Error())
	}
	prof := state.Profile
	cust := ProfileOf(iv.Customer, prof)
	cat := w.Catalog()
	f, step, cause, why := w.resolve(ctx, cat, iv)
	if cause != "" {
		return w.endWith(ctx, iv, store.Skipped, cause, why, nil)
	}
	g := &guard{w: w, iv: iv, f: f, step: step, ev: ev, cust: cust, prof: prof, policy: cat.Flows.Policy(), contacts: state.Contacts, since: state.Since}
	if done, err := g.check(ctx); done || err != nil {
		return err
	}
	// unwanted stays true while every channel was declined by the
	// customer's own word (no consent, an opt-out): the step is then
	// skipped, not failed.
	unwanted := true
	for iv.Next < len(iv.Channels) {
		name := iv.Channels[iv.Next]
		fail, err := w.try(ctx, iv, name, cat, f, step, ev, cust, prof)
		if err == nil {
			return nil
		}
		if s := (*stopped)(nil); errors.As(err, &s) {
			g.release(ctx)
			return w.stop(ctx, iv, s.err)
		}
		if !channels.IsPermanent(err) {
			g.release(ctx)
			return w.retry(ctx, iv, err)
		}
		unwanted = unwanted && (fail.cause == "no_consent" || fail.cause == "opted_out")
		iv.Next++
		if iv.Next >= len(iv.Channels) {
			g.release(ctx)
			iv.Code = fail.code
			state := store.Failed
			if unwanted {
				state = store.Skipped
			}
			return w.endWith(ctx, iv, state, fail.cause, fmt.Sprintf("%s: %s; no channel left", name, fail.reason), nil)
		}
		e := w.entry(iv, "fallback", name, fmt.Sprintf("%s: %s; trying %s", name, fail.reason, iv.Channels[iv.Next]))
		e.Code, e.Cause = fail.code, fail.cause
		if err := w.update(ctx, iv, e); err != nil {
			g.release(ctx)
			if errors.Is(err, store.ErrCancelled) {
				return nil // cancelled while the first channel refused it
			}
			return err
		}
	}
	g.release(ctx)
	return w.end(ctx, iv, store.Failed, "", "no channel left")
}

// claim takes the intervention p names for sending (see Store.Begin). A
// task that names its trigger has the step's state read with the claim;
// otherwise state is nil.
func (w *Engine) claim(ctx context.Context, p *StepRef, since time.Time) (iv *store.Intervention, ok bool, state *store.StepState, err error) {
	if p.Event == "" {
		iv, ok, err = w.o.Store.Begin(ctx, p.Customer, p.Intervention)
		return iv, ok, nil, err
	}
	return w.o.Store.Start(ctx, p.Customer, p.Intervention, p.Event, p.Occurred, since)
}

// resendable reports whether the channel an interrupted try was on takes
// the same message twice as once: a callback and the outbox are keyed by
// the intervention id.
func resendable(iv *store.Intervention) bool {
	if iv.Next >= len(iv.Channels) {
		return false
	}
	switch iv.Channels[iv.Next] {
	case channels.Callback, channels.Outbox:
		return true
	}
	return false
}

// resolve finds the flow and step an intervention runs: the step as it was
// in the flow version the run started on, as long as the flow in force
// still has that step. Otherwise it returns why the step is skipped.
func (w *Engine) resolve(ctx context.Context, cat *Catalog, iv *store.Intervention) (f *flows.Flow, s *flows.Step, cause, why string) {
	cur := cat.Flows.Get(iv.Flow)
	if cur == nil {
		return nil, nil, "flow_removed", fmt.Sprintf("flow %s is no longer loaded", iv.Flow)
	}
	if cur.Step(iv.Step) == nil {
		return nil, nil, "step_removed", fmt.Sprintf("flow %s no longer has step %s", iv.Flow, iv.Step)
	}
	f = cur
	if iv.Version != "" && iv.Version != cur.Version {
		if pinned := w.pinned(ctx, cat, iv.Flow, iv.Version); pinned != nil {
			f = pinned
		}
	}
	s = f.Step(iv.Step)
	if s == nil {
		s = cur.Step(iv.Step)
	}
	return f, s, "", ""
}

// pinned loads a flow as it was in an earlier version, or nil when that
// version is not stored or no longer loads (its templates were removed).
func (w *Engine) pinned(ctx context.Context, cat *Catalog, name, version string) *flows.Flow {
	key := name + "@" + version
	if f, ok := w.versions.Load(key); ok {
		return f.(*flows.Flow)
	}
	src, err := w.o.Store.FlowSource(ctx, version)
	if err != nil {
		w.o.Log.Warn("flow version not stored; running on the flow in force", "flow", name, "version", version, "err", err)
		return nil
	}
	set, err := flows.Parse(name+"@"+version+".yaml", src, checker{cat.Templates, cat.Content})
	if err != nil {
		w.o.Log.Warn("flow version no longer loads; running on the flow in force", "flow", name, "version", version, "err", err)
		return nil
	}
	f := set.Get(name)
	if f != nil {
		w.versions.Store(key, f)
	}
	return f
}

// whatsAppWindow is how long after a customer's last WhatsApp message
// free text may be sent; after it only approved templates may.
const whatsAppWindow = 24 * time.Hour

// sessionOpen reports whether the customer's WhatsApp service window is
// open: they wrote on WhatsApp less than 24 hours ago.
func sessionOpen(p *Profile, now time.Time) bool {
	t, ok := p.LastInboundOn[channels.WhatsApp]
	return ok && now.Sub(t) < whatsAppWindow
}

// whatsAppContent renders the approved WhatsApp template of a step's
// template for the customer, or nil when the folder has none for it.
func whatsAppContent(cat *Catalog, name, locale, formality, defaultLocale string, d templates.Data) (*channels.Content, error) {
	if !cat.Content.Has(name) {
		return nil, nil
	}
	c, err := cat.Content.Render(name, locale, formality, defaultLocale, d)
	if errors.Is(err, templates.ErrNoVariant) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &channels.Content{SID: c.SID, Variables: c.Variables}, nil
}

// failure says why a channel did not take a message.
type failure struct {
	reason, code, cause string
}

// try sends iv over one channel. A nil error means it was sent and
// journaled; a permanent error comes with the failure to journal.
func (w *Engine) try(ctx context.Context, iv *store.Intervention, name string, cat *Catalog, f *flows.Flow, step *flows.Step, ev *flows.Event, cust *flows.Customer, prof store.Profile) (failure, error) {
	refuse := func(reason, cause string, err error) (failure, error) {
		return failure{reason: reason, cause: cause}, channels.Permanent(name, "", err)
	}
	ch := w.o.Channels[name]
	if ch == nil {
		return refuse("channel not configured", "not_configured", errors.New("channel not configured"))
	}
	p := ReadProfile(iv.Customer, prof)
	if reason, cause := consent(name, f, p); cause != "" {
		return refuse(reason, cause, errors.New(reason))
	}
	to, reason := reach(name, p)
	if to == "" {
		return refuse(reason, "no_contact", channels.ErrNoContact)
	}
	formality := cust.Formality
	if formality == "" {
		formality = w.o.Formality
	}
	locale := cust.Locale
	if locale == "" {
		locale = w.o.Locale
	}
	data := templates.Data{
		Customer: cust, Event: ev,
		Flow: templates.FlowInfo{Name: f.Name, Description: f.Description},
		Step: templates.StepInfo{ID: step.ID},
	}
	r := &templates.Rendered{Locale: locale, Formality: formality}
	var err error
	if name != channels.WhatsApp || !cat.Content.Has(step.Template) || cat.Templates.Has(step.Template, name) {
		r, err = cat.Templates.Render(step.Template, name, locale, formality, w.o.Locale, data)
	}
	if err != nil {
		return refuse(err.Error(), "template", err)
	}
	var content *channels.Content
	if name == channels.WhatsApp {
		if content, err = whatsAppContent(cat, step.Template, locale, formality, w.o.Locale, data); err != nil {
			return refuse("render content template: "+err.Error(), "template", err)
		}
	}
	m := &channels.Message{
		ID: iv.ID, CustomerID: iv.Customer, EventID: iv.EventID, Flow: iv.Flow, Step: iv.Step, Channel: name,
		To: to, Name: cust.Name, Subject: r.Subject, Text: r.Text, HTML: r.HTML,
		Queue: step.Queue, Locale: r.Locale, Formality: r.Formality, Due: iv.Due,
		Content: content, SessionOpen: name == channels.WhatsApp && sessionOpen(p, w.o.Clock.Now()),
	}
	if w.o.PublicURL != "" && len(w.o.SigningKey) > 0 && name != channels.Callback {
		m.Unsubscribe = w.o.PublicURL + "/v1/unsubscribe/" + signed.Token(w.o.SigningKey, iv.Customer, unsubscribeWord(f, name))
	}
	// The point of no return is recorded before the message may leave; a
	// try that dies before it is tried again (see store.Commit).
	cm := &commit{ctx: ctx, st: w.o.Store, iv: iv}
	m.Commit = cm.call
	if !channels.CallsCommit(ch) {
		if err := cm.call(); err != nil {
			return failure{}, &stopped{err}
		}
	}
	rc, err := ch.Send(ctx, m)
	if err != nil {
		if cerr := cm.refusal(); cerr != nil {
			return failure{}, &stopped{cerr}
		}
		return failure{reason: channels.Reason(err), code: channels.Code(err), cause: "provider"}, err
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
	return failure{}, nil
}

// recordTimeout bounds how long recording an intervention's progress may
// take once the task's own context has ended.
const recordTimeout = 10 * time.Second

// outcomeReason maps a final journal entry's cause to the reasons
// /metrics counts by.
func outcomeReason(e store.Entry) string {
	switch e.State {
	case store.Sent:
		return metrics.ReasonDelivered
	case store.Cancelled:
		return cancelReason(e.Cause)
	}
	switch e.Cause {
	case "too_late":
		return metrics.ReasonTooLate
	case "from":
		return metrics.ReasonFromDate
	case "interrupted":
		return metrics.ReasonInterrupted
	case "skip_if":
		return metrics.ReasonSkipIf
	case "budget":
		return metrics.ReasonBudget
	case "quiet_hours", "window":
		return metrics.ReasonDeadline
	case "opted_out", "no_consent":
		return metrics.ReasonOptedOut
	case "no_contact":
		return metrics.ReasonNoContact
	case "not_configured":
		return metrics.ReasonNotConfigured
	case "template":
		return metrics.ReasonRender
	case "provider":
		return metrics.ReasonProvider
	case "flow_removed", "step_removed":
		return metrics.ReasonFlowGone
	case "holdout":
		return metrics.ReasonHeldOut
	}
	if strings.HasPrefix(e.Reason, "gave up after") {
		return metrics.ReasonRetries
	}
	return metrics.ReasonOther
}

// update stores iv's progress with its journal entries and counts them.
// It goes on when ctx is cancelled (a shutdown, the task's deadline): a
// message that went out must be recorded as sent, or the next try sends it
// again.
func (w *Engine) update(ctx context.Context, iv *store.Intervention, entries ...store.Entry) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	if err := w.o.Store.Update(ctx, iv, entries...); errors.Is(err, store.ErrCancelled) {
		countHeldCancel(iv)
		return err
	} else if err != nil {
		return err
	}
	for _, e := range entries {
		metrics.Interventions.WithLabelValues(e.State, e.Channel).Inc()
		if store.Final(e.State) {
			countOutcome(iv, e)
		}
	}
	w.warnFailed(iv, entries)
	return nil
}

func (w *Engine) entry(iv *store.Intervention, state, channel, reason string) store.Entry {
	due := iv.Due
	return store.Entry{
		At: w.o.Clock.Now(), Kind: store.KindIntervention, State: state, EventID: iv.EventID,
		EventType: iv.EventType, Subject: iv.Subject, Flow: iv.Flow, Version: iv.Version,
		Step: iv.Step, Run: iv.Run, Intervention: iv.ID, Channel: channel, Due: &due, Reason: reason,
	}
}

// end puts iv in a final state with its reason.
func (w *Engine) end(ctx context.Context, iv *store.Intervention, state, code, reason string) error {
	iv.Code = code
	return w.endWith(ctx, iv, state, "", reason, nil)
}

// endWith puts iv in a final state with the cause, reason and details of
// the decision.
func (w *Engine) endWith(ctx context.Context, iv *store.Intervention, state, cause, reason string, details map[string]string) error {
	iv.State, iv.Reason = state, reason
	e := w.entry(iv, state, "", reason)
	e.Code, e.Cause, e.Details = iv.Code, cause, details
	if err := w.update(ctx, iv, e); !errors.Is(err, store.ErrCancelled) {
		return err
	}
	return nil // a cancel held while it was being sent took effect instead
}

// retry hands a transient failure back to asynq for a later try, or ends
// the intervention as failed when the tries are used up.
func (w *Engine) retry(ctx context.Context, iv *store.Intervention, cause error) error {
	try, ok := tryOf(ctx)
	n, max := try.N, try.Max
	name := ""
	if iv.Next < len(iv.Channels) {
		name = iv.Channels[iv.Next]
	}
	if ok && n >= max {
		if err := w.end(ctx, iv, store.Failed, channels.Code(cause), fmt.Sprintf("gave up after %d tries: %v", n+1, cause)); err != nil {
			return err
		}
		return fmt.Errorf("step %s: %w: %w", iv.ID, cause, channels.ErrNoRetry)
	}
	iv.State, iv.Code = store.Scheduled, channels.Code(cause)
	e := w.entry(iv, "retrying", name, fmt.Sprintf("try %d failed, will retry: %v", n+1, cause))
	e.Code = iv.Code
	if err := w.update(ctx, iv, e); errors.Is(err, store.ErrCancelled) {
		return nil // cancelled meanwhile: no retry
	} else if err != nil {
		return err
	}
	return fmt.Errorf("step %s: %w", iv.ID, cause)
}
