package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/aheadhq/ahead/channels/twilio"
	"github.com/aheadhq/ahead/internal/store"
)

// emptyTwiML answers a Twilio webhook without sending anything back.
const emptyTwiML = `<?xml version="1.0" encoding="UTF-8"?><Response></Response>`

// twilioForm parses a Twilio webhook and checks its X-Twilio-Signature
// against the public URL it was sent to. It answers the request itself and
// returns nil when the request is not Twilio's.
func (s *server) twilioForm(w http.ResponseWriter, r *http.Request) url.Values {
	if s.o.TwilioAuthToken == "" || s.o.PublicURL == "" {
		writeError(w, http.StatusNotFound, "twilio webhooks need twilio.auth_token and api.public_url")
		return nil
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		writeError(w, http.StatusBadRequest, "body: "+err.Error())
		return nil
	}
	full := s.o.PublicURL + r.URL.RequestURI()
	sig := r.Header.Get("X-Twilio-Signature")
	if sig == "" || !twilio.Validate(s.o.TwilioAuthToken, full, r.PostForm, sig) {
		writeError(w, http.StatusForbidden, "missing or wrong X-Twilio-Signature")
		return nil
	}
	return r.PostForm
}

// twilioStatus journals a message's delivery status once and, when the
// message was not delivered, sends the step on over its next channel.
func (s *server) twilioStatus(w http.ResponseWriter, r *http.Request) {
	form := s.twilioForm(w, r)
	if form == nil {
		return
	}
	q := r.URL.Query()
	cus, id, channel := q.Get(twilio.ParamCustomer), q.Get(twilio.ParamIntervention), q.Get(twilio.ParamChannel)
	sid, status, code := form.Get("MessageSid"), strings.ToLower(form.Get("MessageStatus")), form.Get("ErrorCode")
	if cus == "" || id == "" || sid == "" || status == "" {
		writeError(w, http.StatusBadRequest, "status callback without customer, intervention, MessageSid or MessageStatus")
		return
	}
	switch status {
	case "sent", "delivered", "read", "undelivered", "failed":
	default:
		w.WriteHeader(http.StatusNoContent) // queued, sending, accepted: nothing to say yet
		return
	}
	ctx := r.Context()
	iv, err := s.o.Store.Intervention(ctx, cus, id)
	if errors.Is(err, store.ErrNotFound) {
		// Erased since, or never ahead's: storing the report would bring
		// back a trace of an erased customer.
		s.o.Log.Debug("status callback for an unknown intervention ignored", "intervention", id, "status", status)
		w.WriteHeader(http.StatusNoContent)
		return
	}
	if err != nil {
		s.internal(w, r, err)
		return
	}
	fresh, err := s.o.Store.RecordDelivery(ctx, cus, sid, status)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	failed := status == "undelivered" || status == "failed"
	if fresh {
		e := store.Entry{
			At: s.o.Clock.Now().UTC(), Kind: "delivery", State: status, Intervention: id,
			Flow: iv.Flow, Step: iv.Step, Run: iv.Run, EventID: iv.EventID, EventType: iv.EventType, Subject: iv.Subject,
			Channel: channel, ProviderID: sid, Code: code, Cause: "provider",
			Reason: fmt.Sprintf("%s reports the message %s", channel, status),
		}
		if code != "" {
			_, meaning := twilio.Classify(0, atoi(code))
			e.Reason += fmt.Sprintf(" (error %s: %s)", code, meaning)
		}
		if err := s.o.Store.Journal(ctx, cus, e); err != nil {
			s.internal(w, r, err)
			return
		}
	}
	if failed {
		if err := s.fallback(ctx, cus, id, channel, sid, code); err != nil {
			s.internal(w, r, err)
			return
		}
	}
	w.WriteHeader(http.StatusNoContent)
}

