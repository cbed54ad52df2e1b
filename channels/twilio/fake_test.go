package twilio_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"

	"github.com/aheadhq/ahead/channels/twilio"
)

const (
	accountSID = "AC0123456789abcdef0123456789abcdef"
	authToken  = "secret0token"
	serviceSID = "MG00112233445566778899aabbccddeeff"
	smsFrom    = "+3197010123456"
	waFrom     = "+31201234567"
	customerTo = "+31612345678"
	callback   = "https://ahead.example.com/v1/webhooks/twilio/status"
)

// request is what the fake Twilio received.
type request struct {
	Method, Path string
	User, Pass   string
	Form         url.Values
	// Accepted says the fake accepted the message rather than answering
	// with a queued failure.
	Accepted bool
}

// answer is one answer the fake Twilio gives instead of accepting.
type answer struct {
	status int
	body   string
}

// fakeTwilio is an httptest server that speaks the Messages API: it accepts
// every message with a fresh SID unless answers are queued.
type fakeTwilio struct {
	*httptest.Server
	mu      sync.Mutex
	reqs    []request
	answers []answer
	n       int
}

func startFake(t *testing.T) *fakeTwilio {
	t.Helper()
	f := &fakeTwilio{}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeTwilio) serve(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	user, pass, _ := r.BasicAuth()
	f.mu.Lock()
	var a *answer
	if len(f.answers) > 0 {
		a = &f.answers[0]
		f.answers = f.answers[1:]
	}
	f.reqs = append(f.reqs, request{Method: r.Method, Path: r.URL.Path, User: user, Pass: pass, Form: r.PostForm, Accepted: a == nil})
	f.n++
	sid := fmt.Sprintf("SM%032x", f.n)
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if a != nil {
		w.WriteHeader(a.status)
		fmt.Fprint(w, a.body)
		return
	}
	w.WriteHeader(http.StatusCreated)
	fmt.Fprintf(w, `{"sid":%q,"status":"queued","to":%q,"from":%q,"num_segments":"1"}`,
		sid, r.PostForm.Get("To"), r.PostForm.Get("From"))
}

// fail queues an answer for the next request.
func (f *fakeTwilio) fail(status int, body string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.answers = append(f.answers, answer{status, body})
}

// failCode queues Twilio's JSON error body for code.
func (f *fakeTwilio) failCode(status, code int, message string) {
	f.fail(status, twilioError(status, code, message))
}

func twilioError(status, code int, message string) string {
	return fmt.Sprintf(`{"code":%d,"message":%q,"more_info":"https://www.twilio.com/docs/errors/%d","status":%d}`,
		code, message, code, status)
}

func (f *fakeTwilio) requests() []request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]request(nil), f.reqs...)
}

// last returns the last request, failing the test when there was none.
func (f *fakeTwilio) last(t *testing.T) request {
	t.Helper()
	reqs := f.requests()
	if len(reqs) == 0 {
		t.Fatal("the fake Twilio received no request")
	}
	return reqs[len(reqs)-1]
}

// config returns a configuration that sends to f.
func (f *fakeTwilio) config() twilio.Config {
	return twilio.Config{
		AccountSID:     accountSID,
		AuthToken:      authToken,
		APIURL:         f.URL,
		SMSFrom:        smsFrom,
		WhatsAppFrom:   waFrom,
		StatusCallback: callback,
	}
}

func newSMS(t *testing.T, cfg twilio.Config) *twilio.Channel {
	t.Helper()
	ch, err := twilio.NewSMS(cfg)
	if err != nil {
		t.Fatalf("NewSMS: %v", err)
	}
	return ch
}

func newWhatsApp(t *testing.T, cfg twilio.Config) *twilio.Channel {
	t.Helper()
	ch, err := twilio.NewWhatsApp(cfg)
	if err != nil {
		t.Fatalf("NewWhatsApp: %v", err)
	}
	return ch
}
