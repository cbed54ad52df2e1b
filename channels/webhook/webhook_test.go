package webhook_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aheadhq/ahead/channels"
	"github.com/aheadhq/ahead/channels/channeltest"
	"github.com/aheadhq/ahead/channels/webhook"
)

// message returns a message of flow new-subscriber with a plain text.
func message() *channels.Message {
	return &channels.Message{
		ID: "iv_1", CustomerID: "cus_123", Flow: "new-subscriber", Step: "welcome",
		Channel: channels.Webhook, To: "cus_123", Name: "Anna", Subject: "Welkom",
		Text: "Hoi Anna, welkom!", Due: time.Date(2026, 11, 25, 10, 0, 0, 0, time.FixedZone("CET", 3600)),
		Locale: "nl", Formality: "informal", EventID: "evt_8f2c",
	}
}

func TestConformance(t *testing.T) {
	t.Parallel()
	var r *receiver
	channeltest.Run(t, channeltest.Harness{
		New: func(t *testing.T) channels.Channel {
			r = newReceiver(t)
			return newChannel(t, webhook.Config{URL: r.URL + "/hook"})
		},
		Message:       func(*testing.T) *channels.Message { return message() },
		Delivered:     func(_ *testing.T, m *channels.Message) bool { return r.wasDelivered(m.ID) },
		FailTransient: func(*testing.T) { r.answer(answer{status: http.StatusServiceUnavailable}) },
		FailPermanent: func(*testing.T) { r.answer(answer{status: http.StatusUnprocessableEntity}) },
	})
}

// TestSendSigned checks the request a receiver gets, verifying it as a
// receiver would.
func TestSendSigned(t *testing.T) {
	t.Parallel()
	r := newReceiver(t)
	r.answer(answer{status: http.StatusAccepted, header: http.Header{"X-Request-Id": {"req_42"}}})
	ch := newChannel(t, webhook.Config{URL: r.URL + "/hook"})

	rc, err := ch.Send(t.Context(), message())
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	if rc.ProviderID != "req_42" {
		t.Errorf("ProviderID = %q, want req_42 from X-Request-Id", rc.ProviderID)
	}
	got := r.got()
	if len(got) != 1 {
		t.Fatalf("the receiver got %d requests, want 1", len(got))
	}
	req := got[0]
	if err := webhook.Verify([]byte(testSecret), req.Header.Get("X-Ahead-Signature"), req.Body, time.Minute, signedAt.Add(30*time.Second)); err != nil {
		t.Errorf("Verify: %v", err)
	}
	if sig := req.Header.Get("X-Ahead-Signature"); !strings.HasPrefix(sig, "t=1795425120,v1=") {
		t.Errorf("X-Ahead-Signature = %q, want t=1795425120,v1=…", sig)
	}
	for k, want := range map[string]string{
		"Content-Type":    "application/json",
		"User-Agent":      "ahead-webhook/1",
		"Idempotency-Key": "iv_1",
	} {
		if v := req.Header.Get(k); v != want {
			t.Errorf("%s = %q, want %q", k, v, want)
		}
	}
	want := `{"intervention_id":"iv_1","flow":"new-subscriber","step":"welcome","customer_id":"cus_123",` +
		`"event_id":"evt_8f2c","channel":"webhook","due":"2026-11-25T09:00:00Z","locale":"nl",` +
		`"formality":"informal","text":"Hoi Anna, welkom!","subject":"Welkom"}`
	if string(req.Body) != want {
		t.Errorf("body:\n got %s\nwant %s", req.Body, want)
	}
	var env webhook.Envelope
	if err := json.Unmarshal(req.Body, &env); err != nil || env.InterventionID != "iv_1" || !env.Due.Equal(message().Due) {
		t.Errorf("decode the body as an Envelope: %+v, %v", env, err)
	}
	if strings.Contains(string(req.Body), `"name"`) || strings.Contains(string(req.Body), `"to"`) {
		t.Error("the envelope carries the customer's name or contact point")
	}
}

func TestSendRetrySameKey(t *testing.T) {
	t.Parallel()
	r := newReceiver(t)
	r.answer(answer{status: http.StatusTooManyRequests})
	ch := newChannel(t, webhook.Config{URL: r.URL})
	m := message()
	if _, err := ch.Send(t.Context(), m); err == nil || channels.IsPermanent(err) {
		t.Fatalf("Send against 429: %v, want a transient failure", err)
	}
	if _, err := ch.Send(t.Context(), m); err != nil {
		t.Fatalf("retry: %v", err)
	}
	got := r.got()
	if len(got) != 2 || got[0].Header.Get("Idempotency-Key") != "iv_1" || got[1].Header.Get("Idempotency-Key") != "iv_1" {
		t.Errorf("the two tries did not carry the same Idempotency-Key iv_1: %d requests", len(got))
	}
}

