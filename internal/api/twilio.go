package api

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/aheadhq/ahead/channels/twilio"
	"github.com/aheadhq/ahead/engine"
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
	st := engine.Status{
		Customer: q.Get(twilio.ParamCustomer), Intervention: q.Get(twilio.ParamIntervention), Channel: q.Get(twilio.ParamChannel),
		ProviderID: form.Get("MessageSid"), Status: strings.ToLower(form.Get("MessageStatus")), Code: form.Get("ErrorCode"),
	}
	if st.Customer == "" || st.Intervention == "" || st.ProviderID == "" || st.Status == "" {
		writeError(w, http.StatusBadRequest, "status callback without customer, intervention, MessageSid or MessageStatus")
		return
	}
	if st.Code != "" {
		code, _ := strconv.Atoi(st.Code)
		_, st.Meaning = twilio.Classify(0, code)
	}
	if err := s.o.Engine.Deliver(r.Context(), st); err != nil {
		s.internal(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// twilioInbound journals an inbound SMS or WhatsApp message as a contact
// from the customer, opens the WhatsApp service window, and applies
// opt-out and opt-in keywords to that channel.
func (s *server) twilioInbound(w http.ResponseWriter, r *http.Request) {
	form := s.twilioForm(w, r)
	if form == nil {
		return
	}
	m := engine.Inbound{From: form.Get("From"), Channel: "sms", ProviderID: form.Get("MessageSid")}
	if n, ok := strings.CutPrefix(m.From, "whatsapp:"); ok {
		m.From, m.Channel = n, "whatsapp"
	}
	m.OptOut, m.OptIn = twilio.Keyword(form.Get("Body"))
	n, err := s.o.Engine.Receive(r.Context(), m)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	if n == 0 {
		s.o.Log.Info("inbound message from an unknown number", "from", twilio.Mask(m.From), "channel", m.Channel)
	}
	w.Header().Set("Content-Type", "text/xml")
	_, _ = w.Write([]byte(emptyTwiML))
}
