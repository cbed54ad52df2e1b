package tasks

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aheadhq/ahead/channels"
	"github.com/aheadhq/ahead/channels/twilio"
	"github.com/aheadhq/ahead/engine"
	"github.com/aheadhq/ahead/flows"
	"github.com/aheadhq/ahead/internal/store"
)

// twilioStub plays Twilio's Messages API for the WhatsApp channel: it
// takes every message and keeps the posted forms.
type twilioStub struct {
	mu    sync.Mutex
	forms []url.Values
}

func (s *twilioStub) posted() []url.Values {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.forms)
}

// setupConsent returns a worker on testdata/consent with the fake SMS and
// email channels and Twilio's WhatsApp channel talking to a stub.
func setupConsent(t *testing.T) (*bundle, *twilioStub) {
	t.Helper()
	stub := &twilioStub{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		stub.mu.Lock()
		stub.forms = append(stub.forms, r.PostForm)
		n := len(stub.forms)
		stub.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, `{"sid":"SM%032d","status":"queued"}`, n)
	}))
	t.Cleanup(srv.Close)
	wa, err := twilio.NewWhatsApp(twilio.Config{
		AccountSID: "AC0123456789abcdef0123456789abcdef", AuthToken: "0123456789abcdef0123456789abcdef",
		APIURL: srv.URL, WhatsAppFrom: "+3197010000001",
	})
	if err != nil {
		t.Fatal(err)
	}
	b := setup(t, func(o *Options) { o.Channels[channels.WhatsApp] = wa })
	cat, err := engine.Load("testdata/consent")
	if err != nil {
		t.Fatalf("load flows: %v", err)
	}
	b.w.SetCatalog(cat)
	return b, stub
}

// runFlow routes an event of typ for cus and runs the step of flow it
// plans, and returns the intervention and its fallback and failed entries
// as "state:channel:cause".
func (b *bundle) runFlow(t *testing.T, evt, typ, cus, flow, step string) (*store.Intervention, string) {
	t.Helper()
	b.route(t, &flows.Event{ID: evt, Type: typ, CustomerID: cus, Customer: anna()})
	id := engine.InterventionID(cus, evt, flow, step)
	b.run(t, cus, id)
	var out []string
	for _, e := range b.journal(t, cus) {
		if e.Intervention == id && (e.State == "fallback" || e.State == store.Failed || e.State == store.Skipped) {
			out = append(out, e.State+":"+e.Channel+":"+e.Cause)
		}
	}
	return b.iv(t, cus, id), strings.Join(out, " ")
}

