package twilio_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/hibiken/asynq"

	"github.com/aheadhq/ahead/channels"
	"github.com/aheadhq/ahead/channels/twilio"
)

func message() *channels.Message {
	return &channels.Message{
		ID:         "iv_01JABC",
		CustomerID: "cus_123",
		Flow:       "first-invoice",
		Step:       "explain",
		To:         customerTo,
		Text:       "Hoi Anna, je eerste factuur komt eraan: € 23,95.",
	}
}

// wantForm compares the posted form with want, key by key.
func wantForm(t *testing.T, got url.Values, want map[string]string) {
	t.Helper()
	for k, v := range want {
		if got.Get(k) != v {
			t.Errorf("form %s = %q, want %q", k, got.Get(k), v)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("form has %s = %q, want no such field", k, got.Get(k))
		}
	}
}

func wantCallback(t *testing.T, got, channel string) {
	t.Helper()
	u, err := url.Parse(got)
	if err != nil {
		t.Fatalf("StatusCallback %q: %v", got, err)
	}
	if base := u.Scheme + "://" + u.Host + u.Path; base != callback {
		t.Errorf("StatusCallback = %q, want it under %s", got, callback)
	}
	want := url.Values{"customer": {"cus_123"}, "intervention": {"iv_01JABC"}, "channel": {channel}}
	if !reflect.DeepEqual(u.Query(), want) {
		t.Errorf("StatusCallback query = %v, want %v", u.Query(), want)
	}
}

func TestSendSMS(t *testing.T) {
	t.Parallel()
	f := startFake(t)
	ch := newSMS(t, f.config())
	if ch.Name() != "sms" {
		t.Errorf("Name() = %q, want sms", ch.Name())
	}
	r, err := ch.Send(t.Context(), message())
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	req := f.last(t)
	if r.ProviderID != "SM00000000000000000000000000000001" {
		t.Errorf("ProviderID = %q, want the SID the fake gave", r.ProviderID)
	}
	if req.Method != http.MethodPost || req.Path != "/2010-04-01/Accounts/"+accountSID+"/Messages.json" {
		t.Errorf("request = %s %s, want POST to the account's Messages.json", req.Method, req.Path)
	}
	if req.User != accountSID || req.Pass != authToken {
		t.Errorf("basic auth = %q:%q, want the account SID and auth token", req.User, req.Pass)
	}
	wantForm(t, req.Form, map[string]string{
		"To":             customerTo,
		"From":           smsFrom,
		"Body":           message().Text,
		"StatusCallback": req.Form.Get("StatusCallback"),
	})
	wantCallback(t, req.Form.Get("StatusCallback"), "sms")
}

func TestSendSMSMessagingService(t *testing.T) {
	t.Parallel()
	f := startFake(t)
	cfg := f.config()
	cfg.MessagingServiceSID = serviceSID
	ch := newSMS(t, cfg)
	if _, err := ch.Send(t.Context(), message()); err != nil {
		t.Fatalf("Send: %v", err)
	}
	req := f.last(t)
	wantForm(t, req.Form, map[string]string{
		"To":                  customerTo,
		"MessagingServiceSid": serviceSID,
		"Body":                message().Text,
		"StatusCallback":      req.Form.Get("StatusCallback"),
	})
}

func TestSendWithoutStatusCallback(t *testing.T) {
	t.Parallel()
	f := startFake(t)
	cfg := f.config()
	cfg.StatusCallback = ""
	if _, err := newSMS(t, cfg).Send(t.Context(), message()); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if got := f.last(t).Form; got.Has("StatusCallback") {
		t.Errorf("StatusCallback = %q, want none", got.Get("StatusCallback"))
	}
}

func TestStatusCallbackKeepsItsQuery(t *testing.T) {
	t.Parallel()
	f := startFake(t)
	cfg := f.config()
	cfg.StatusCallback = callback + "?region=eu"
	if _, err := newSMS(t, cfg).Send(t.Context(), message()); err != nil {
		t.Fatalf("Send: %v", err)
	}
	u, err := url.Parse(f.last(t).Form.Get("StatusCallback"))
	if err != nil {
		t.Fatal(err)
	}
	if q := u.Query(); q.Get("region") != "eu" || q.Get("intervention") != "iv_01JABC" {
		t.Errorf("StatusCallback query = %v, want region=eu beside the message's parameters", q)
	}
}

