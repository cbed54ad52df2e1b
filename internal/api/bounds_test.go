package api_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// Input past its bounds, or not well formed, is refused with a 400 that
// names the field, and nothing is stored.
func TestEventsOutOfBoundsAreRefused(t *testing.T) {
	t.Parallel()
	e := setup(t)
	at := func(d time.Duration) string { return e.clock.Now().Add(d).UTC().Format(time.RFC3339) }
	long := func(n int) string { return strings.Repeat("x", n) }
	for _, tc := range []struct {
		name, body, want string
	}{
		{"duplicate key", `{"id":"evt_1","type":"order.shipped","customer_id":"cus_1","customer":{"name":"Anna","name":"Bob"}}`,
			"customer.name: duplicate key"},
		{"duplicate key in data", `{"id":"evt_1","type":"order.shipped","customer_id":"cus_1","data":{"order":{"id":1,"id":2}}}`,
			"data.order.id: duplicate key"},
		{"not UTF-8", "{\"id\":\"evt_1\",\"type\":\"order.shipped\",\"customer_id\":\"cus_1\",\"data\":{\"note\":\"caf\xe9\"}}",
			"data.note: not valid UTF-8"},
		{"event id over 128 bytes", `{"id":"` + long(129) + `","type":"order.shipped","customer_id":"cus_1"}`,
			"id: longer than 128 bytes"},
		{"customer id over 128 bytes", `{"id":"evt_1","type":"order.shipped","customer_id":"` + long(129) + `"}`,
			"customer_id: longer than 128 bytes"},
		{"subject over 128 bytes", `{"id":"evt_1","type":"order.shipped","customer_id":"cus_1","subject":"` + long(129) + `"}`,
			"subject: longer than 128 bytes"},
		{"name over 200 characters", `{"id":"evt_1","type":"order.shipped","customer_id":"cus_1","customer":{"name":"` + long(201) + `"}}`,
			"customer.name: longer than 200 characters"},
		{"email over 320 characters", `{"id":"evt_1","type":"order.shipped","customer_id":"cus_1","customer":{"email":"` + long(321) + `@example.nl"}}`,
			"customer.email: longer than 320 characters"},
		{"data over 32 KiB", `{"id":"evt_1","type":"order.shipped","customer_id":"cus_1","data":{"note":"` + long(32<<10) + `"}}`,
			"data: 32779 bytes as JSON, more than 32768 (32 KiB)"},
		{"occurred before 2000", `{"id":"evt_1","type":"order.shipped","customer_id":"cus_1","occurred_at":"1999-12-31T23:00:00Z"}`,
			"occurred_at: 1999-12-31T23:00:00Z is before 2000"},
		{"occurred more than a year ahead", `{"id":"evt_1","type":"order.shipped","customer_id":"cus_1","occurred_at":"` + at(366*24*time.Hour) + `"}`,
			"occurred_at: " + at(366*24*time.Hour) + " is more than a year ahead"},
	} {
		r := e.do("POST", "/v1/events", "", tc.body)
		if r.code != http.StatusBadRequest {
			t.Errorf("%s: %s, want 400", tc.name, r)
			continue
		}
		if p := r.problem(t); !slices.Contains(p.Errors, tc.want) {
			t.Errorf("%s: errors %q, want %q", tc.name, p.Errors, tc.want)
		}
	}
	// In a batch, the event is named too.
	r := e.do("POST", "/v1/events", "", `[{"id":"evt_1","type":"order.shipped","customer_id":"cus_1"},`+
		`{"id":"evt_2","id":"evt_3","type":"order.shipped","customer_id":"cus_1"}]`)
	if p := r.problem(t); r.code != http.StatusBadRequest || !slices.Contains(p.Errors, "events[1].id: duplicate key") {
		t.Errorf("batch: %s, want 400 naming events[1].id", r)
	}
	// A profile update is held to the same bounds.
	r = e.do("PUT", "/v1/customers/cus_1", "", `{"name":"`+long(201)+`","timezone":"`+long(321)+`"}`)
	if p := r.problem(t); r.code != http.StatusBadRequest || !slices.Contains(p.Errors, "name: longer than 200 characters") ||
		!slices.Contains(p.Errors, "timezone: longer than 320 characters") {
		t.Errorf("profile: %s, want 400 naming name and timezone", r)
	}
	r = e.do("PUT", "/v1/customers/cus_1", "", `{"name":"Anna","name":"Bob"}`)
	if p := r.problem(t); r.code != http.StatusBadRequest || !slices.Contains(p.Errors, "name: duplicate key") {
		t.Errorf("profile with a key twice: %s, want 400 naming name", r)
	}
	if keys := e.dump(); len(keys) != 0 {
		t.Errorf("refused input stored %d keys: %v", len(keys), keys)
	}
}
