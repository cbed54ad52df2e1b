package httpx

import (
	"context"
	"net/http"
	"strings"
)

// Scopes of bearer tokens.
const (
	ScopeEvents = "events"
	ScopeAgent  = "agent"
	ScopeAdmin  = "admin"
)

// Auth guards h with a bearer token that has scope; admin has every scope.
// A token without any scope is unknown (401); a known token without the
// route's scope is forbidden (403).
func Auth(authorize func(token, scope string) bool, scope string, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if authorize == nil {
			h(w, r)
			return
		}
		scheme, tok, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		tok = strings.TrimSpace(tok)
		if !strings.EqualFold(scheme, "Bearer") || tok == "" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="ahead"`)
			Error(w, http.StatusUnauthorized, "missing bearer token")
			return
		}
		has := func(sc string) bool { return authorize(tok, sc) }
		if has(scope) || has(ScopeAdmin) {
			h(w, r)
			return
		}
		if !has(ScopeEvents) && !has(ScopeAgent) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="ahead", error="invalid_token"`)
			Error(w, http.StatusUnauthorized, "unknown bearer token")
			return
		}
		Error(w, http.StatusForbidden, "token lacks scope "+scope)
	}
}

// Caller is who a request's bearer token belongs to.
type Caller struct {
	// Name is the token's name; Agent the agent it acts as.
	Name, Agent string
	// Admin says the token has the admin scope.
	Admin bool
}

type callerKey struct{}

// WithCaller wraps h so that it finds the request's caller with CallerOf;
// identify maps a bearer token to its caller. A nil identify (no
// authentication) leaves the caller unknown.
func WithCaller(identify func(token string) (Caller, bool), h http.HandlerFunc) http.HandlerFunc {
	if identify == nil {
		return h
	}
	return func(w http.ResponseWriter, r *http.Request) {
		_, tok, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		if c, ok := identify(strings.TrimSpace(tok)); ok {
			r = r.WithContext(context.WithValue(r.Context(), callerKey{}, c))
		}
		h(w, r)
	}
}

// CallerOf returns the caller WithCaller found for r, and false when the
// server runs without authentication.
func CallerOf(r *http.Request) (Caller, bool) {
	c, ok := r.Context().Value(callerKey{}).(Caller)
	return c, ok
}
