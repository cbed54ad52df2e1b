package main

import (
	"bytes"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aheadhq/ahead/channels/twilio"
	"github.com/aheadhq/ahead/internal/config"
	"github.com/aheadhq/ahead/internal/prismtest"
)

const (
	twilioSID   = "AC0123456789abcdef0123456789abcdef"
	twilioToken = "0123456789abcdef0123456789abcdef"
)

// TestTwilioFallback: a step with channels [whatsapp, sms, email] for a
// customer outside the WhatsApp window and without a template falls
// through to SMS (through Twilio's contract, served by Prism); a signed
// "undelivered" status for that SMS then sends the email. The timeline
// shows the whole chain with reasons.
func TestTwilioFallback(t *testing.T) {
	api := prismtest.Start(t, "twilio_api_v2010.json")
	start := time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)
	e := startE2E(t, start, 1, func(c *config.Config) {
		c.Flows = "testdata/twilio"
		c.Twilio = config.Twilio{
			AccountSID: twilioSID, AuthToken: twilioToken, APIURL: api,
			SMSFrom: "+3197010000000", WhatsAppFrom: "+3197010000001", MaxPerSecond: 10,
		}
	})
	ev := map[string]any{
		"id": "evt_late_1", "type": "order.delayed", "customer_id": "cus_late", "subject": "ord_42",
		"data": map[string]any{"new_date": "vrijdag 27 november"},
		"customer": map[string]any{
			"name": "Sanne", "phone": "+31612345678", "whatsapp": "+31612345678",
			"email": "sanne@example.nl", "timezone": "Europe/Amsterdam", "locale": "nl",
		},
	}
	if code := e.do("POST", "/v1/events", ev, nil); code != http.StatusAccepted {
		t.Fatalf("post event: %d", code)
	}
	e.waitStates("cus_late", map[string]string{"apology": "sent"}, 30*time.Second)

	var tl struct {
		Entries []struct {
			State, Channel, Reason, Intervention, Code string
			ProviderID                                 string `json:"provider_id"`
		} `json:"entries"`
	}
	e.do("GET", "/v1/customers/cus_late/timeline", nil, &tl)
	var sid, iv string
	var whatsappRefused bool
	for _, en := range tl.Entries {
		if en.State == "fallback" && en.Channel == "whatsapp" && strings.Contains(en.Reason, "outside WhatsApp window, no template") {
			whatsappRefused = true
		}
		if en.State == "sent" && en.Channel == "sms" {
			sid, iv = en.ProviderID, en.Intervention
		}
	}
	if !whatsappRefused || sid == "" {
		t.Fatalf("want a WhatsApp fallback and an SMS sent, timeline: %+v", tl.Entries)
	}
	if len(e.smtp.Messages()) != 0 {
		t.Fatal("email sent before the SMS failed")
	}

	// Twilio reports the SMS undelivered. A wrong signature is refused.
	path := "/v1/webhooks/twilio/status?" + url.Values{
		twilio.ParamChannel: {"sms"}, twilio.ParamCustomer: {"cus_late"}, twilio.ParamIntervention: {iv},
	}.Encode()
	form := url.Values{"MessageSid": {sid}, "MessageStatus": {"undelivered"}, "ErrorCode": {"30003"}, "AccountSid": {twilioSID}}
	if code := e.postForm(path, form, "forged"); code != http.StatusForbidden {
		t.Fatalf("forged status callback: %d, want 403", code)
	}
	sig := twilio.Sign(twilioToken, "https://ahead.example.com"+path, form)
	for i := 0; i < 2; i++ { // Twilio may deliver a callback twice
		if code := e.postForm(path, form, sig); code != http.StatusNoContent {
			t.Fatalf("status callback: %d", code)
		}
	}
	msgs := e.smtp.WaitFor(t, 1, 30*time.Second)
	if len(msgs) != 1 || msgs[0].To[0] != "sanne@example.nl" {
		t.Fatalf("emails: %+v", msgs)
	}
	time.Sleep(500 * time.Millisecond)
	if n := len(e.smtp.Messages()); n != 1 {
		t.Fatalf("%d emails after a repeated callback, want 1", n)
	}
	e.do("GET", "/v1/customers/cus_late/timeline", nil, &tl)
	var chain []string
	for i := len(tl.Entries) - 1; i >= 0; i-- {
		en := tl.Entries[i]
		if en.Intervention == iv || en.State == "undelivered" {
			chain = append(chain, en.State+":"+en.Channel)
		}
	}
	want := "scheduled: fallback:whatsapp sent:sms undelivered:sms fallback:sms sent:email"
	if got := strings.Join(chain, " "); got != want {
		t.Fatalf("timeline chain\n got %s\nwant %s\nentries: %+v", got, want, tl.Entries)
	}
}

func (e *e2e) postForm(path string, form url.Values, sig string) int {
	e.t.Helper()
	req, _ := http.NewRequest("POST", e.url+path, bytes.NewBufferString(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Twilio-Signature", sig)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
