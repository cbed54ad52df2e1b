package flows

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// classicsDir is the library of experience classics.
const classicsDir = "classics"

func loadClassics(t *testing.T) *Set {
	t.Helper()
	s, err := LoadDir(classicsDir, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func classicEvent(t *testing.T, name string) *Event {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(classicsDir, "events", name))
	if err != nil {
		t.Fatal(err)
	}
	var ev Event
	if err := json.Unmarshal(b, &ev); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if errs := ValidateEvent(&ev); len(errs) > 0 {
		t.Fatalf("%s is not a valid event: %v", name, errs)
	}
	return &ev
}

// classicDue is one planned step: flow/step, due in UTC and local time.
type classicDue struct{ step, due, local string }

// Every sample event of the classics, simulated at a fixed time, plans
// exactly these steps at exactly these times. Simulate leaves out debounce
// (status updates and outage messages wait that much longer) and skip_if.
func TestClassicsSimulate(t *testing.T) {
	s := loadClassics(t)
	tests := []struct {
		event, now string
		want       []classicDue
	}{
		// Friday 23 October 2026, 10:30 in Amsterdam; summer time ends on
		// Sunday 25 October. Day 2 is that Sunday: the call moves to Monday
		// 09:00. Day 4 at 10:00 is in winter time, one hour later in UTC
		// than 4x24 hours would give.
		{"subscription-created.json", "2026-10-23T08:30:00Z", []classicDue{
			{"day2-reassurance-call/reassurance-call", "2026-10-26T08:00:00Z", "2026-10-26T09:00:00+01:00"},
			{"day4-first-invoice/invoice-explainer", "2026-10-27T09:00:00Z", "2026-10-27T10:00:00+01:00"},
		}},
		{"subscription-created.json", "2026-11-23T09:12:00Z", []classicDue{
			{"day2-reassurance-call/reassurance-call", "2026-11-25T09:12:00Z", "2026-11-25T10:12:00+01:00"},
			{"day4-first-invoice/invoice-explainer", "2026-11-27T09:00:00Z", "2026-11-27T10:00:00+01:00"},
		}},
		{"subscription-cancelled.json", "2026-11-24T09:00:00Z", nil},
		// An inbound contact starts nothing: it is what the flows' goals count.
		{"contact-inbound.json", "2026-11-24T09:00:00Z", nil},
		// 22:30: after the window closes, so the next morning at 08:00.
		{"order-status-changed.json", "2026-11-23T21:30:00Z", []classicDue{
			{"order-status-update/status-update", "2026-11-24T07:00:00Z", "2026-11-24T08:00:00+01:00"},
		}},
		// London in summer time, 07:30: the window opens at 08:00.
		{"application-status-changed.json", "2026-07-01T06:30:00Z", []classicDue{
			{"application-status-update/status-update", "2026-07-01T07:00:00Z", "2026-07-01T08:00:00+01:00"},
		}},
		{"order-delayed.json", "2026-11-23T05:00:00Z", []classicDue{
			{"delivery-late/apology", "2026-11-23T07:00:00Z", "2026-11-23T08:00:00+01:00"},
		}},
		// Monday 14:12: the email at once, the SMS on Wednesday, and the
		// call on day 5, a Saturday, moves to Monday 09:00.
		{"invoice-payment-failed.json", "2026-11-23T13:12:00Z", []classicDue{
			{"payment-failed/payment-failed-email", "2026-11-23T13:12:00Z", "2026-11-23T14:12:00+01:00"},
			{"payment-failed/payment-reminder-sms", "2026-11-25T13:12:00Z", "2026-11-25T14:12:00+01:00"},
			{"payment-failed-call/billing-call", "2026-11-30T08:00:00Z", "2026-11-30T09:00:00+01:00"},
		}},
		{"invoice-paid.json", "2026-11-24T09:00:00Z", nil},
		// The card works until 31 December: the SMS at 10:00 on 24 December.
		{"card-expiring.json", "2026-11-23T13:12:00Z", []classicDue{
			{"card-expiring/card-notice", "2026-11-23T13:12:00Z", "2026-11-23T14:12:00+01:00"},
			{"card-expiring/card-reminder", "2026-12-24T09:00:00Z", "2026-12-24T10:00:00+01:00"},
		}},
		// Saturday: the notice waits for Monday 09:00.
		{"price-changed.json", "2026-11-21T10:00:00Z", []classicDue{
			{"price-change/price-notice", "2026-11-23T08:00:00Z", "2026-11-23T09:00:00+01:00"},
		}},
		// The appointment is on Thursday 26 November at 14:30.
		{"appointment-scheduled.json", "2026-11-20T12:00:00Z", []classicDue{
			{"appointment-reminder/evening-before", "2026-11-25T17:00:00Z", "2026-11-25T18:00:00+01:00"},
		}},
		{"appointment-delayed.json", "2026-11-26T13:20:00Z", []classicDue{
			{"appointment-running-late/running-late", "2026-11-26T13:20:00Z", "2026-11-26T14:20:00+01:00"},
		}},
		// The contract ends on 20 April 2027, in summer time; 30 days
		// before is 21 March, in winter time (summer time starts on 28
		// March): both notices at 10:00 local time.
		{"contract-renewal-due.json", "2027-02-01T09:00:00Z", []classicDue{
			{"contract-renewal/month-before", "2027-03-21T09:00:00Z", "2027-03-21T10:00:00+01:00"},
			{"contract-renewal/ten-days-before", "2027-04-10T08:00:00Z", "2027-04-10T10:00:00+02:00"},
		}},
		// 00:30 at night: the notice waits for 07:00.
		{"incident-started.json", "2026-11-23T23:30:00Z", []classicDue{
			{"outage-started/outage-notice", "2026-11-24T06:00:00Z", "2026-11-24T07:00:00+01:00"},
		}},
		{"incident-updated.json", "2026-11-23T15:00:00Z", []classicDue{
			{"outage-update/outage-update", "2026-11-23T15:00:00Z", "2026-11-23T16:00:00+01:00"},
		}},
		{"incident-resolved.json", "2026-11-23T16:40:00Z", []classicDue{
			{"outage-resolved/outage-solved", "2026-11-23T16:40:00Z", "2026-11-23T17:40:00+01:00"},
		}},
	}
	covered := map[string]bool{}
	for _, tt := range tests {
		covered[tt.event] = true
		got, err := Simulate(s, classicEvent(t, tt.event), at(t, tt.now), "Europe/Amsterdam")
		if err != nil {
			t.Errorf("%s: %v", tt.event, err)
			continue
		}
		var plans []classicDue
		for _, p := range got {
			if p.Skipped {
				t.Errorf("%s at %s: %s/%s skipped: %s", tt.event, tt.now, p.Flow, p.Step, p.Reason)
			}
			plans = append(plans, classicDue{p.Flow + "/" + p.Step, p.Due.Format(time.RFC3339), p.DueLocal})
		}
		if !slices.Equal(plans, tt.want) {
			t.Errorf("%s at %s:\n got %v\nwant %v", tt.event, tt.now, plans, tt.want)
			for _, p := range got {
				t.Logf("  %s/%s: %s", p.Flow, p.Step, p.Reason)
			}
		}
	}
	files, err := filepath.Glob(filepath.Join(classicsDir, "events", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if !covered[filepath.Base(f)] {
			t.Errorf("sample event %s has no case", f)
		}
	}
}

// A notice whose day has passed is skipped; a contract that ends within
// the month still gets the reminder ten days before.
func TestClassicsContractEndingSoon(t *testing.T) {
	s := loadClassics(t)
	ev := classicEvent(t, "contract-renewal-due.json")
	got, err := Simulate(s, ev, at(t, "2027-04-01T09:00:00Z"), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || !got[0].Skipped || got[1].Skipped || got[1].DueLocal != "2027-04-10T10:00:00+02:00" {
		t.Errorf("planned %+v", got)
	}
	// Without an end date nothing can be counted back from it.
	delete(ev.Data, "end_date")
	got, err = Simulate(s, ev, at(t, "2027-04-01T09:00:00Z"), "")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range got {
		if !p.Skipped || p.Reason != "skipped: from event.data.end_date cannot be evaluated: no such key: end_date" {
			t.Errorf("no end date: %+v", p)
		}
	}
}

// The payment call is for the high-value plans only.
func TestClassicsPaymentCallPlans(t *testing.T) {
	s := loadClassics(t)
	ev := classicEvent(t, "invoice-payment-failed.json")
	for plan, call := range map[string]bool{"business": true, "premium": true, "family": false, "": false} {
		if plan == "" {
			delete(ev.Data, "plan")
		} else {
			ev.Data["plan"] = plan
		}
		flows, err := s.Triggered(ev, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := slices.ContainsFunc(flows, func(f *Flow) bool { return f.Name == "payment-failed-call" }); got != call {
			t.Errorf("plan %q: call %v, want %v", plan, got, call)
		}
	}
}

// What each classic's cancel events cancel.
func TestClassicsCancel(t *testing.T) {
	s := loadClassics(t)
	tests := []struct {
		ev   *Event
		want []Target
	}{
		{classicEvent(t, "subscription-cancelled.json"), []Target{{Flow: "day2-reassurance-call"}, {Flow: "day4-first-invoice"}}},
		{classicEvent(t, "invoice-paid.json"), []Target{{Flow: "payment-failed"}, {Flow: "payment-failed-call"}}},
		{&Event{Type: "card.updated"}, []Target{{Flow: "card-expiring"}}},
		{&Event{Type: "order.status_changed", Data: map[string]any{"status": "delivered"}}, []Target{{Flow: "delivery-late"}}},
		{&Event{Type: "order.status_changed", Data: map[string]any{"status": "shipped"}}, nil},
		{classicEvent(t, "appointment-scheduled.json"), []Target{{Flow: "appointment-reminder"}}},
		{&Event{Type: "appointment.cancelled"}, []Target{{Flow: "appointment-reminder"}, {Flow: "appointment-running-late"}}},
		{&Event{Type: "contract.renewed"}, []Target{{Flow: "contract-renewal"}}},
		{classicEvent(t, "incident-resolved.json"), []Target{{Flow: "outage-started"}, {Flow: "outage-update"}}},
		{classicEvent(t, "incident-started.json"), []Target{{Flow: "outage-resolved"}}},
	}
	for _, tt := range tests {
		got, err := s.CancelTargets(tt.ev, nil)
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("%s %v: cancels %v, %v; want %v", tt.ev.Type, tt.ev.Data, got, err, tt.want)
		}
	}
}

// The skip_if rules of the classics, over the state when a step comes due.
func TestClassicsSkip(t *testing.T) {
	s := loadClassics(t)
	occurred := at(t, "2026-11-23T10:00:00Z")
	now := at(t, "2026-11-23T10:10:00Z")
	order := func(status string) *Event {
		return &Event{Type: "order.status_changed", OccurredAt: occurred, Data: map[string]any{"status": status}}
	}
	application := func(status string) *Event {
		return &Event{Type: "application.status_changed", OccurredAt: occurred, Data: map[string]any{"status": status}}
	}
	incident := &Event{Type: "incident.resolved", OccurredAt: occurred, Data: map[string]any{"started_at": "2026-11-23T09:00:00Z"}}
	notice := func(at time.Time) []Contact {
		return []Contact{{At: at, Channel: "sms", Flow: "outage-started", Step: "outage-notice"}}
	}
	tests := []struct {
		name, flow string
		vars       SkipVars
		skip       bool
	}{
		{"shipped, customer wrote", "order-status-update", SkipVars{Event: order("shipped"), EventsSince: []string{"contact.inbound"}}, false},
		{"delivered", "order-status-update", SkipVars{Event: order("delivered")}, false},
		{"delivered, customer called", "order-status-update", SkipVars{Event: order("delivered"), EventsSince: []string{"contact.inbound"}}, true},
		{"delivered, customer wrote to us", "order-status-update", SkipVars{Event: order("delivered"), LastInbound: occurred.Add(time.Minute)}, true},
		{"delivered, customer wrote before", "order-status-update", SkipVars{Event: order("delivered"), LastInbound: occurred.Add(-time.Hour)}, false},
		{"approved, customer called", "application-status-update", SkipVars{Event: application("approved"), EventsSince: []string{"contact.inbound"}}, true},
		{"in review, customer called", "application-status-update", SkipVars{Event: application("in_review"), EventsSince: []string{"contact.inbound"}}, false},
		{"solved, never told", "outage-resolved", SkipVars{Event: incident}, true},
		{"solved, told of an earlier outage", "outage-resolved", SkipVars{Event: incident, Contacts: notice(occurred.Add(-48 * time.Hour))}, true},
		{"solved, told", "outage-resolved", SkipVars{Event: incident, Contacts: notice(occurred.Add(-30 * time.Minute))}, false},
		{"update, told", "outage-update", SkipVars{Event: incident, Contacts: notice(occurred.Add(-30 * time.Minute))}, false},
		{"solved without started_at, told", "outage-resolved", SkipVars{Event: &Event{Type: "incident.resolved", OccurredAt: occurred}, Contacts: notice(occurred.Add(-48 * time.Hour))}, false},
	}
	for _, tt := range tests {
		tt.vars.Now = now
		skip, err := s.Get(tt.flow).Steps[0].Skip(tt.vars)
		if err != nil || skip != tt.skip {
			t.Errorf("%s: skip %v, %v; want %v", tt.name, skip, err, tt.skip)
		}
	}
}
