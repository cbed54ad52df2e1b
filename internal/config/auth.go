package config

import (
	"crypto/sha256"
	"crypto/subtle"
	"slices"
)

// Authorize reports whether token is one of the configured bearer tokens and
// holds scope. An admin token holds every scope. The token is compared with
// every configured token in constant time, so the answer takes as long
// whichever token matched, if any. An empty token or an unknown scope is
// never authorized; api.insecure_no_auth is not considered here.
func (c *Config) Authorize(token, scope string) bool {
	if token == "" || !slices.Contains(scopes, scope) {
		return false
	}
	// Hashing first makes the comparison independent of the tokens'
	// lengths as well as their contents.
	got := sha256.Sum256([]byte(token))
	ok := 0
	for _, t := range c.API.Tokens {
		want := sha256.Sum256([]byte(t.Token))
		match := subtle.ConstantTimeCompare(got[:], want[:])
		if t.Token == "" {
			match = 0
		}
		has := 0
		if slices.Contains(t.Scopes, scope) || slices.Contains(t.Scopes, ScopeAdmin) {
			has = 1
		}
		ok |= match & has
	}
	return ok == 1
}

// Caller is who a bearer token belongs to.
type Caller struct {
	// Name is the token's name; Agent the agent it acts as (its agent
	// claim, else its name).
	Name, Agent string
	// Admin says the token has the admin scope.
	Admin bool
}

// Identify returns who the configured token equal to token belongs to,
// and false if there is none. It compares in constant time like Authorize.
func (c *Config) Identify(token string) (Caller, bool) {
	if token == "" {
		return Caller{}, false
	}
	got := sha256.Sum256([]byte(token))
	var who Caller
	found := false
	for _, t := range c.API.Tokens {
		want := sha256.Sum256([]byte(t.Token))
		if subtle.ConstantTimeCompare(got[:], want[:]) == 1 && t.Token != "" && !found {
			who, found = Caller{Name: t.Name, Agent: t.Agent, Admin: slices.Contains(t.Scopes, ScopeAdmin)}, true
			if who.Agent == "" {
				who.Agent = t.Name
			}
		}
	}
	return who, found
}

// TokenName returns the name of the configured token equal to token, for
// logs and the journal, and false if there is none. It compares in
// constant time like Authorize.
func (c *Config) TokenName(token string) (string, bool) {
	if token == "" {
		return "", false
	}
	got := sha256.Sum256([]byte(token))
	name, found := "", false
	for _, t := range c.API.Tokens {
		want := sha256.Sum256([]byte(t.Token))
		if subtle.ConstantTimeCompare(got[:], want[:]) == 1 && t.Token != "" && !found {
			name, found = t.Name, true
		}
	}
	return name, found
}
