package engine

import (
	"context"

	"github.com/aheadhq/ahead/flows"
	"github.com/aheadhq/ahead/internal/store"
)

// Inbound is a message a customer sent: an SMS or a WhatsApp message.
type Inbound struct {
	// From is the sender's number in E.164; Channel "sms" or "whatsapp".
	From, Channel string
	// ProviderID is the provider's id of the message, "" when unknown.
	ProviderID string
	// OptOut and OptIn say the message was an opt-out (STOP) or opt-in
	// (START) keyword.
	OptOut, OptIn bool
}

// Receive journals an inbound message as a contact from every customer
// with that number, opens the WhatsApp service window, applies opt-out
// and opt-in keywords to that channel, and counts any other message
// toward the goals that include inbound messages. It returns how many customers have
// the number. A message handled before (the provider sent its webhook
// again) is not handled twice; it is marked handled last, so a try that
// failed halfway is handled again.
func (w *Engine) Receive(ctx context.Context, m Inbound) (int, error) {
	ids, err := w.o.Store.CustomersByPhone(ctx, m.From)
	if err != nil {
		return 0, err
	}
	now := w.o.Clock.Now().UTC()
	stamp := now.Format("2006-01-02T15:04:05.000Z07:00")
	for _, cus := range ids {
		if m.ProviderID != "" {
			seen, err := w.o.Store.Delivered(ctx, cus, m.ProviderID, "inbound")
			if err != nil {
				return 0, err
			}
			if seen {
				continue
			}
		}
		prof := store.Profile{store.FieldLastInbound: stamp, store.LastInboundField(m.Channel): stamp}
		if err := w.o.Store.UpsertProfile(ctx, cus, prof); err != nil {
			return 0, err
		}
		e := store.Entry{At: now, Kind: "inbound", State: "received", Channel: m.Channel, ProviderID: m.ProviderID, Reason: "message from the customer"}
		switch {
		case m.OptOut:
			err = w.o.Store.SetConsent(ctx, cus, map[string]bool{m.Channel: false}, now)
			e.State, e.Reason, e.Cause = "opted_out", "the customer sent an opt-out keyword", "opted_out"
		case m.OptIn:
			err = w.o.Store.ClearOptOut(ctx, cus, m.Channel)
			e.State, e.Reason = "opted_in", "the customer sent START"
		}
		if err != nil {
			return 0, err
		}
		if err := w.o.Store.Journal(ctx, cus, e); err != nil {
			return 0, err
		}
		if !m.OptOut && !m.OptIn {
			if err := w.Contacted(ctx, cus, flows.SourceInboundMessage, inboundID(m, stamp), now); err != nil {
				return 0, err
			}
		}
		if m.ProviderID != "" {
			if _, err := w.o.Store.RecordDelivery(ctx, cus, m.ProviderID, "inbound"); err != nil {
				return 0, err
			}
		}
	}
	return len(ids), nil
}

// inboundID identifies an inbound message for goal counting: the
// provider's id, else its sender and time.
func inboundID(m Inbound, stamp string) string {
	if m.ProviderID != "" {
		return m.ProviderID
	}
	return m.From + "@" + stamp
}
