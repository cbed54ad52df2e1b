package api_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"
)

// Every problem of an event is reported at once: unknown fields at any
// depth do not hide each other, nor the event's other problems.
func TestPostEventsReportsEveryProblem(t *testing.T) {
	t.Parallel()
	e := setup(t)
	r := e.do("POST", "/v1/events", "", `[
		{"id":"evt_1","type":"subscription.created","customer_id":"cus_1"},
		{"id":"evt_2","type":"Subscription Created","colour":"red","customer":{"name":"Anna","shoe_size":41},"extra":1}
	]`)
	if r.code != http.StatusBadRequest {
		t.Fatalf("post: %s, want 400", r)
	}
	var body struct{ Errors []string }
	if err := json.Unmarshal(r.body, &body); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"events[1].colour: unknown field",
		"events[1].customer.shoe_size: unknown field",
		"events[1].extra: unknown field",
		"events[1].customer_id: required",
	} {
		if !slices.Contains(body.Errors, want) {
			t.Errorf("errors %q lack %q", body.Errors, want)
		}
	}
	if len(body.Errors) < 5 {
		t.Errorf("errors %q: want the bad type reported too", body.Errors)
	}
}
