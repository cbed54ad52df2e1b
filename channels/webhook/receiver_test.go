package webhook_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/aheadhq/ahead/channels/webhook"
)

// testSecret signs every request of the tests.
const testSecret = "whsec-test-0123456789abcdef"

// signedAt is when the tests' channels sign their requests.
var signedAt = time.Date(2026, 11, 23, 9, 12, 0, 0, time.UTC)

// request is one request a receiver got.
type request struct {
	Path   string
	Header http.Header
	Body   []byte
}

// receiver is a webhook endpoint that records what it gets, answers the
// statuses it is told to, once each, and 200 otherwise. It counts a
// request as delivered when its signature is valid and it answered 2xx.
type receiver struct {
	*httptest.Server

	mu        sync.Mutex
	requests  []request
	delivered map[string]int // by Idempotency-Key
	answers   []answer
}

// answer is one queued answer.
type answer struct {
	status int
	body   string
	header http.Header
}

func newReceiver(t *testing.T) *receiver {
	t.Helper()
	r := &receiver{delivered: map[string]int{}}
	r.Server = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.requests = append(r.requests, request{Path: req.URL.Path, Header: req.Header.Clone(), Body: body})
	a := answer{status: http.StatusOK}
	if len(r.answers) > 0 {
		a, r.answers = r.answers[0], r.answers[1:]
	}
	for k, vs := range a.header {
		w.Header()[k] = vs
	}
	if err := webhook.Verify([]byte(testSecret), req.Header.Get(webhook.SignatureHeader), body, 0, signedAt); err != nil {
		a = answer{status: http.StatusUnauthorized, body: err.Error()}
	}
	w.WriteHeader(a.status)
	_, _ = io.WriteString(w, a.body)
	if a.status/100 == 2 {
		r.delivered[req.Header.Get("Idempotency-Key")]++
	}
}

// answer queues the answers to the next requests.
func (r *receiver) answer(as ...answer) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.answers = append(r.answers, as...)
}

// got returns the requests received so far.
func (r *receiver) got() []request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]request(nil), r.requests...)
}

// wasDelivered reports whether a request with the intervention id was
// accepted.
func (r *receiver) wasDelivered(id string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.delivered[id] > 0
}

// newChannel returns a channel that posts to url and signs at signedAt.
func newChannel(t *testing.T, cfg webhook.Config, opts ...webhook.Option) *webhook.Channel {
	t.Helper()
	if cfg.Secret == "" {
		cfg.Secret = testSecret
	}
	opts = append([]webhook.Option{webhook.WithNow(func() time.Time { return signedAt })}, opts...)
	ch, err := webhook.New(cfg, opts...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return ch
}

// setup returns a receiver and a channel that posts every flow to it.
func setup(t *testing.T) (*receiver, *webhook.Channel) {
	t.Helper()
	r := newReceiver(t)
	return r, newChannel(t, webhook.Config{URL: r.URL})
}