func TestSendWhatsAppText(t *testing.T) {
	t.Parallel()
	f := startFake(t)
	cfg := f.config()
	cfg.WhatsAppFrom = "whatsapp:" + waFrom // both spellings work
	ch := newWhatsApp(t, cfg)
	if ch.Name() != "whatsapp" {
		t.Errorf("Name() = %q, want whatsapp", ch.Name())
	}
	content := &twilio.WhatsAppContent{SID: "HXb5b62575e6e4ff6129ad7c8efe1f983e", Variables: map[string]string{"1": "Anna"}}
	for _, to := range []string{customerTo, "whatsapp:" + customerTo} {
		m := message()
		m.To = to
		// Inside the window the text goes, even when a template exists.
		m.Content, m.SessionOpen = content, true
		if _, err := ch.Send(t.Context(), m); err != nil {
			t.Fatalf("Send to %s: %v", to, err)
		}
		req := f.last(t)
		wantForm(t, req.Form, map[string]string{
			"To":             "whatsapp:" + customerTo,
			"From":           "whatsapp:" + waFrom,
			"Body":           m.Text,
			"StatusCallback": req.Form.Get("StatusCallback"),
		})
		wantCallback(t, req.Form.Get("StatusCallback"), "whatsapp")
	}
}

func TestSendWhatsAppTemplate(t *testing.T) {
	t.Parallel()
	vars := map[string]string{"1": "Anna", "2": "€ 23,95", "quote": `"ja"`}
	content := &twilio.WhatsAppContent{SID: "HXb5b62575e6e4ff6129ad7c8efe1f983e", Variables: vars}
	tests := []struct {
		name        string
		text        string
		sessionOpen bool
	}{
		{"outside the window", message().Text, false},
		{"inside the window without text", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := startFake(t)
			ch := newWhatsApp(t, f.config())
			m := message()
			m.Text, m.Content, m.SessionOpen = tt.text, content, tt.sessionOpen
			if _, err := ch.Send(t.Context(), m); err != nil {
				t.Fatalf("Send: %v", err)
			}
			req := f.last(t)
			wantForm(t, req.Form, map[string]string{
				"To":               "whatsapp:" + customerTo,
				"From":             "whatsapp:" + waFrom,
				"ContentSid":       content.SID,
				"ContentVariables": req.Form.Get("ContentVariables"),
				"StatusCallback":   req.Form.Get("StatusCallback"),
			})
			var got map[string]string
			if err := json.Unmarshal([]byte(req.Form.Get("ContentVariables")), &got); err != nil {
				t.Fatalf("ContentVariables %q: %v", req.Form.Get("ContentVariables"), err)
			}
			if !reflect.DeepEqual(got, vars) {
				t.Errorf("ContentVariables = %v, want %v", got, vars)
			}
		})
	}
}

func TestSendWhatsAppTemplateWithoutVariables(t *testing.T) {
	t.Parallel()
	f := startFake(t)
	ch := newWhatsApp(t, f.config())
	m := message()
	m.Content = &twilio.WhatsAppContent{SID: "HXb5b62575e6e4ff6129ad7c8efe1f983e"}
	if _, err := ch.Send(t.Context(), m); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if form := f.last(t).Form; form.Has("ContentVariables") || form.Has("Body") {
		t.Errorf("form = %v, want ContentSid alone", form)
	}
}