func TestConsentPerPurpose(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		flow    string
		consent map[string]bool
		sent    string // the channel it went out on, "" when it failed
		skipped string // fallback and failed entries
	}{
		{"service without consent", "notice", nil, channels.SMS, ""},
		{"service with sms revoked", "notice", map[string]bool{channels.SMS: false}, channels.Email, "fallback:sms:opted_out"},
		{"service with all revoked", "notice", map[string]bool{channels.SMS: false, channels.Email: false}, "", "fallback:sms:opted_out skipped::opted_out"},
		{"service with consent", "notice", map[string]bool{channels.SMS: true}, channels.SMS, ""},
		{"marketing without consent", "offer", nil, "", "fallback:sms:no_consent skipped::no_consent"},
		{"marketing with consent on another channel", "offer", map[string]bool{channels.WhatsApp: true}, "", "fallback:sms:no_consent skipped::no_consent"},
		{"marketing with email consent", "offer", map[string]bool{channels.Email: true}, channels.Email, "fallback:sms:no_consent"},
		{"marketing with sms consent", "offer", map[string]bool{channels.SMS: true}, channels.SMS, ""},
		{"marketing with sms revoked", "offer", map[string]bool{channels.SMS: false, channels.Email: true}, channels.Email, "fallback:sms:opted_out"},
		{"marketing with email revoked", "offer", map[string]bool{channels.Email: false}, "", "fallback:sms:no_consent skipped::opted_out"},
		// An opt-out from marketing leaves service messages alone.
		{"service with marketing revoked", "notice", map[string]bool{"marketing.sms": false, "marketing.email": false}, channels.SMS, ""},
		{"marketing with marketing sms revoked", "offer", map[string]bool{"marketing.sms": false, channels.Email: true}, channels.Email, "fallback:sms:opted_out"},
		{"marketing with marketing consent", "offer", map[string]bool{"marketing.sms": true}, channels.SMS, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b, _ := setupConsent(t)
			if err := b.store.SetConsent(b.ctx, "cus_1", tc.consent, start.Add(-time.Hour)); err != nil {
				t.Fatal(err)
			}
			typ, step := "account.changed", "notice"
			if tc.flow == "offer" {
				typ, step = "offer.started", "offer"
			}
			iv, skipped := b.runFlow(t, "evt_1", typ, "cus_1", tc.flow, step)
			if skipped != tc.skipped {
				t.Errorf("entries %q, want %q", skipped, tc.skipped)
			}
			switch {
			case tc.sent == "" && iv.State != store.Skipped:
				t.Errorf("intervention %s via %s, want skipped: no channel the customer wants", iv.State, iv.Channel)
			case tc.sent != "" && (iv.State != store.Sent || iv.Channel != tc.sent):
				t.Errorf("intervention %s via %s (%s), want sent via %s", iv.State, iv.Channel, iv.Reason, tc.sent)
			}
			// A channel without consent is skipped, not tried.
			for _, f := range []*fake{b.sms, b.email} {
				want := 0
				if f.name == tc.sent {
					want = 1
				}
				if f.tries() != want {
					t.Errorf("%s tried %d times, want %d", f.name, f.tries(), want)
				}
			}
		})
	}
}