// fallback sends an undelivered step on to its next channel, once.
func (s *server) fallback(ctx context.Context, cus, id, channel, sid, code string) error {
	iv, next, err := s.o.Store.Reopen(ctx, cus, id, channel, sid)
	if errors.Is(err, store.ErrNotFound) {
		return nil // erased meanwhile
	}
	if err != nil || iv == nil {
		return err
	}
	e := store.Entry{
		At: s.o.Clock.Now().UTC(), Kind: store.KindIntervention, Intervention: id, Flow: iv.Flow,
		Step: iv.Step, Run: iv.Run, EventID: iv.EventID, EventType: iv.EventType, Subject: iv.Subject,
		Channel: channel, Code: code, Cause: "provider",
	}
	if !next {
		e.State, e.Reason = "undelivered", fmt.Sprintf("%s: not delivered; no channel left", channel)
	} else {
		e.State, e.Reason = "fallback", fmt.Sprintf("%s: not delivered; trying %s", channel, iv.Channels[iv.Next])
	}
	// Journal before queuing, so that the timeline shows the fallback
	// before what the next channel does.
	fresh, err := s.o.Store.RecordDelivery(ctx, cus, sid, "fallback")
	if err != nil {
		return err
	}
	if fresh {
		if err := s.o.Store.Journal(ctx, cus, e); err != nil {
			return err
		}
	}
	if !next {
		return nil
	}
	return s.o.Worker.EnqueueStep(ctx, iv)
}

// twilioInbound journals an inbound SMS or WhatsApp message as a contact
// from the customer, opens the WhatsApp service window, and applies
// opt-out and opt-in keywords to that channel.
func (s *server) twilioInbound(w http.ResponseWriter, r *http.Request) {
	form := s.twilioForm(w, r)
	if form == nil {
		return
	}
	from := form.Get("From")
	channel := "sms"
	if n, ok := strings.CutPrefix(from, "whatsapp:"); ok {
		from, channel = n, "whatsapp"
	}
	ctx := r.Context()
	ids, err := s.o.Store.CustomersByPhone(ctx, from)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	if len(ids) == 0 {
		s.o.Log.Info("inbound message from an unknown number", "from", twilio.Mask(from), "channel", channel)
	}
	optOut, optIn := twilio.Keyword(form.Get("Body"))
	now := s.o.Clock.Now().UTC()
	stamp := now.Format("2006-01-02T15:04:05.000Z07:00")
	sid := form.Get("MessageSid")
	for _, cus := range ids {
		// Twilio sends a webhook again when it got no answer in time: a
		// message already handled for this customer is not handled twice.
		// It is marked once handled, so a try that failed halfway is
		// handled again.
		if sid != "" {
			seen, err := s.o.Store.Delivered(ctx, cus, sid, "inbound")
			if err != nil {
				s.internal(w, r, err)
				return
			}
			if seen {
				continue
			}
		}
		prof := store.Profile{"last_inbound_at": stamp, "last_inbound_" + channel + "_at": stamp}
		if err := s.o.Store.UpsertProfile(ctx, cus, prof); err != nil {
			s.internal(w, r, err)
			return
		}
		e := store.Entry{At: now, Kind: "inbound", State: "received", Channel: channel, ProviderID: sid, Reason: "message from the customer"}
		switch {
		case optOut:
			err = s.o.Store.SetConsent(ctx, cus, map[string]bool{channel: false}, now)
			e.State, e.Reason, e.Cause = "opted_out", "the customer sent an opt-out keyword", "opted_out"
		case optIn:
			err = s.o.Store.ClearOptOut(ctx, cus, channel)
			e.State, e.Reason = "opted_in", "the customer sent START"
		}
		if err != nil {
			s.internal(w, r, err)
			return
		}
		if err := s.o.Store.Journal(ctx, cus, e); err != nil {
			s.internal(w, r, err)
			return
		}
		if sid != "" {
			if _, err := s.o.Store.RecordDelivery(ctx, cus, sid, "inbound"); err != nil {
				s.internal(w, r, err)
				return
			}
		}
	}
	w.Header().Set("Content-Type", "text/xml")
	_, _ = w.Write([]byte(emptyTwiML))
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0
		}
		n = n*10 + int(c-'0')
	}
	return n
}
