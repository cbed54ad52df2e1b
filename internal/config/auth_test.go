package config

import "testing"

func TestAuthorize(t *testing.T) {
	t.Parallel()
	c := Default()
	c.API.Tokens = []Token{
		{Name: "crm", Token: "events-token-0123456789", Scopes: []string{ScopeEvents}},
		{Name: "desk", Token: "agent-token-0123456789", Scopes: []string{ScopeAgent, ScopeEvents}},
		{Name: "ops", Token: "admin-token-0123456789", Scopes: []string{ScopeAdmin}},
	}
	cases := []struct {
		token, scope string
		want         bool
	}{
		{"events-token-0123456789", ScopeEvents, true},
		{"events-token-0123456789", ScopeAgent, false},
		{"events-token-0123456789", ScopeAdmin, false},
		{"agent-token-0123456789", ScopeAgent, true},
		{"agent-token-0123456789", ScopeEvents, true},
		{"agent-token-0123456789", ScopeAdmin, false},
		{"admin-token-0123456789", ScopeEvents, true},
		{"admin-token-0123456789", ScopeAgent, true},
		{"admin-token-0123456789", ScopeAdmin, true},
		{"admin-token-0123456789", "billing", false},   // unknown scope
		{"admin-token-012345678", ScopeAdmin, false},   // prefix
		{"admin-token-01234567890", ScopeAdmin, false}, // longer
		{"ADMIN-TOKEN-0123456789", ScopeAdmin, false},
		{"", ScopeEvents, false},
		{"nobody-0123456789abcdef", ScopeEvents, false},
	}
	for _, tc := range cases {
		if got := c.Authorize(tc.token, tc.scope); got != tc.want {
			t.Errorf("Authorize(%q, %q) = %v, want %v", tc.token, tc.scope, got, tc.want)
		}
	}
}

func TestAuthorizeWithoutTokens(t *testing.T) {
	t.Parallel()
	c := Default()
	c.API.InsecureNoAuth = true
	if c.Authorize("anything-0123456789", ScopeEvents) || c.Authorize("", ScopeEvents) {
		t.Error("authorized a request with no tokens configured")
	}
	// A token left empty by hand never matches an empty bearer token.
	c.API.Tokens = []Token{{Name: "empty", Scopes: []string{ScopeAdmin}}}
	if c.Authorize("", ScopeAdmin) {
		t.Error("an empty configured token matched an empty bearer token")
	}
}

func TestTokenName(t *testing.T) {
	t.Parallel()
	c := Default()
	c.API.Tokens = []Token{
		{Name: "crm", Token: "events-token-0123456789", Scopes: []string{ScopeEvents}},
		{Name: "ops", Token: "admin-token-0123456789", Scopes: []string{ScopeAdmin}},
	}
	if name, ok := c.TokenName("admin-token-0123456789"); !ok || name != "ops" {
		t.Errorf("TokenName = %q, %v; want ops, true", name, ok)
	}
	if name, ok := c.TokenName("unknown-token-0123456789"); ok || name != "" {
		t.Errorf("TokenName of an unknown token = %q, %v", name, ok)
	}
	if _, ok := c.TokenName(""); ok {
		t.Error("TokenName accepted an empty token")
	}
}
