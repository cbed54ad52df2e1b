package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/aheadhq/ahead/channels"
	"github.com/aheadhq/ahead/channels/outbox"
	"github.com/aheadhq/ahead/internal/signed"
	"github.com/aheadhq/ahead/tasks"
)

// After erasure a producer's retry of an old event and the unsubscribe
// link of an email sent before bring nothing back: no key holds the
// customer's id, email or phone, and nothing is sent.
func TestErasureStaysErased(t *testing.T) {
	t.Parallel()
	e := setupWorker(t, nil, func(o *tasks.Options) {
		o.Channels = map[string]channels.Channel{}
		for _, name := range []string{channels.Email, channels.SMS, channels.Callback} {
			o.Channels[name] = outbox.New(name, o.Store, o.Clock)
		}
	})
	ctx := context.Background()
	const cus, email, phone = "cus_gone", "gone@example.nl", "+31611112222"
	created := ev("evt_1", cus, `"customer":{"name":"Anna","email":"`+email+`","phone":"`+phone+`","timezone":"Europe/Amsterdam"}`)
	if a, _ := e.post(created); a != 1 {
		t.Fatalf("first post accepted %d", a)
	}
	if r := e.do("DELETE", "/v1/customers/"+cus, "", ""); r.code != http.StatusNoContent {
		t.Fatalf("DELETE: %s", r)
	}

	// The producer's webhook retry: acknowledged, dropped, counted.
	r := e.do("POST", "/v1/events", "", created)
	var got struct{ Accepted, Duplicates, Erased int }
	if err := json.Unmarshal(r.body, &got); err != nil || r.code != http.StatusAccepted || got.Accepted != 0 || got.Erased != 1 {
		t.Fatalf("replayed event: %s, want 202 with erased 1", r)
	}
	// A new event of the erased customer in a batch with another's.
	r = e.do("POST", "/v1/events", "", batch(ev("evt_2", cus), ev("evt_1", "cus_other")))
	if err := json.Unmarshal(r.body, &got); err != nil || got.Accepted != 1 || got.Erased != 1 {
		t.Fatalf("batch with an erased customer: %s, want 1 accepted and 1 erased", r)
	}
	// The one-click unsubscribe link of an email sent before the erasure.
	if r := e.do("POST", "/v1/unsubscribe/"+signed.Token(signingKey, cus, "email"), "", ""); r.code != http.StatusOK {
		t.Fatalf("unsubscribe link: %s", r)
	}
	// A profile sync that would recreate the customer.
	if r := e.do("PUT", "/v1/customers/"+cus, "", `{"email":"`+email+`"}`); r.code != http.StatusConflict {
		t.Errorf("PUT after erasure: %s, want 409", r)
	}
	// Whatever comes due: the other customer's steps may run, the erased
	// customer has none.
	e.clock.Advance(10 * 24 * 3600 * 1e9)
	for key, val := range e.dump() {
		for _, s := range []string{cus, email, phone} {
			if strings.Contains(key, s) || strings.Contains(val, s) {
				t.Errorf("after erasure and replay, key %s holds %q", key, s)
			}
		}
	}
	msgs, err := e.store.Outbox(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		if strings.Contains(string(m), cus) {
			t.Errorf("sent to the erased customer: %s", m)
		}
	}
}
