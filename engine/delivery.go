package engine

import (
	"context"
	"errors"
	"fmt"

	"github.com/aheadhq/ahead/internal/store"
)

// Status is a provider's report on a message it took: delivered, or not.
type Status struct {
	Customer, Intervention, Channel string
	// ProviderID is the provider's id of the message; Status its word
	// ("sent", "delivered", "read", "undelivered", "failed").
	ProviderID, Status string
	// Code is the provider's error code, and Meaning what it means.
	Code, Meaning string
}

// Final reports whether a provider status settles the message: the
// statuses before it (queued, sending, accepted) say nothing yet.
func (s Status) Final() bool {
	switch s.Status {
	case "sent", "delivered", "read", "undelivered", "failed":
		return true
	}
	return false
}

// Deliver journals a message's delivery status once and, when the message
// was not delivered, sends the step on over its next channel. A report
// for an intervention that is not stored (erased since, or never ahead's)
// is ignored: storing it would bring back a trace of an erased customer.
// So is, with a warning, a report on a message other than the one the
// intervention records as sent (its ProviderID).
func (w *Engine) Deliver(ctx context.Context, s Status) error {
	if !s.Final() {
		return nil
	}
	iv, err := w.o.Store.Intervention(ctx, s.Customer, s.Intervention)
	if errors.Is(err, store.ErrNotFound) {
		w.o.Log.Debug("status callback for an unknown intervention ignored", "intervention", s.Intervention, "status", s.Status)
		return nil
	}
	if err != nil {
		return err
	}
	if s.ProviderID != iv.ProviderID {
		// Not the message the step was sent as (an earlier channel's, or
		// one the intervention did not record): it says nothing about it.
		w.o.Log.Warn("status callback for a message that is not the intervention's own ignored",
			"intervention", s.Intervention, "message", s.ProviderID, "receipt", iv.ProviderID, "status", s.Status)
		return nil
	}
	fresh, err := w.o.Store.RecordDelivery(ctx, s.Customer, s.ProviderID, s.Status)
	if err != nil {
		return err
	}
	if fresh {
		e := store.Entry{
			At: w.o.Clock.Now().UTC(), Kind: "delivery", State: s.Status, Intervention: s.Intervention,
			Flow: iv.Flow, Step: iv.Step, Run: iv.Run, EventID: iv.EventID, EventType: iv.EventType, Subject: iv.Subject,
			Channel: s.Channel, ProviderID: s.ProviderID, Code: s.Code, Cause: "provider",
			Reason: fmt.Sprintf("%s reports the message %s", s.Channel, s.Status),
		}
		if s.Code != "" {
			e.Reason += fmt.Sprintf(" (error %s: %s)", s.Code, s.Meaning)
		}
		if err := w.o.Store.Journal(ctx, s.Customer, e); err != nil {
			return err
		}
	}
	if s.Status == "undelivered" || s.Status == "failed" {
		return w.fallback(ctx, s)
	}
	return nil
}

// fallback sends an undelivered step on to its next channel, once.
func (w *Engine) fallback(ctx context.Context, s Status) error {
	iv, next, err := w.o.Store.Reopen(ctx, s.Customer, s.Intervention, s.Channel, s.ProviderID)
	if errors.Is(err, store.ErrNotFound) {
		return nil // erased meanwhile
	}
	if err != nil || iv == nil {
		return err
	}
	e := store.Entry{
		At: w.o.Clock.Now().UTC(), Kind: store.KindIntervention, Intervention: s.Intervention, Flow: iv.Flow,
		Step: iv.Step, Run: iv.Run, EventID: iv.EventID, EventType: iv.EventType, Subject: iv.Subject,
		Channel: s.Channel, Code: s.Code, Cause: "provider",
	}
	if !next {
		e.State, e.Reason = "undelivered", fmt.Sprintf("%s: not delivered; no channel left", s.Channel)
	} else {
		e.State, e.Reason = "fallback", fmt.Sprintf("%s: not delivered; trying %s", s.Channel, iv.Channels[iv.Next])
	}
	// Journal before queuing, so that the timeline shows the fallback
	// before what the next channel does.
	fresh, err := w.o.Store.RecordDelivery(ctx, s.Customer, s.ProviderID, "fallback")
	if err != nil {
		return err
	}
	if fresh {
		if err := w.o.Store.Journal(ctx, s.Customer, e); err != nil {
			return err
		}
	}
	if !next {
		return nil
	}
	return w.EnqueueStep(ctx, iv)
}
