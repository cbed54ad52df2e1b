package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/aheadhq/ahead/callbacks"
	"github.com/aheadhq/ahead/callbacks/desk"
	"github.com/aheadhq/ahead/engine"
	"github.com/aheadhq/ahead/internal/api/reportpage"
	"github.com/aheadhq/ahead/internal/clock"
	"github.com/aheadhq/ahead/internal/httpx"
)

// Scopes of bearer tokens.
const (
	ScopeEvents = httpx.ScopeEvents
	ScopeAgent  = httpx.ScopeAgent
	ScopeAdmin  = httpx.ScopeAdmin
)

// MaxBatch is the largest number of events one POST /v1/events takes.
const MaxBatch = 1000

// Options configure the API.
type Options struct {
	// Engine takes events in and answers for customers.
	Engine *engine.Engine
	// Callbacks are the callback queues the agent routes work on.
	Callbacks *callbacks.Queues
	Clock     clock.Clock
	Log       *slog.Logger
	// Authorize reports whether a bearer token has a scope. Nil serves
	// every route without authentication.
	Authorize func(token, scope string) bool
	// Identify names who a bearer token belongs to and which agent it acts
	// as; agent routes record claims and outcomes under that agent.
	Identify func(token string) (httpx.Caller, bool)
	// MaxBody bounds a request body (default 5 MiB).
	MaxBody int64
	// PublicURL is the URL providers reach the API at (api.public_url);
	// webhook signatures are checked against it.
	PublicURL string
	// TwilioAuthToken checks the signatures of Twilio's webhooks.
	TwilioAuthToken string
	// SigningKey checks one-click unsubscribe tokens.
	SigningKey []byte
	// Stripe serves POST /v1/sources/stripe; nil answers it 404.
	Stripe *Stripe
	// Ready reports whether the server can take work (Redis reachable,
	// flows loaded); nil asks the engine whether its store answers.
	Ready func() error
}

type server struct {
	o Options
}

// New returns the API's handler.
func New(o Options) http.Handler {
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Clock == nil {
		o.Clock = clock.Real{}
	}
	if o.MaxBody <= 0 {
		o.MaxBody = 5 << 20
	}
	s := &server{o: o}
	auth := func(scope string, h http.HandlerFunc) http.HandlerFunc {
		return httpx.Auth(o.Authorize, scope, httpx.WithCaller(o.Identify, h))
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/events", auth(httpx.ScopeEvents, s.postEvents))
	mux.HandleFunc("GET /v1/customers/{id}/timeline", auth(httpx.ScopeAgent, s.timeline))
	mux.HandleFunc("GET /v1/customers/{id}", auth(httpx.ScopeAgent, s.getCustomer))
	mux.HandleFunc("PUT /v1/customers/{id}", auth(httpx.ScopeEvents, s.putCustomer))
	mux.HandleFunc("DELETE /v1/customers/{id}", auth(httpx.ScopeAdmin, s.deleteCustomer))
	mux.HandleFunc("POST /v1/customers/{id}/cancel", auth(httpx.ScopeEvents, s.cancelCustomer))
	mux.HandleFunc("GET /v1/callbacks", auth(httpx.ScopeAgent, s.listCallbacks))
	mux.HandleFunc("POST /v1/callbacks/claim", auth(httpx.ScopeAgent, s.claimCallback))
	mux.HandleFunc("POST /v1/callbacks/{id}/outcome", auth(httpx.ScopeAgent, s.recordOutcome))
	mux.HandleFunc("POST /v1/callbacks/{id}/assign", auth(httpx.ScopeAdmin, s.assignCallback))
	if o.Callbacks != nil {
		d := desk.New(desk.Options{Queues: o.Callbacks, Clock: o.Clock, Log: o.Log, Authorize: o.Authorize, Identify: o.Identify, SigningKey: o.SigningKey})
		mux.Handle("/agent", d)
		mux.Handle("/agent/", d)
	}
	rp := reportpage.New(reportpage.Options{Reports: engineReports{o.Engine}, Clock: o.Clock, Log: o.Log, Authorize: o.Authorize, Identify: o.Identify, SigningKey: o.SigningKey})
	mux.Handle("/reports", rp)
	mux.Handle("/reports/", rp)
	mux.HandleFunc("GET /v1/flows", auth(httpx.ScopeAgent, s.listFlows))
	mux.HandleFunc("GET /v1/reports/flows/{id}", auth(httpx.ScopeAdmin, s.flowReport))
	mux.HandleFunc("GET /v1/outbox", auth(httpx.ScopeAdmin, s.outbox))
	mux.HandleFunc("POST /v1/webhooks/twilio/status", s.twilioStatus)
	mux.HandleFunc("POST /v1/webhooks/twilio/inbound", s.twilioInbound)
	mux.HandleFunc("POST /v1/webhooks/twilio/taskrouter", s.taskrouterEvent)
	mux.HandleFunc("POST /v1/sources/stripe", s.stripeEvent)
	mux.HandleFunc("GET /v1/unsubscribe/{token}", s.unsubscribePage)
	mux.HandleFunc("POST /v1/unsubscribe/{token}", s.unsubscribe)
	addProbes(mux, s.ready)
	return mux
}

// ready is the readiness check: Options.Ready, or else Redis answers.
func (s *server) ready(ctx context.Context) error {
	if s.o.Ready != nil {
		return s.o.Ready()
	}
	return s.o.Engine.Ping(ctx)
}

func writeJSON(w http.ResponseWriter, code int, v any) { httpx.JSON(w, code, v) }

func writeError(w http.ResponseWriter, code int, msg string, details ...string) {
	httpx.Error(w, code, msg, details...)
}

// internal logs err and answers 500 or, when Redis is unreachable, 503.
func (s *server) internal(w http.ResponseWriter, r *http.Request, err error) {
	if engine.Unavailable(err) && !errors.Is(err, engine.ErrUnavailable) {
		err = fmt.Errorf("%w: %w", engine.ErrUnavailable, err)
	}
	httpx.Internal(s.o.Log, w, r, err, engine.ErrUnavailable)
}

func (s *server) readBody(w http.ResponseWriter, r *http.Request) []byte {
	return httpx.ReadBody(w, r, s.o.MaxBody)
}

func decodeStrict(raw []byte, v any, prefix string) error { return httpx.Decode(raw, v, prefix) }
