package prismtest

import (
	"bytes"
	"io"
	"net/http"
	"sync"
)

// Recorder is an http.RoundTripper that keeps the status and body of the
// last answer, so that a failing contract test shows what Prism objected
// to.
type Recorder struct {
	mu     sync.Mutex
	status int
	body   string
}

// RoundTrip sends req with the default transport and keeps the answer.
func (r *Recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	res, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		return nil, err
	}
	res.Body = io.NopCloser(bytes.NewReader(body))
	r.mu.Lock()
	r.status, r.body = res.StatusCode, string(body)
	r.mu.Unlock()
	return res, nil
}

// Last returns the status and body of the last answer.
func (r *Recorder) Last() (int, string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.status, r.body
}

// String is the last answer's status text and body.
func (r *Recorder) String() string {
	status, body := r.Last()
	return http.StatusText(status) + ": " + body
}