func TestConsentReasons(t *testing.T) {
	t.Parallel()
	b, _ := setupConsent(t)
	if err := b.store.SetConsent(b.ctx, "cus_1", map[string]bool{channels.SMS: false}, start.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	b.route(t, &flows.Event{ID: "evt_1", Type: "offer.started", CustomerID: "cus_1", Customer: anna()})
	id := engine.InterventionID("cus_1", "evt_1", "offer", "offer")
	b.run(t, "cus_1", id)
	fb := one(t, b.entries(t, "cus_1", id, "fallback"), "fallback")
	if fb.Channel != channels.SMS || fb.Cause != "opted_out" || !strings.Contains(fb.Reason, "opted out") || !strings.Contains(fb.Reason, "trying email") {
		t.Errorf("fallback %+v, want sms opted out, trying email", fb)
	}
	failed := one(t, b.entries(t, "cus_1", id, store.Skipped), "skipped")
	if failed.Cause != "no_consent" || !strings.Contains(failed.Reason, "no marketing consent for email") || !strings.Contains(failed.Reason, "no channel left") {
		t.Errorf("failed %+v, want no marketing consent for email, no channel left", failed)
	}
	if iv := b.iv(t, "cus_1", id); iv.Reason != failed.Reason {
		t.Errorf("intervention reason %q, want %q", iv.Reason, failed.Reason)
	}
}

// The invoice explainer of the classics is a service message: it goes
// out to a customer who never gave consent.
func TestConsentInvoiceExplainerNeedsNone(t *testing.T) {
	t.Parallel()
	b := setup(t)
	cat, err := engine.Load("../flows/classics")
	if err != nil {
		t.Fatal(err)
	}
	f := cat.Flows.Get("day4-first-invoice")
	if f == nil || f.Purpose != flows.PurposeService {
		t.Fatalf("classic day4-first-invoice: %+v, want a service flow", f)
	}
	b.w.SetCatalog(cat)
	b.route(t, &flows.Event{
		ID: "evt_1", Type: "subscription.created", CustomerID: "cus_1", Customer: anna(),
		Data: map[string]any{"plan": "family", "first_invoice": map[string]any{"amount": "23.95", "date": "2026-11-30"}},
	})
	if p, _ := b.store.Profile(b.ctx, "cus_1"); len(engine.ProfileOf("cus_1", p).Consent) != 0 {
		t.Fatalf("profile %v has consent", p)
	}
	id := engine.InterventionID("cus_1", "evt_1", "day4-first-invoice", "invoice-explainer")
	b.run(t, "cus_1", id)
	if iv := b.iv(t, "cus_1", id); iv.State != store.Sent || iv.Channel != channels.Email {
		t.Fatalf("invoice explainer %s via %s (%s), want sent via email", iv.State, iv.Channel, iv.Reason)
	}
	if msgs := b.email.messages(); len(msgs) != 1 || msgs[0].To != "anna@example.nl" {
		t.Fatalf("emails %+v", msgs)
	}
}

// inboundStamp is how the inbound webhook records the time of a message.
func inboundStamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z07:00") }

func TestWhatsAppWindow(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		last string // last_inbound_whatsapp_at
		free bool   // free text goes out on WhatsApp
	}{
		{"never wrote", "", false},
		{"wrote a minute ago", inboundStamp(start.Add(-time.Minute)), true},
		{"wrote almost 24 hours ago", inboundStamp(start.Add(-24*time.Hour + time.Millisecond)), true},
		{"wrote 24 hours ago", inboundStamp(start.Add(-24 * time.Hour)), false},
		{"wrote two days ago", inboundStamp(start.Add(-48 * time.Hour)), false},
		{"only by SMS", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b, stub := setupConsent(t)
			prof := store.Profile{"last_inbound_at": inboundStamp(start.Add(-time.Minute))}
			if tc.name == "only by SMS" {
				prof["last_inbound_sms_at"] = inboundStamp(start.Add(-time.Minute))
			}
			if tc.last != "" {
				prof["last_inbound_whatsapp_at"] = tc.last
			}
			if err := b.store.UpsertProfile(b.ctx, "cus_1", prof); err != nil {
				t.Fatal(err)
			}
			iv, skipped := b.runFlow(t, "evt_1", "ticket.updated", "cus_1", "chat", "update")
			forms := stub.posted()
			if tc.free {
				if iv.State != store.Sent || iv.Channel != channels.WhatsApp || skipped != "" {
					t.Fatalf("intervention %s via %s (%s), want sent via whatsapp", iv.State, iv.Channel, skipped)
				}
				if len(forms) != 1 || forms[0].Get("Body") != "Hoi Anna, er is nieuws." || forms[0].Get("ContentSid") != "" || forms[0].Get("To") != "whatsapp:+31612345678" {
					t.Fatalf("requests to Twilio %v, want one with free text", forms)
				}
				return
			}
			if iv.State != store.Sent || iv.Channel != channels.Email || skipped != "fallback:whatsapp:provider" {
				t.Fatalf("intervention %s via %s (%s), want whatsapp refused and sent via email", iv.State, iv.Channel, skipped)
			}
			fb := one(t, b.entries(t, "cus_1", iv.ID, "fallback"), "fallback")
			if !strings.Contains(fb.Reason, "outside WhatsApp window, no template") {
				t.Errorf("fallback reason %q", fb.Reason)
			}
			if len(forms) != 0 {
				t.Fatalf("requests to Twilio %v outside the window", forms)
			}
		})
	}
}

// TestWrongNumber: after an agent found the phone number wrong, SMS to it
// is not tried; the step falls back to email.
func TestWrongNumber(t *testing.T) {
	t.Parallel()
	b, _ := setupConsent(t)
	if err := b.store.UpsertProfile(b.ctx, "cus_1", store.Profile{"phone": "+31612345678", "phone_invalid": "2026-11-20T10:00:00Z"}); err != nil {
		t.Fatal(err)
	}
	iv, entries := b.runFlow(t, "evt_1", "account.changed", "cus_1", "notice", "notice")
	if iv.State != store.Sent || iv.Channel != channels.Email {
		t.Fatalf("intervention %s via %s (%s), want sent by email", iv.State, iv.Channel, iv.Reason)
	}
	if entries != "fallback:sms:no_contact" {
		t.Fatalf("entries %q, want the SMS refused for want of a number", entries)
	}
}
