package twilio

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
)

// Rewrite returns an http.RoundTripper that sends every request to base
// through next: the scheme and host of the request are replaced by base's,
// and base's path is put in front of the request's path. twilio-go builds
// its URLs from fixed hosts (api.twilio.com, taskrouter.twilio.com, and
// others under TWILIO_EDGE and TWILIO_REGION); this is what makes one API
// URL reach all of them.
func Rewrite(base *url.URL, next http.RoundTripper) http.RoundTripper {
	return &rewrite{base: base, next: next}
}

type rewrite struct {
	base *url.URL
	next http.RoundTripper
}

func (t *rewrite) RoundTrip(req *http.Request) (*http.Response, error) {
	r := req.Clone(req.Context())
	r.URL.Scheme = t.base.Scheme
	r.URL.Host = t.base.Host
	if t.base.Path != "" {
		r.URL.Path = t.base.Path + "/" + strings.TrimLeft(r.URL.Path, "/")
		r.URL.RawPath = ""
	}
	// The Host header follows the new URL.
	r.Host = ""
	return t.next.RoundTrip(r)
}

// call is the transport of one Send. twilio-go makes its requests without a
// context, so call attaches the Send's ctx to each of them; it also records
// the HTTP status of the last answer, which twilio-go loses when an error
// answer has no JSON body.
type call struct {
	ctx  context.Context
	next http.RoundTripper

	mu     sync.Mutex
	status int
}

func (t *call) RoundTrip(req *http.Request) (*http.Response, error) {
	res, err := t.next.RoundTrip(req.Clone(t.ctx))
	if err == nil {
		t.mu.Lock()
		t.status = res.StatusCode
		t.mu.Unlock()
	}
	return res, err
}

// lastStatus returns the HTTP status of the last answer, or 0 when there
// was none.
func (t *call) lastStatus() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.status
}

// noRedirect keeps the last answer instead of following a redirect, as
// twilio-go's own client does.
func noRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
