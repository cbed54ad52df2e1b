package stripe_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aheadhq/ahead/flows"
	"github.com/aheadhq/ahead/sources/stripe"
)

// created is the created time of every fixture.
var created = time.Date(2026, 11, 23, 9, 12, 0, 0, time.UTC)

// paymentFailed is what the default mapping makes of invoicePaymentFailed.
var paymentFailed = flows.Event{
	ID: "stripe_evt_1InvFailed", Type: "invoice.payment_failed", CustomerID: "cus_123", OccurredAt: created,
	Subject: "in_555",
	Data: map[string]any{
		"amount_due": "47.90", "currency": "eur", "attempt_count": float64(2),
		"hosted_invoice_url": "https://invoice.stripe.com/i/acct_1/test_555", "subscription": "sub_987",
	},
}

// receive verifies a signed fixture as the handler would and maps it.
func receive(t *testing.T, m stripe.Mapping, payload string) (*flows.Event, error) {
	t.Helper()
	header := stripe.Sign([]byte(payload), testSecret, sentAt)
	if err := stripe.Verify([]byte(payload), header, testSecret, 0, sentAt.Add(time.Second)); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	return m.Event([]byte(payload))
}

func TestDefaultEvents(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		payload string
		want    flows.Event
	}{
		{"customer.subscription.created", subscriptionCreated, flows.Event{
			ID: "stripe_evt_1SubCreated", Type: "subscription.created", CustomerID: "cus_123", OccurredAt: created,
			Subject: "sub_987",
			Data:    map[string]any{"plan": "family", "status": "active", "current_period_end": "2026-12-23T09:12:00Z"},
		}},
		{"customer.subscription.created, API 2025-03-31", subscriptionCreatedBasil, flows.Event{
			ID: "stripe_evt_1SubCreatedBasil", Type: "subscription.created", CustomerID: "cus_124", OccurredAt: created,
			Subject: "sub_988",
			Data:    map[string]any{"plan": "price_solo", "status": "trialing", "current_period_end": "2026-12-07T09:12:00Z"},
		}},
		{"customer.subscription.deleted", subscriptionDeleted, flows.Event{
			ID: "stripe_evt_1SubDeleted", Type: "subscription.cancelled", CustomerID: "cus_123", OccurredAt: created,
			Subject: "sub_987",
			Data:    map[string]any{"plan": "family-monthly", "status": "canceled"},
		}},
		{"invoice.upcoming", invoiceUpcoming, flows.Event{
			ID: "stripe_evt_1InvUpcoming", Type: "invoice.upcoming", CustomerID: "cus_123", OccurredAt: created,
			Subject: "sub_987",
			Data:    map[string]any{"amount_due": "23.95", "currency": "eur", "date": "2026-11-30"},
		}},
		{"invoice.upcoming, API 2025-03-31", invoiceUpcomingBasil, flows.Event{
			ID: "stripe_evt_1InvUpcomingBasil", Type: "invoice.upcoming", CustomerID: "cus_200", OccurredAt: created,
			Subject: "sub_200",
			Data:    map[string]any{"amount_due": "1500", "currency": "jpy", "date": "2026-11-30"},
		}},
		{"invoice.payment_failed", invoicePaymentFailed, paymentFailed},
		{"invoice.paid", invoicePaid, flows.Event{
			ID: "stripe_evt_1InvPaid", Type: "invoice.paid", CustomerID: "cus_123", OccurredAt: created,
			Subject: "in_556",
			Data:    map[string]any{"amount_paid": "23.95", "currency": "eur", "subscription": "sub_987"},
		}},
		{"customer.source.expiring", sourceExpiring, flows.Event{
			ID: "stripe_evt_1CardExpiring", Type: "card.expiring", CustomerID: "cus_123", OccurredAt: created,
			Subject: "card_1",
			Data:    map[string]any{"brand": "Visa", "last4": "4242", "exp_month": float64(12), "exp_year": float64(2026)},
		}},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		seen[strings.SplitN(tt.name, ",", 2)[0]] = true
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := receive(t, stripe.Default(), tt.payload)
			if err != nil {
				t.Fatalf("Event: %v", err)
			}
			if !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("Event:\n got %s\nwant %s", show(got), show(&tt.want))
			}
			if errs := flows.ValidateEvent(got); errs != nil {
				t.Errorf("ValidateEvent: %v", errs)
			}
		})
	}
	for _, typ := range stripe.Default().Types() {
		if !seen[typ] {
			t.Errorf("the default maps %s, but no test case does", typ)
		}
	}
}

