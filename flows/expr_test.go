package flows

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

const exprFlows = `
flow: paid-plan
trigger:
  event: subscription.created
  if: event.data.plan != "trial"
cancel_on:
  - event: subscription.cancelled
steps: [{id: s, channel: email, template: t}]
---
flow: any-plan
trigger:
  event: subscription.created
cancel_on:
  - event: subscription.changed
    if: has(event.data.plan) && event.data.plan == "trial"
steps: [{id: s, channel: email, template: t}]
---
flow: big-team
trigger:
  event: subscription.created
  if: has(event.data.seats) && event.data.seats > 3
steps: [{id: s, channel: email, template: t}]
---
flow: dutch
trigger:
  event: order.delayed
  if: customer.locale == "nl" && event.occurred_at > timestamp("2026-01-01T00:00:00Z")
steps: [{id: s, channel: email, template: t}]
---
flow: plan-as-condition
trigger:
  event: order.shipped
  if: event.data.express
steps: [{id: s, channel: email, template: t}]
`

func loadExprFlows(t *testing.T) *Set {
	t.Helper()
	s, err := Parse("expr.yaml", []byte(exprFlows), nil)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func names(fs []*Flow) []string {
	out := []string{}
	for _, f := range fs {
		out = append(out, f.Name)
	}
	return out
}

func TestTriggered(t *testing.T) {
	s := loadExprFlows(t)
	when := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		ev      Event
		c       *Customer
		want    []string
		wantErr string
	}{
		{
			name: "paid plan",
			ev:   Event{Type: "subscription.created", Data: map[string]any{"plan": "family"}},
			want: []string{"any-plan", "paid-plan"},
		},
		{
			name: "trial",
			ev:   Event{Type: "subscription.created", Data: map[string]any{"plan": "trial"}},
			want: []string{"any-plan"},
		},
		{
			name:    "missing key is an error naming flow and field; others still match",
			ev:      Event{Type: "subscription.created"},
			want:    []string{"any-plan"},
			wantErr: "flow paid-plan: trigger.if: no such key: plan",
		},
		{
			name: "JSON number compares with an int literal",
			ev:   Event{Type: "subscription.created", Data: map[string]any{"plan": "team", "seats": 4.0}},
			want: []string{"any-plan", "big-team", "paid-plan"},
		},
		{
			name: "json.Number compares too",
			ev:   Event{Type: "subscription.created", Data: map[string]any{"plan": "team", "seats": json.Number("3")}},
			want: []string{"any-plan", "paid-plan"},
		},
		{
			name: "customer and timestamp",
			ev:   Event{Type: "order.delayed", OccurredAt: when},
			c:    &Customer{Locale: "nl"},
			want: []string{"dutch"},
		},
		{
			name: "customer from the event when none is given",
			ev:   Event{Type: "order.delayed", OccurredAt: when, Customer: &Customer{Locale: "nl"}},
			want: []string{"dutch"},
		},
		{
			name: "customer without locale",
			ev:   Event{Type: "order.delayed", OccurredAt: when},
			want: []string{},
		},
		{
			name:    "dyn expression with a non-bool result",
			ev:      Event{Type: "order.shipped", Data: map[string]any{"express": "yes"}},
			want:    []string{},
			wantErr: "flow plan-as-condition: trigger.if: result is string, want bool",
		},
		{
			name: "dyn expression with a bool result",
			ev:   Event{Type: "order.shipped", Data: map[string]any{"express": true}},
			want: []string{"plan-as-condition"},
		},
		{
			name: "no flow for the type",
			ev:   Event{Type: "invoice.paid"},
			want: []string{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.Triggered(&tt.ev, tt.c)
			if tt.wantErr == "" && err != nil {
				t.Errorf("err = %v", err)
			}
			if tt.wantErr != "" && (err == nil || err.Error() != tt.wantErr) {
				t.Errorf("err = %v, want %s", err, tt.wantErr)
			}
			if !slices.Equal(names(got), tt.want) {
				t.Errorf("flows = %v, want %v", names(got), tt.want)
			}
		})
	}
}

func TestCancels(t *testing.T) {
	s := loadExprFlows(t)
	tests := []struct {
		name string
		ev   Event
		want []string
	}{
		{"rule without if", Event{Type: "subscription.cancelled"}, []string{"paid-plan"}},
		{"rule with a true if", Event{Type: "subscription.changed", Data: map[string]any{"plan": "trial"}}, []string{"any-plan"}},
		{"rule with a false if", Event{Type: "subscription.changed", Data: map[string]any{"plan": "family"}}, []string{}},
		{"has() guards a missing key", Event{Type: "subscription.changed"}, []string{}},
		{"trigger type does not cancel", Event{Type: "subscription.created", Data: map[string]any{"plan": "x"}}, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.Cancels(&tt.ev, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(names(got), tt.want) {
				t.Errorf("flows = %v, want %v", names(got), tt.want)
			}
		})
	}
}

func TestCancelsEvaluationError(t *testing.T) {
	s, err := Parse("c.yaml", []byte(`
flow: f
trigger: {event: a.b}
cancel_on:
  - event: a.c
    if: event.data.reason == "moved"
steps: [{id: s, channel: email, template: t}]
`), nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Cancels(&Event{Type: "a.c"}, nil)
	if want := "flow f: cancel_on[0].if: no such key: reason"; err == nil || err.Error() != want {
		t.Errorf("err = %v, want %s", err, want)
	}
	if len(got) != 0 {
		t.Errorf("flows = %v, want none", names(got))
	}
}

// TestVarsCustomerKeys keeps the customer variable in step with the JSON
// names of Customer.
func TestVarsCustomerKeys(t *testing.T) {
	vars := Vars(&Event{CustomerID: "cus_1"}, nil)
	cust := vars["customer"].(map[string]any)
	var want []string
	ct := reflect.TypeFor[Customer]()
	for i := range ct.NumField() {
		name, _, _ := strings.Cut(ct.Field(i).Tag.Get("json"), ",")
		want = append(want, name)
	}
	var got []string
	for k := range cust {
		got = append(got, k)
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("customer keys = %v, want %v", got, want)
	}
	if cust["id"] != "cus_1" {
		t.Errorf("customer.id = %v, want the event's customer_id", cust["id"])
	}
	ev := vars["event"].(map[string]any)
	for _, k := range []string{"id", "type", "customer_id", "occurred_at", "subject", "data"} {
		if _, ok := ev[k]; !ok {
			t.Errorf("event.%s missing", k)
		}
	}
}

func TestCompileExpr(t *testing.T) {
	tests := []struct {
		src     string
		wantErr string
	}{
		{src: `event.type == "a.b"`},
		{src: `event.data.plan`}, // dyn: checked when evaluated
		{src: `customer.formality in ["formal", "informal"]`},
		{src: `event.subject.startsWith("sub_")`},
		{src: `1 + 1`, wantErr: "must be true or false, not int"},
		{src: `"x"`, wantErr: "must be true or false, not string"},
		{src: `shop.open`, wantErr: "does not compile: 1:1: undeclared reference to 'shop' (in container '')"},
	}
	for _, tt := range tests {
		_, err := compileExpr(tt.src)
		switch {
		case tt.wantErr == "" && err != nil:
			t.Errorf("%s: %v", tt.src, err)
		case tt.wantErr != "" && (err == nil || err.Error() != tt.wantErr):
			t.Errorf("%s: err = %v, want %s", tt.src, err, tt.wantErr)
		}
	}
}
