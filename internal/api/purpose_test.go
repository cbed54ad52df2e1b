package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/aheadhq/ahead/internal/signed"
	"github.com/aheadhq/ahead/internal/store"
)

// PUT /v1/customers/{id} takes first_name and consent per purpose.
func TestPutCustomerFirstNameAndPurpose(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx := context.Background()
	r := e.do("PUT", "/v1/customers/cus_1", "", `{"name":"Anna de Vries","first_name":"Anna","email":"anna@example.nl",
		"consent":{"marketing.email":"revoked","sms":"granted"}}`)
	if r.code != http.StatusOK {
		t.Fatalf("PUT: %s", r)
	}
	var p map[string]string
	r.json(t, &p)
	if p["first_name"] != "Anna" || p["name"] != "Anna de Vries" || p["optout_marketing_email"] == "" || p["consent_sms"] == "" || p["optout_email"] != "" {
		t.Fatalf("profile %v, want first_name, a marketing opt-out on email and sms consent", p)
	}
	entries, _ := e.store.Timeline(ctx, "cus_1", 0)
	var marketing *store.Entry
	for i, en := range entries {
		if en.State == "consent_revoked" {
			marketing = &entries[i]
		}
	}
	if marketing == nil || marketing.Channel != "email" || !strings.Contains(marketing.Reason, "marketing") {
		t.Errorf("journal %+v, want a marketing consent_revoked entry on email", entries)
	}

	long := strings.Repeat("é", 201)
	r = e.do("PUT", "/v1/customers/cus_1", "", `{"first_name":"`+long+`","name":"`+long+`","consent":{"marketing.fax":"revoked"}}`)
	if r.code != http.StatusBadRequest {
		t.Fatalf("PUT bad: %s", r)
	}
	want := []string{
		"name: longer than 200 characters",
		"first_name: longer than 200 characters",
		"consent.marketing.fax: unknown channel (want email, sms, whatsapp or callback, alone or as marketing.CHANNEL)",
	}
	if got := r.problem(t).Errors; strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("errors %q, want %q", got, want)
	}
	if ok := e.do("PUT", "/v1/customers/cus_1", "", `{"first_name":"`+strings.Repeat("é", 200)+`"}`); ok.code != http.StatusOK {
		t.Errorf("200 characters: %s", ok)
	}
}

// An event's customer block sets first_name like the other fields.
func TestEventFirstName(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.post(ev("evt_1", "cus_1", `"customer":{"first_name":"Noor","name":"Noor Bakker"}`))
	p, err := e.store.Profile(context.Background(), "cus_1")
	if err != nil || p["first_name"] != "Noor" {
		t.Fatalf("profile %v (%v), want first_name Noor", p, err)
	}
}

// The unsubscribe link of a marketing message records a marketing opt-out.
func TestUnsubscribeMarketing(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx := context.Background()
	if err := e.store.UpsertProfile(ctx, "cus_1", store.Profile{"email": "anna@example.nl"}); err != nil {
		t.Fatal(err)
	}
	r := e.do("POST", "/v1/unsubscribe/"+signed.Token(signingKey, "cus_1", "marketing.email"), "", "List-Unsubscribe=One-Click")
	if r.code != http.StatusOK {
		t.Fatalf("POST: %s", r)
	}
	p, _ := e.store.Profile(ctx, "cus_1")
	if p["optout_marketing_email"] == "" || p["optout_email"] != "" {
		t.Fatalf("profile %v, want a marketing opt-out on email only", p)
	}
	entries, _ := e.store.Timeline(ctx, "cus_1", 0)
	if len(entries) != 1 || entries[0].State != "opted_out_marketing" || entries[0].Channel != "email" {
		t.Fatalf("journal %+v, want one opted_out_marketing entry on email", entries)
	}
}