func show(ev *flows.Event) string {
	b, _ := json.Marshal(ev)
	return string(b)
}

func TestDefaultTypes(t *testing.T) {
	t.Parallel()
	want := []string{
		"customer.source.expiring", "customer.subscription.created", "customer.subscription.deleted",
		"invoice.paid", "invoice.payment_failed", "invoice.upcoming",
	}
	if got := stripe.Default().Types(); !reflect.DeepEqual(got, want) {
		t.Errorf("Types = %v, want %v", got, want)
	}
}

// TestRetrySameID checks that Stripe's second delivery of an event, signed
// again later, maps to the same ahead event id.
func TestRetrySameID(t *testing.T) {
	t.Parallel()
	first, err := stripe.Default().Event([]byte(invoicePaymentFailed))
	if err != nil {
		t.Fatal(err)
	}
	later := sentAt.Add(time.Hour)
	header := stripe.Sign([]byte(invoicePaymentFailed), testSecret, later)
	if err := stripe.Verify([]byte(invoicePaymentFailed), header, testSecret, 0, later); err != nil {
		t.Fatalf("Verify the retry: %v", err)
	}
	again, err := stripe.Default().Event([]byte(invoicePaymentFailed))
	if err != nil {
		t.Fatal(err)
	}
	if first.ID != again.ID || again.ID != "stripe_evt_1InvFailed" {
		t.Errorf("ids %q and %q, want both stripe_evt_1InvFailed", first.ID, again.ID)
	}
}

func TestEventIgnored(t *testing.T) {
	t.Parallel()
	noCustomer := strings.Replace(invoicePaid, `"customer": "cus_123",`, `"customer": null,`, 1)
	tests := []struct {
		name, payload, want string
	}{
		{"type not mapped", chargeRefunded, "map stripe event evt_1Refund (charge.refunded): type not mapped: ignored"},
		{"no customer", noCustomer, "map stripe event evt_1InvPaid (invoice.paid): no customer at data.object.customer: ignored"},
	}
	for _, tt := range tests {
		_, err := stripe.Default().Event([]byte(tt.payload))
		if !errors.Is(err, stripe.ErrIgnored) || err.Error() != tt.want {
			t.Errorf("%s: Event = %v, want %q", tt.name, err, tt.want)
		}
	}
	if _, err := (stripe.Mapping{}).Event([]byte(invoicePaid)); !errors.Is(err, stripe.ErrIgnored) {
		t.Errorf("the zero Mapping: %v, want ErrIgnored", err)
	}
}

func TestEventBadPayload(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, payload, want string
	}{
		{"not JSON", `{"id":`, "decode stripe event: unexpected end of JSON input"},
		{"not an object", `[1]`, "decode stripe event: want a JSON object, got an array"},
		{"no id", `{"type":"invoice.paid","created":1}`, "decode stripe event: id: required"},
		{"no type", `{"id":"evt_1","created":1}`, "decode stripe event evt_1: type: required"},
		{"no created", `{"id":"evt_1","type":"invoice.paid"}`, "decode stripe event evt_1: created: want a number of seconds, got null"},
		{"customer a number", strings.Replace(invoicePaid, `"customer": "cus_123"`, `"customer": 123`, 1),
			"map stripe event evt_1InvPaid (invoice.paid): customer (data.object.customer): want an id (a string, or an object with one), got a number"},
		{"customer id with braces", strings.Replace(invoicePaid, `"customer": "cus_123"`, `"customer": "cus_{1}"`, 1),
			"map stripe event evt_1InvPaid (invoice.paid): customer_id: must not contain '{' or '}'"},
		{"amount not whole", strings.Replace(invoicePaid, `"amount_paid": 2395`, `"amount_paid": 23.95`, 1),
			"map stripe event evt_1InvPaid (invoice.paid): data.amount_paid (amount(data.object.amount_paid, data.object.currency)): want a whole number of minor units, got 23.95"},
		{"time a string", strings.Replace(subscriptionCreated, `"current_period_end": 1798017120`, `"current_period_end": "soon"`, 1),
			"map stripe event evt_1SubCreated (customer.subscription.created): data.current_period_end (time(data.object.current_period_end | data.object.items.data.0.current_period_end)): want a number of seconds, got a string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := stripe.Default().Event([]byte(tt.payload))
			if err == nil || err.Error() != tt.want || errors.Is(err, stripe.ErrIgnored) {
				t.Errorf("Event = %v\nwant %q", err, tt.want)
			}
		})
	}
}
