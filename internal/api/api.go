package api

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/hibiken/asynq"

	"github.com/aheadhq/ahead/internal/clock"
	"github.com/aheadhq/ahead/internal/store"
	"github.com/aheadhq/ahead/tasks"
)

// Scopes of bearer tokens.
const (
	ScopeEvents = "events"
	ScopeAgent  = "agent"
	ScopeAdmin  = "admin"
)

// MaxBatch is the largest number of events one POST /v1/events takes.
const MaxBatch = 1000

// Options configure the API.
type Options struct {
	Store  *store.Store
	Client *asynq.Client
	// Inspector removes a customer's queued tasks when the customer is
	// erased; nil uses one on the store's Redis.
	Inspector *asynq.Inspector
	Worker    *tasks.Worker
	Clock     clock.Clock
	Log       *slog.Logger
	// Authorize reports whether a bearer token has a scope. Nil serves
	// every route without authentication.
	Authorize func(token, scope string) bool
	// MaxBody bounds a request body (default 5 MiB).
	MaxBody int64
	// PublicURL is the URL providers reach the API at (api.public_url);
	// webhook signatures are checked against it.
	PublicURL string
	// TwilioAuthToken checks the signatures of Twilio's webhooks.
	TwilioAuthToken string
	// SigningKey checks one-click unsubscribe tokens.
	SigningKey []byte
	// Ready reports whether the server can take work (Redis reachable,
	// flows loaded); nil checks Redis.
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
	if o.Inspector == nil && o.Store != nil {
		o.Inspector = asynq.NewInspectorFromRedisClient(o.Store.Redis())
	}
	s := &server{o: o}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/events", s.auth(ScopeEvents, s.postEvents))
	mux.HandleFunc("GET /v1/customers/{id}/timeline", s.auth(ScopeAgent, s.timeline))
	mux.HandleFunc("GET /v1/customers/{id}", s.auth(ScopeAgent, s.getCustomer))
	mux.HandleFunc("PUT /v1/customers/{id}", s.auth(ScopeEvents, s.putCustomer))
	mux.HandleFunc("DELETE /v1/customers/{id}", s.auth(ScopeAdmin, s.deleteCustomer))
	mux.HandleFunc("POST /v1/customers/{id}/cancel", s.auth(ScopeEvents, s.cancelCustomer))
	mux.HandleFunc("GET /v1/callbacks", s.auth(ScopeAgent, s.listCallbacks))
	mux.HandleFunc("POST /v1/callbacks/claim", s.auth(ScopeAgent, s.claimCallback))
	mux.HandleFunc("POST /v1/callbacks/{id}/outcome", s.auth(ScopeAgent, s.recordOutcome))
	mux.HandleFunc("GET /agent", s.agentPage(s.agentHome))
	mux.HandleFunc("POST /agent/session", s.agentSignIn)
	mux.HandleFunc("POST /agent/session/end", s.agentSignOut)
	mux.HandleFunc("POST /agent/claim", s.agentPage(s.agentClaim))
	mux.HandleFunc("GET /agent/callbacks/{id}", s.agentPage(s.agentCallback))
	mux.HandleFunc("POST /agent/callbacks/{id}/outcome", s.agentPage(s.agentOutcome))
	mux.HandleFunc("GET /agent/static/{file}", s.agentStatic)
	mux.HandleFunc("GET /v1/flows", s.auth(ScopeAgent, s.listFlows))
	mux.HandleFunc("GET /v1/outbox", s.auth(ScopeAdmin, s.outbox))
	mux.HandleFunc("POST /v1/webhooks/twilio/status", s.twilioStatus)
	mux.HandleFunc("POST /v1/webhooks/twilio/inbound", s.twilioInbound)
	mux.HandleFunc("POST /v1/webhooks/twilio/taskrouter", s.taskrouterEvent)
	mux.HandleFunc("GET /v1/unsubscribe/{token}", s.unsubscribePage)
	mux.HandleFunc("POST /v1/unsubscribe/{token}", s.unsubscribe)
	addProbes(mux, s.ready)
	return mux
}

// auth guards h with a bearer token that has scope; admin has every scope.
// A token without any scope is unknown (401); a known token without the
// route's scope is forbidden (403).
func (s *server) auth(scope string, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.o.Authorize == nil {
			h(w, r)
			return
		}
		scheme, tok, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		tok = strings.TrimSpace(tok)
		if !strings.EqualFold(scheme, "Bearer") || tok == "" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="ahead"`)
			writeError(w, http.StatusUnauthorized, "missing bearer token")
			return
		}
		has := func(sc string) bool { return s.o.Authorize(tok, sc) }
		if has(scope) || has(ScopeAdmin) {
			h(w, r)
			return
		}
		if !has(ScopeEvents) && !has(ScopeAgent) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="ahead", error="invalid_token"`)
			writeError(w, http.StatusUnauthorized, "unknown bearer token")
			return
		}
		writeError(w, http.StatusForbidden, "token lacks scope "+scope)
	}
}

// ready is the readiness check: Options.Ready, or else Redis answers.
func (s *server) ready(ctx context.Context) error {
	if s.o.Ready != nil {
		return s.o.Ready()
	}
	return s.o.Store.Ping(ctx)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

func writeError(w http.ResponseWriter, code int, msg string, details ...string) {
	body := map[string]any{"error": msg}
	if len(details) > 0 {
		body["errors"] = details
	}
	writeJSON(w, code, body)
}

// internal logs err and answers 500 or, when Redis is unreachable, 503.
func (s *server) internal(w http.ResponseWriter, r *http.Request, err error) {
	s.o.Log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	code := http.StatusInternalServerError
	if errors.Is(err, errUnavailable) {
		code = http.StatusServiceUnavailable
	}
	writeError(w, code, "internal error; nothing was accepted")
}

var errUnavailable = errors.New("unavailable")
