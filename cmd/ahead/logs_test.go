package main

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aheadhq/ahead/channels/twilio"
	"github.com/aheadhq/ahead/internal/clock"
	"github.com/aheadhq/ahead/internal/config"
	"github.com/aheadhq/ahead/internal/smtptest"
)

// logSink collects log output from many goroutines.
type logSink struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logSink) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logSink) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// startLogged runs API and worker in-process as startE2E does, logging at
// debug level into the returned buffer.
func startLogged(t *testing.T, opts ...func(*config.Config)) (*e2e, *logSink) {
	t.Helper()
	smtp := smtptest.Start(t)
	cfg := config.Default()
	cfg.SMTP.Host, cfg.SMTP.Port, cfg.SMTP.TLS = smtp.Host, smtp.Port, "none"
	cfg.SMTP.From = "Ahead Service <service@ahead.example>"
	cfg.API.PublicURL = "https://ahead.example.com"
	cfg.API.SigningKey = "e2e-signing-key-0123456789"
	cfg.API.Tokens = []config.Token{{Name: "e2e", Token: e2eToken, Scopes: []string{"admin"}}}
	cfg.Worker.PollInterval = config.Duration(100 * time.Millisecond)
	cfg.Worker.Concurrency = 4
	for _, o := range opts {
		o(cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	logs := &logSink{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	clk := clock.NewScaledAt(time.Now(), 1)
	url := runNode(t, cfg, clk, log)
	return &e2e{t: t, url: url, smtp: smtp, clk: clk}, logs
}

// TestLogsMaskContactPoints runs an event with a phone number and an email
// address through API and worker: WhatsApp outside the window, an SMS that
// Twilio refuses (21211, with the number in its message), an email the
// mail server refuses (naming the address), inbound messages from known
// and unknown numbers and a status callback. Nothing in the log shows the
// number or the address; a masked number may.
func TestLogsMaskContactPoints(t *testing.T) {
	const (
		phone   = "+31612345678"
		email   = "sanne.jansen@example.nl"
		unknown = "+31698765432"
	)
	var twilioCalls sync.WaitGroup
	twilioCalls.Add(1)
	var once sync.Once
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		defer once.Do(twilioCalls.Done)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"code":21211,"message":"The 'To' number %s is not a valid phone number.","more_info":"https://www.twilio.com/docs/errors/21211","status":400}`, r.PostForm.Get("To"))
	}))
	t.Cleanup(api.Close)
	e, logs := startLogged(t, func(c *config.Config) {
		c.Flows = "testdata/twilio"
		c.Twilio = config.Twilio{
			AccountSID: twilioSID, AuthToken: twilioToken, APIURL: api.URL,
			SMSFrom: "+3197010000000", WhatsAppFrom: "+3197010000001", MaxPerSecond: 10,
		}
	})
	e.smtp.FailRcpt(550, "5.1.1 <"+email+">: Recipient address rejected: user unknown")

	// A bad profile update names the bad value in the answer only.
	if code := e.do("PUT", "/v1/customers/cus_mask", map[string]any{"phone": "0612345678", "email": "sanne.jansen@"}, nil); code != http.StatusBadRequest {
		t.Fatalf("bad PUT: %d", code)
	}
	ev := map[string]any{
		"id": "evt_mask_1", "type": "order.delayed", "customer_id": "cus_mask", "subject": "ord_7",
		"data": map[string]any{"new_date": "vrijdag 27 november"},
		"customer": map[string]any{
			"name": "Sanne", "phone": phone, "whatsapp": phone, "email": email,
			"timezone": "Europe/Amsterdam", "locale": "nl",
		},
	}
	if code := e.do("POST", "/v1/events", ev, nil); code != http.StatusAccepted {
		t.Fatalf("post event: %d", code)
	}
	e.waitStates("cus_mask", map[string]string{"apology": "failed"}, 30*time.Second)
	twilioCalls.Wait()
	// The timeline reads the journal before the interventions: read it
	// again now that the step has ended.
	tl := e.timeline("cus_mask")
	var chain []string
	for i := len(tl.Entries) - 1; i >= 0; i-- {
		en := tl.Entries[i]
		if en.State == "fallback" || en.State == "failed" {
			chain = append(chain, en.State+":"+en.Channel)
		}
		// Twilio's message names the number; the timeline shows it masked.
		if en.State == "fallback" && en.Channel == "sms" && (!strings.Contains(en.Reason, twilio.Mask(phone)) || strings.Contains(en.Reason, phone)) {
			t.Errorf("SMS fallback reason %q, want Twilio's message with the number masked", en.Reason)
		}
	}
	if got := strings.Join(chain, " "); got != "fallback:whatsapp fallback:sms failed:" {
		t.Fatalf("timeline %q, want WhatsApp and SMS refused and the step failed", got)
	}

	// Inbound messages: from unknown numbers, then STOP from the customer.
	inbound := func(from, body string) {
		t.Helper()
		const path = "/v1/webhooks/twilio/inbound"
		form := url.Values{"AccountSid": {twilioSID}, "MessageSid": {"SM" + strings.Repeat("0", 32)}, "From": {from}, "To": {"+3197010000000"}, "Body": {body}}
		if code := e.postForm(path, form, twilio.Sign(twilioToken, "https://ahead.example.com"+path, form)); code != http.StatusOK {
			t.Fatalf("inbound from %s: %d", twilio.Mask(from), code)
		}
	}
	inbound(unknown, "Wie is dit?")
	inbound("whatsapp:"+unknown, "STOP")
	inbound(phone, "STOP")
	inbound("whatsapp:"+phone, "START")
	// A status callback for an intervention ahead does not know.
	path := "/v1/webhooks/twilio/status?" + url.Values{
		twilio.ParamChannel: {"sms"}, twilio.ParamCustomer: {"cus_mask"}, twilio.ParamIntervention: {"iv_unknown"},
	}.Encode()
	form := url.Values{"MessageSid": {"SM" + strings.Repeat("1", 32)}, "MessageStatus": {"undelivered"}, "ErrorCode": {"30003"}, "To": {phone}}
	if code := e.postForm(path, form, twilio.Sign(twilioToken, "https://ahead.example.com"+path, form)); code != http.StatusNoContent {
		t.Fatalf("status callback: %d", code)
	}

	out := logs.String()
	if !strings.Contains(out, twilio.Mask(unknown)) {
		t.Fatalf("the log lacks the masked unknown number %s; log:\n%s", twilio.Mask(unknown), out)
	}
	for _, raw := range []string{
		phone, strings.TrimPrefix(phone, "+"), "0612345678", "612345678", url.QueryEscape(phone),
		unknown, strings.TrimPrefix(unknown, "+"),
		email, "sanne.jansen@", url.QueryEscape(email),
	} {
		if strings.Contains(out, raw) {
			for _, line := range strings.Split(out, "\n") {
				if strings.Contains(line, raw) {
					t.Errorf("log shows %q: %s", raw, line)
				}
			}
		}
	}
}