// TestSendRefusedLocally covers the messages Send refuses without asking
// Twilio: all permanent, with no request made.
func TestSendRefusedLocally(t *testing.T) {
	t.Parallel()
	content := &twilio.WhatsAppContent{SID: "HXb5b62575e6e4ff6129ad7c8efe1f983e"}
	tests := []struct {
		name    string
		channel string
		window  func(*channels.Message)
		change  func(*channels.Message)
		wantErr error
		wantMsg string
	}{
		{
			name: "outside the window without template", channel: "whatsapp",
			window:  func(m *channels.Message) { m.Content, m.SessionOpen = nil, false },
			wantErr: twilio.ErrOutsideWindow, wantMsg: "outside WhatsApp window, no template",
		},
		{
			name: "no window information", channel: "whatsapp",
			wantErr: twilio.ErrOutsideWindow, wantMsg: "outside WhatsApp window, no template",
		},
		{
			name: "template without SID", channel: "whatsapp",
			window:  func(m *channels.Message) { m.Content = &twilio.WhatsAppContent{} },
			wantErr: twilio.ErrOutsideWindow,
		},
		{
			name: "inside the window without text or template", channel: "whatsapp",
			window:  func(m *channels.Message) { m.SessionOpen = true },
			change:  func(m *channels.Message) { m.Text = "" },
			wantMsg: "no text and no template",
		},
		{
			name: "no number", channel: "whatsapp",
			window:  func(m *channels.Message) { m.Content, m.SessionOpen = content, true },
			change:  func(m *channels.Message) { m.To = "" },
			wantErr: channels.ErrNoContact,
		},
		{
			name: "no number", channel: "sms",
			change:  func(m *channels.Message) { m.To = "" },
			wantErr: channels.ErrNoContact,
		},
		{
			name: "not E.164", channel: "sms",
			change:  func(m *channels.Message) { m.To = "0612345678" },
			wantMsg: "06123**678 is not an E.164 number",
		},
		{
			name: "no text", channel: "sms",
			change:  func(m *channels.Message) { m.Text = "" },
			wantMsg: "no text",
		},
	}
	for _, tt := range tests {
		t.Run(tt.channel+"/"+tt.name, func(t *testing.T) {
			t.Parallel()
			f := startFake(t)
			var ch *twilio.Channel
			if tt.channel == "sms" {
				ch = newSMS(t, f.config())
			} else {
				ch = newWhatsApp(t, f.config())
			}
			m := message()
			if tt.window != nil {
				tt.window(m)
			}
			if tt.change != nil {
				tt.change(m)
			}
			_, err := ch.Send(t.Context(), m)
			if err == nil {
				t.Fatal("Send succeeded, want a permanent failure")
			}
			if !errors.Is(err, asynq.SkipRetry) {
				t.Errorf("errors.Is(%v, asynq.SkipRetry) = false, want true", err)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("errors.Is(%v, %v) = false, want true", err, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %q lacks %q", err, tt.wantMsg)
			}
			if !strings.HasPrefix(err.Error(), tt.channel+": permanent failure") {
				t.Errorf("error %q does not name channel %s", err, tt.channel)
			}
			if code := channels.Code(err); code != "" {
				t.Errorf("Code = %q, want none: Twilio was not asked", code)
			}
			if n := len(f.requests()); n != 0 {
				t.Errorf("the fake Twilio received %d requests, want none", n)
			}
		})
	}
}

// countingTransport counts the requests it carries.
type countingTransport struct {
	mu sync.Mutex
	n  int
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.mu.Lock()
	c.n++
	c.mu.Unlock()
	return http.DefaultTransport.RoundTrip(r)
}

func TestSendUsesGivenHTTPClient(t *testing.T) {
	t.Parallel()
	f := startFake(t)
	cfg := f.config()
	ct := &countingTransport{}
	cfg.HTTPClient = &http.Client{Transport: ct}
	if _, err := newSMS(t, cfg).Send(t.Context(), message()); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if ct.n != 1 {
		t.Errorf("the given client's transport carried %d requests, want 1", ct.n)
	}
	if cfg.HTTPClient.Transport != ct {
		t.Error("NewSMS changed the given HTTP client")
	}
}

// TestAPIURLPath checks that a path in api_url is put in front of
// Twilio's paths, for a proxy that serves Twilio under a prefix.
func TestAPIURLPath(t *testing.T) {
	t.Parallel()
	f := startFake(t)
	cfg := f.config()
	cfg.APIURL = f.URL + "/twilio/"
	if _, err := newSMS(t, cfg).Send(t.Context(), message()); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if got, want := f.last(t).Path, "/twilio/2010-04-01/Accounts/"+accountSID+"/Messages.json"; got != want {
		t.Errorf("path = %q, want %q", got, want)
	}
}

// TestAPIURLWithEdge checks that api_url wins over twilio-go's own choice
// of host: TWILIO_EDGE and TWILIO_REGION make it call
// api.EDGE.REGION.twilio.com.
func TestAPIURLWithEdge(t *testing.T) {
	t.Setenv("TWILIO_EDGE", "dublin")
	t.Setenv("TWILIO_REGION", "ie1")
	f := startFake(t)
	if _, err := newSMS(t, f.config()).Send(t.Context(), message()); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if n := len(f.requests()); n != 1 {
		t.Errorf("the fake Twilio at api_url received %d requests, want 1", n)
	}
}

type fakeLimiter struct {
	mu       sync.Mutex
	channels []string
	err      error
}

func (l *fakeLimiter) Wait(_ context.Context, channel string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.channels = append(l.channels, channel)
	return l.err
}

func TestSendWaitsForLimiter(t *testing.T) {
	t.Parallel()
	f := startFake(t)
	cfg := f.config()
	lim := &fakeLimiter{}
	cfg.Limiter = lim
	if _, err := newSMS(t, cfg).Send(t.Context(), message()); err != nil {
		t.Fatalf("SMS Send: %v", err)
	}
	wa := message()
	wa.SessionOpen = true
	if _, err := newWhatsApp(t, cfg).Send(t.Context(), wa); err != nil {
		t.Fatalf("WhatsApp Send: %v", err)
	}
	if want := []string{"sms", "whatsapp"}; !reflect.DeepEqual(lim.channels, want) {
		t.Errorf("limiter waited for %v, want %v", lim.channels, want)
	}

	lim.err = errors.New("redis: connection refused")
	_, err := newSMS(t, cfg).Send(t.Context(), message())
	if err == nil || channels.IsPermanent(err) || !errors.Is(err, lim.err) {
		t.Errorf("Send with a failing limiter: err = %v, want a transient failure wrapping the limiter's error", err)
	}
	if n := len(f.requests()); n != 2 {
		t.Errorf("the fake Twilio received %d requests, want 2: none after the limiter failed", n)
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	t.Parallel()
	good := twilio.Config{AccountSID: accountSID, AuthToken: authToken, SMSFrom: smsFrom, WhatsAppFrom: waFrom}
	tests := []struct {
		name   string
		change func(*twilio.Config)
		sms    string // the error of NewSMS; "" when it succeeds
		wa     string // the error of NewWhatsApp
	}{
		{"no account", func(c *twilio.Config) { c.AccountSID = "" }, "twilio.account_sid: required", "twilio.account_sid: required"},
		{"bad account", func(c *twilio.Config) { c.AccountSID = "AC123" }, "twilio.account_sid: not an account SID", "twilio.account_sid: not an account SID"},
		{"no token", func(c *twilio.Config) { c.AuthToken = "" }, "twilio.auth_token: required", "twilio.auth_token: required"},
		{"bad token", func(c *twilio.Config) { c.AuthToken = "a:b" }, "twilio.auth_token: may hold only", "twilio.auth_token: may hold only"},
		{"relative api url", func(c *twilio.Config) { c.APIURL = "api.twilio.com" }, "twilio.api_url:", "twilio.api_url:"},
		{"api url with query", func(c *twilio.Config) { c.APIURL = "https://proxy.example.com/?a=b" }, "twilio.api_url:", "twilio.api_url:"},
		{"no sender", func(c *twilio.Config) { c.SMSFrom = "" }, "twilio.sms_from: required unless twilio.messaging_service_sid is set", ""},
		{"messaging service only", func(c *twilio.Config) { c.SMSFrom, c.MessagingServiceSID = "", serviceSID }, "", ""},
		{"alphanumeric sender", func(c *twilio.Config) { c.SMSFrom = "Acme" }, "", ""},
		{"bad sender", func(c *twilio.Config) { c.SMSFrom = "0612345678" }, "twilio.sms_from:", ""},
		{"bad service", func(c *twilio.Config) { c.MessagingServiceSID = "MG1" }, "twilio.messaging_service_sid:", ""},
		{"no whatsapp sender", func(c *twilio.Config) { c.WhatsAppFrom = "" }, "", "twilio.whatsapp_from: required"},
		{"bad whatsapp sender", func(c *twilio.Config) { c.WhatsAppFrom = "Acme" }, "", "twilio.whatsapp_from:"},
		{"relative callback", func(c *twilio.Config) { c.StatusCallback = "/v1/webhooks/twilio/status" }, "api.public_url", "api.public_url"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := good
			tt.change(&cfg)
			for _, c := range []struct {
				name string
				new  func(twilio.Config) (*twilio.Channel, error)
				want string
			}{{"NewSMS", twilio.NewSMS, tt.sms}, {"NewWhatsApp", twilio.NewWhatsApp, tt.wa}} {
				_, err := c.new(cfg)
				switch {
				case c.want == "" && err != nil:
					t.Errorf("%s: %v, want no error", c.name, err)
				case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
					t.Errorf("%s: err = %v, want one containing %q", c.name, err, c.want)
				}
			}
		})
	}
}
