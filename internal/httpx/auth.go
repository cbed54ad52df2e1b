package httpx

import (
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