func TestSendFlowURL(t *testing.T) {
	t.Parallel()
	r := newReceiver(t)
	ch := newChannel(t, webhook.Config{
		URL:   r.URL + "/all",
		Flows: map[string]string{"new-subscriber": r.URL + "/subscribers"},
	})
	for _, tt := range []struct{ flow, path string }{
		{"new-subscriber", "/subscribers"},
		{"late-order", "/all"},
	} {
		m := message()
		m.Flow = tt.flow
		if _, err := ch.Send(t.Context(), m); err != nil {
			t.Fatalf("Send for flow %s: %v", tt.flow, err)
		}
		got := r.got()
		if p := got[len(got)-1].Path; p != tt.path {
			t.Errorf("flow %s went to %s, want %s", tt.flow, p, tt.path)
		}
	}
	if u := ch.URL("new-subscriber"); u != r.URL+"/subscribers" {
		t.Errorf("URL(new-subscriber) = %q", u)
	}
}

func TestSendNoURLForFlow(t *testing.T) {
	t.Parallel()
	r := newReceiver(t)
	ch := newChannel(t, webhook.Config{Flows: map[string]string{"new-subscriber": r.URL}})
	m := message()
	m.Flow = "late-order"
	_, err := ch.Send(t.Context(), m)
	if !channels.IsPermanent(err) {
		t.Fatalf("Send: %v, want a permanent failure", err)
	}
	if want := `no webhook URL for flow "late-order"`; channels.Reason(err) != want {
		t.Errorf("Reason = %q, want %q", channels.Reason(err), want)
	}
	if ch.URL("late-order") != "" || len(r.got()) != 0 {
		t.Error("a flow without a URL reached a receiver")
	}
}

func TestBody(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		edit func(m *channels.Message)
		want string
		err  string
	}{
		{
			name: "JSON template is the body",
			edit: func(m *channels.Message) {
				m.Text = "\n{\n  \"type\": \"welcome\",\n  \"customer\": \"cus_123\",\n  \"tags\": [\"new\"]\n}\n"
			},
			want: `{"type":"welcome","customer":"cus_123","tags":["new"]}`,
		},
		{
			name: "a JSON array is text",
			edit: func(m *channels.Message) { m.Text = `["a"]` },
			want: `{"intervention_id":"iv_1","flow":"new-subscriber","step":"welcome","customer_id":"cus_123","event_id":"evt_8f2c","channel":"webhook","due":"2026-11-25T09:00:00Z","locale":"nl","formality":"informal","text":"[\"a\"]","subject":"Welkom"}`,
		},
		{
			name: "empty fields left out",
			edit: func(m *channels.Message) {
				*m = channels.Message{ID: "iv_2", To: "cus_9", Text: "hoi"}
			},
			want: `{"intervention_id":"iv_2","channel":"webhook","text":"hoi"}`,
		},
		{
			name: "broken JSON template",
			edit: func(m *channels.Message) { m.Text = `{"type": "welcome",}` },
			err:  "build body: the text starts with '{' but is not a JSON object: invalid character '}' looking for beginning of object key string",
		},
		{
			name: "trailing text after the object",
			edit: func(m *channels.Message) { m.Text = `{"a":1} and more` },
			err:  "build body: the text starts with '{' but is not a JSON object: invalid character 'a' after top-level value",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := message()
			tt.edit(m)
			got, err := webhook.Body(m)
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Fatalf("Body error = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil || string(got) != tt.want {
				t.Errorf("Body:\n got %s, %v\nwant %s", got, err, tt.want)
			}
		})
	}
}

func TestSendJSONTemplate(t *testing.T) {
	t.Parallel()
	r, ch := setup(t)
	m := message()
	m.Text = "{\"event\": \"welcome\", \"plan\": \"family\"}\n"
	if _, err := ch.Send(t.Context(), m); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if got := string(r.got()[0].Body); got != `{"event":"welcome","plan":"family"}` {
		t.Errorf("body = %s", got)
	}

	m.Text = `{"event": "welcome"`
	_, err := ch.Send(t.Context(), m)
	if !channels.IsPermanent(err) || len(r.got()) != 1 {
		t.Errorf("a broken JSON template: %v after %d requests, want a permanent failure without a request", err, len(r.got()))
	}
}

