package api_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aheadhq/ahead/engine"
	"github.com/aheadhq/ahead/internal/api"
	"github.com/aheadhq/ahead/internal/store"
	"github.com/aheadhq/ahead/sources/stripe"
)

const stripeSecret = "whsec_test_0123456789abcdef"

// stripeEnv is the API with the Stripe source on the default mapping.
func stripeEnv(t *testing.T) *env {
	t.Helper()
	return setup(t, func(o *api.Options) {
		o.Stripe = &api.Stripe{Secret: stripeSecret, Mapping: stripe.Default()}
		o.Authorize = func(string, string) bool { return false } // the signature is the only way in
	})
}

// paymentFailed is a Stripe invoice.payment_failed event created at t.
func paymentFailed(id string, t time.Time) string {
	return fmt.Sprintf(`{
  "id": %q, "object": "event", "created": %d, "type": "invoice.payment_failed",
  "data": {"object": {"id": "in_555", "object": "invoice", "customer": "cus_stripe_1",
    "subscription": "sub_987", "amount_due": 4790, "currency": "eur", "attempt_count": 1,
    "hosted_invoice_url": "https://invoice.stripe.com/i/acct_1/test_555"}}
}`, id, t.Unix())
}

// postStripe posts payload with the Stripe-Signature header sig ("" for none).
func (e *env) postStripe(payload, sig string) reply {
	e.t.Helper()
	req, err := http.NewRequest("POST", e.url+"/v1/sources/stripe", strings.NewReader(payload))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	if sig != "" {
		req.Header.Set(stripe.SignatureHeader, sig)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return reply{code: res.StatusCode, header: res.Header, body: b}
}

func TestStripeRefusesBadSignatures(t *testing.T) {
	t.Parallel()
	e := stripeEnv(t)
	now := time.Now()
	payload := paymentFailed("evt_bad", now)
	cases := []struct {
		name, sig, want string
	}{
		{"unsigned", "", "no signature"},
		{"stale", stripe.Sign([]byte(payload), stripeSecret, now.Add(-10*time.Minute)), "tolerance"},
		{"other secret", stripe.Sign([]byte(payload), "whsec_another_secret_000", now), "no signature matches"},
		{"changed body", stripe.Sign([]byte(payload+" "), stripeSecret, now), "no signature matches"},
		{"garbled header", "t=abc,v1=zz", "stripe"},
	}
	for _, c := range cases {
		r := e.postStripe(payload, c.sig)
		if r.code != http.StatusBadRequest {
			t.Errorf("%s: %s, want 400", c.name, r)
			continue
		}
		p := r.problem(t)
		if len(p.Errors) != 1 {
			t.Errorf("%s: %s, want one reason", c.name, r)
		}
		if strings.Contains(string(r.body), stripeSecret) {
			t.Errorf("%s: the answer shows the secret", c.name)
		}
	}
	if ivs, _ := e.store.Interventions(context.Background(), "cus_stripe_1"); len(ivs) != 0 {
		t.Errorf("a refused request scheduled %d interventions", len(ivs))
	}
}

// A signed invoice.payment_failed from Stripe schedules the steps of the
// payment-failed classic; Stripe's retry of the event (signed anew) is a
// duplicate that schedules nothing more.
func TestStripePaymentFailedSchedulesClassic(t *testing.T) {
	t.Parallel()
	e := stripeEnv(t)
	ctx := context.Background()
	now := e.clock.Now()
	payload := paymentFailed("evt_1PayFail", now)

	r := e.postStripe(payload, stripe.Sign([]byte(payload), stripeSecret, time.Now()))
	if r.code != http.StatusAccepted {
		t.Fatalf("signed event: %s, want 202", r)
	}
	var got struct{ Accepted, Duplicates int }
	r.json(t, &got)
	if got.Accepted != 1 || got.Duplicates != 0 {
		t.Fatalf("signed event: %s", r.body)
	}
	for step, due := range map[string]time.Time{
		"payment-failed-email": now,
		"payment-reminder-sms": now.AddDate(0, 0, 2),
	} {
		id := engine.InterventionID("cus_stripe_1", "stripe_evt_1PayFail", "payment-failed", step)
		iv, err := e.store.Intervention(ctx, "cus_stripe_1", id)
		if err != nil || iv.State != store.Scheduled {
			t.Fatalf("%s: %v, %v; want it scheduled", step, iv, err)
		}
		if iv.Due.Before(due.Add(-time.Second)) || iv.Due.After(due.Add(24*time.Hour)) {
			t.Errorf("%s due %v, want from %v (in its window)", step, iv.Due, due)
		}
	}
	raw, err := e.store.Event(ctx, "cus_stripe_1", "stripe_evt_1PayFail")
	if err != nil || !strings.Contains(string(raw), `"amount_due":"47.90"`) || !strings.Contains(string(raw), `"subject":"in_555"`) {
		t.Errorf("stored event %s (%v), want the mapped invoice", raw, err)
	}

	// Stripe sends the event again, with a fresh signature.
	r = e.postStripe(payload, stripe.Sign([]byte(payload), stripeSecret, time.Now().Add(time.Second)))
	got.Accepted, got.Duplicates = 0, 0
	r.json(t, &got)
	if r.code != http.StatusAccepted || got.Accepted != 0 || got.Duplicates != 1 {
		t.Fatalf("retry: %s, want 202 with one duplicate", r)
	}
	ivs, err := e.store.Interventions(ctx, "cus_stripe_1")
	if err != nil || len(ivs) != 2 {
		t.Errorf("after the retry: %d interventions (%v), want the 2 steps once", len(ivs), err)
	}
}

func TestStripeIgnoresUnmappedTypes(t *testing.T) {
	t.Parallel()
	e := stripeEnv(t)
	for _, payload := range []string{
		fmt.Sprintf(`{"id":"evt_x","object":"event","created":%d,"type":"charge.refunded","data":{"object":{"customer":"cus_9"}}}`, time.Now().Unix()),
		// a mapped type without a customer
		fmt.Sprintf(`{"id":"evt_y","object":"event","created":%d,"type":"invoice.paid","data":{"object":{"id":"in_1","amount_paid":100,"currency":"eur"}}}`, time.Now().Unix()),
	} {
		r := e.postStripe(payload, stripe.Sign([]byte(payload), stripeSecret, time.Now()))
		if r.code != http.StatusOK || strings.TrimSpace(string(r.body)) != "{\n  \"ignored\": 1\n}" {
			t.Errorf("%s: %s, want 200 {\"ignored\": 1}", payload, r)
		}
	}
}

func TestStripeRefusesMisfits(t *testing.T) {
	t.Parallel()
	e := stripeEnv(t)
	for _, payload := range []string{
		`[1, 2]`,
		fmt.Sprintf(`{"id":"evt_z","object":"event","created":%d,"data":{}}`, time.Now().Unix()),
		fmt.Sprintf(`{"id":"evt_q","object":"event","created":%d,"type":"invoice.paid","data":{"object":{"id":7,"customer":"cus_1","amount_paid":"x"}}}`, time.Now().Unix()),
	} {
		r := e.postStripe(payload, stripe.Sign([]byte(payload), stripeSecret, time.Now()))
		if r.code != http.StatusBadRequest || len(r.problem(t).Errors) != 1 {
			t.Errorf("%s: %s, want 400 naming the problem", payload, r)
		}
	}
}

func TestStripeNotConfigured(t *testing.T) {
	t.Parallel()
	e := setup(t)
	payload := paymentFailed("evt_off", time.Now())
	r := e.postStripe(payload, stripe.Sign([]byte(payload), stripeSecret, time.Now()))
	if r.code != http.StatusNotFound {
		t.Errorf("%s, want 404 while sources.stripe.secret is empty", r)
	}
}

func TestStripeStoreDown(t *testing.T) {
	t.Parallel()
	e := stripeEnv(t)
	if err := e.rdb.Close(); err != nil {
		t.Fatal(err)
	}
	payload := paymentFailed("evt_down", time.Now())
	r := e.postStripe(payload, stripe.Sign([]byte(payload), stripeSecret, time.Now()))
	if r.code != http.StatusServiceUnavailable {
		t.Errorf("%s, want 503 so that Stripe sends it again", r)
	}
}
