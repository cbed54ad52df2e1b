package twilio

import (
	"context"
	"io"
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
	// commit, when set, is called before a POST's body is written: the
	// point of no return of a send. An error stops the request there.
	commit func() error

	mu        sync.Mutex
	status    int
	committed bool
	refused   error
}

func (t *call) RoundTrip(req *http.Request) (*http.Response, error) {
	r := req.Clone(t.ctx)
	if t.commit != nil && r.Method == http.MethodPost {
		if r.Body == nil || r.Body == http.NoBody {
			if err := t.pointOfNoReturn(); err != nil {
				return nil, err
			}
		} else {
			r.Body = &commitBody{ReadCloser: r.Body, call: t}
		}
	}
	res, err := t.next.RoundTrip(r)
	if err == nil {
		t.mu.Lock()
		t.status = res.StatusCode
		t.mu.Unlock()
	}
	return res, err
}

// pointOfNoReturn calls commit once and keeps its error.
func (t *call) pointOfNoReturn() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.committed {
		t.committed = true
		t.refused = t.commit()
	}
	return t.refused
}

// refusal returns the error commit stopped the request with, or nil.
func (t *call) refusal() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.refused
}

// commitBody is a request body whose first read marks the point of no
// return: the transport reads the body once the connection is open and the
// headers are out, and Twilio acts on a request only once its body is
// complete. A refused commit fails the read, so the body is never sent.
type commitBody struct {
	io.ReadCloser
	call *call
}

func (b *commitBody) Read(p []byte) (int, error) {
	if err := b.call.pointOfNoReturn(); err != nil {
		return 0, err
	}
	return b.ReadCloser.Read(p)
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