func TestSendAnswers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		status    int
		body      string
		permanent bool
		reason    string
	}{
		{status: 400, body: "{\"error\":\n  \"unknown field plan\"}", permanent: true,
			reason: `HTTP 400 Bad Request: {"error": "unknown field plan"}`},
		{status: 401, permanent: true, reason: "HTTP 401 Unauthorized"},
		{status: 404, permanent: true},
		{status: 410, permanent: true},
		{status: 301, permanent: true, reason: "HTTP 301 Moved Permanently"},
		{status: 302, permanent: true},
		{status: 408},
		{status: 429, reason: "HTTP 429 Too Many Requests"},
		{status: 500, body: "boom", reason: "HTTP 500 Internal Server Error: boom"},
		{status: 502},
		{status: 503},
	}
	for _, tt := range tests {
		t.Run(http.StatusText(tt.status), func(t *testing.T) {
			t.Parallel()
			r := newReceiver(t)
			h := http.Header{}
			if tt.status/100 == 3 {
				h.Set("Location", r.URL+"/elsewhere")
			}
			r.answer(answer{status: tt.status, body: tt.body, header: h})
			ch := newChannel(t, webhook.Config{URL: r.URL + "/hook?token=s3cr3t"})
			_, err := ch.Send(t.Context(), message())
			if err == nil {
				t.Fatal("Send succeeded")
			}
			if channels.IsPermanent(err) != tt.permanent {
				t.Errorf("IsPermanent(%v) = %v, want %v", err, !tt.permanent, tt.permanent)
			}
			if code := channels.Code(err); code != strconv.Itoa(tt.status) {
				t.Errorf("Code = %q, want %d", code, tt.status)
			}
			host := strings.TrimPrefix(r.URL, "http://")
			if want := host + " answered " + tt.reason; tt.reason != "" && channels.Reason(err) != want {
				t.Errorf("Reason = %q, want %q", channels.Reason(err), want)
			}
			if strings.Contains(err.Error(), "s3cr3t") || strings.Contains(err.Error(), "/hook") {
				t.Errorf("the error shows the URL's path or query: %v", err)
			}
			if n := len(r.got()); n != 1 {
				t.Errorf("the receiver got %d requests, want 1 (no redirect followed)", n)
			}
		})
	}
}

func TestSendLongAnswer(t *testing.T) {
	t.Parallel()
	r := newReceiver(t)
	r.answer(answer{status: 400, body: strings.Repeat("é", 100<<10)})
	ch := newChannel(t, webhook.Config{URL: r.URL})
	_, err := ch.Send(t.Context(), message())
	reason := channels.Reason(err)
	if !strings.HasSuffix(reason, strings.Repeat("é", 200)+"…") || len(reason) > 500 {
		t.Errorf("Reason is %d bytes, want the answer clipped to 200 runes: %.80q", len(reason), reason)
	}
}

func TestSendTimeout(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		select {
		case <-release:
		case <-req.Context().Done():
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	ch := newChannel(t, webhook.Config{URL: srv.URL, Timeout: 50 * time.Millisecond})
	_, err := ch.Send(t.Context(), message())
	if err == nil || channels.IsPermanent(err) {
		t.Fatalf("Send to a receiver that does not answer: %v, want a transient failure", err)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("errors.Is(%v, context.DeadlineExceeded) = false", err)
	}
	if !strings.Contains(err.Error(), "no answer within 50ms") {
		t.Errorf("error = %v, want it to say no answer within 50ms", err)
	}
}

func TestSendConnectionRefused(t *testing.T) {
	t.Parallel()
	r := newReceiver(t)
	url := r.URL
	r.Close()
	ch := newChannel(t, webhook.Config{URL: url})
	_, err := ch.Send(t.Context(), message())
	if err == nil || channels.IsPermanent(err) {
		t.Fatalf("Send to a closed port: %v, want a transient failure", err)
	}
}

func TestSendNoID(t *testing.T) {
	t.Parallel()
	r, ch := setup(t)
	m := message()
	m.ID = ""
	if _, err := ch.Send(t.Context(), m); !channels.IsPermanent(err) || len(r.got()) != 0 {
		t.Errorf("Send without an id: %v, want a permanent failure and no request", err)
	}
}

func TestWithHTTPClient(t *testing.T) {
	t.Parallel()
	r := newReceiver(t)
	var used bool
	client := &http.Client{Transport: roundTripper(func(req *http.Request) (*http.Response, error) {
		used = true
		return http.DefaultTransport.RoundTrip(req)
	})}
	ch := newChannel(t, webhook.Config{URL: r.URL}, webhook.WithHTTPClient(client))
	if _, err := ch.Send(t.Context(), message()); err != nil || !used {
		t.Errorf("Send: %v; the given client was used: %v", err, used)
	}
	if client.CheckRedirect != nil {
		t.Error("New changed the caller's client")
	}
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(req *http.Request) (*http.Response, error) { return f(req) }
