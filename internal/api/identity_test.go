package api_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/aheadhq/ahead/internal/api"
	"github.com/aheadhq/ahead/internal/httpx"
)

// An agent token acts as its own agent only: it cannot claim or record
// for somebody else, a callback held by another agent answers 409, and an
// admin may act for an agent and reassign, with the admin named in the
// journal.
func TestAgentIdentityIsTheToken(t *testing.T) {
	t.Parallel()
	callers := map[string]httpx.Caller{
		"ann-token-0123456789":   {Name: "desk-ann", Agent: "Ann"},
		"bob-token-0123456789":   {Name: "desk-bob", Agent: "Bob"},
		"admin-token-0123456789": {Name: "ops", Agent: "ops", Admin: true},
	}
	e := setup(t, func(o *api.Options) {
		o.Authorize = func(tok, scope string) bool {
			c, ok := callers[tok]
			return ok && (c.Admin || slices.Contains([]string{api.ScopeAgent}, scope))
		}
		o.Identify = func(tok string) (httpx.Caller, bool) { c, ok := callers[tok]; return c, ok }
	})
	e.clock.Set(tuesday10)
	e.queueCallback("cb_1", "cus_1", "Europe/Amsterdam", tuesday10.Add(-90*60e9), 0)
	const ann, bob, admin = "ann-token-0123456789", "bob-token-0123456789", "admin-token-0123456789"

	if r := e.do("POST", "/v1/callbacks/claim", ann, `{"queue":"retention","agent":"Alice"}`); r.code != http.StatusForbidden {
		t.Fatalf("Ann's token claiming as Alice: %s, want 403", r)
	}
	r := e.do("POST", "/v1/callbacks/claim", ann, `{"queue":"retention"}`)
	var cb callbackJSON
	if r.code != http.StatusOK {
		t.Fatalf("claim with Ann's token: %s", r)
	}
	r.json(t, &cb)
	if cb.Agent != "Ann" {
		t.Fatalf("claimed for %q, want Ann, whom the token names", cb.Agent)
	}
	if r := e.do("POST", "/v1/callbacks/cb_1/outcome", bob, `{"outcome":"reached"}`); r.code != http.StatusConflict {
		t.Errorf("Bob recording Ann's callback: %s, want 409", r)
	}
	if r := e.do("POST", "/v1/callbacks/cb_1/outcome", bob, `{"agent":"Ann","outcome":"reached"}`); r.code != http.StatusForbidden {
		t.Errorf("Bob's token recording as Ann: %s, want 403", r)
	}
	if r := e.do("POST", "/v1/callbacks/cb_1/assign", ann, `{"agent":"Bob"}`); r.code != http.StatusForbidden {
		t.Errorf("an agent reassigning: %s, want 403", r)
	}
	if r := e.do("POST", "/v1/callbacks/cb_1/assign", admin, `{"agent":"Bob"}`); r.code != http.StatusOK {
		t.Fatalf("admin reassigning to Bob: %s", r)
	}
	if r := e.do("POST", "/v1/callbacks/cb_1/outcome", ann, `{"outcome":"reached"}`); r.code != http.StatusConflict {
		t.Errorf("Ann after the reassignment: %s, want 409", r)
	}
	if r := e.do("POST", "/v1/callbacks/cb_1/outcome", admin, `{"agent":"Bob","outcome":"no_answer"}`); r.code != http.StatusOK {
		t.Fatalf("admin recording for Bob: %s", r)
	}
	entries, err := e.store.Timeline(context.Background(), "cus_1", 0)
	if err != nil {
		t.Fatal(err)
	}
	var reasons []string
	for _, en := range entries {
		reasons = append(reasons, en.Reason)
	}
	all := strings.Join(reasons, "\n")
	for _, want := range []string{"claimed by Ann", "reassigned from Ann to Bob by ops", "no_answer by Bob (recorded by ops)"} {
		if !strings.Contains(all, want) {
			t.Errorf("timeline lacks %q:\n%s", want, all)
		}
	}
}
