package flows

import (
	"strings"
	"testing"
	"time"
)

// anchorFlows has one flow per way of anchoring a step.
const anchorFlows = `
flow: renewal
trigger: { event: contract.renewal_due }
steps:
  - id: month-before
    from: event.data.end_date
    before: 30d
    channel: outbox
    template: hello
  - id: month-before-ten
    from: event.data.end_date
    before: 30d
    at: "10:00"
    channel: outbox
    template: hello
  - id: ten-days-before
    from: event.data.end_date
    before: 10d
    at: "10:00"
    channel: outbox
    template: hello
---
flow: appointment
trigger: { event: appointment.scheduled }
steps:
  - id: evening-before
    from: event.data.starts_at
    before: 1d
    at: "18:00"
    late_limit: 3h
    channel: outbox
    template: hello
  - id: evening-before-typed
    from: timestamp(event.data.starts_at)
    before: 1d
    at: "18:00"
    late_limit: 3h
    channel: outbox
    template: hello
  - id: hour-before
    from: event.data.starts_at
    before: 1h
    channel: outbox
    template: hello
  - id: at-start
    from: event.data.starts_at
    channel: outbox
    template: hello
---
flow: from-occurred
trigger: { event: demo.occurred }
steps:
  - id: explicit
    from: event.occurred_at
    after: 2d
    channel: outbox
    template: hello
  - id: implicit
    after: 2d
    channel: outbox
    template: hello
`

func anchorSet(t *testing.T) *Set {
	t.Helper()
	s, err := Parse("anchor.yaml", []byte(anchorFlows), testTemplates)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// planned simulates ev at now and returns the plans by step.
func planned(t *testing.T, s *Set, ev *Event, now string) map[string]Planned {
	t.Helper()
	got, err := Simulate(s, ev, at(t, now), "")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]Planned{}
	for _, p := range got {
		out[p.Step] = p
	}
	return out
}

type wantPlan struct {
	step, due, local string
	reason           string // exact, when given
	skipped          bool
}

func checkPlans(t *testing.T, got map[string]Planned, want []wantPlan) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("got %d plans, want %d: %+v", len(got), len(want), got)
	}
	for _, w := range want {
		g, ok := got[w.step]
		switch {
		case !ok:
			t.Errorf("%s: not planned", w.step)
		case g.Due.Format(time.RFC3339) != w.due || g.DueLocal != w.local || g.Skipped != w.skipped:
			t.Errorf("%s: due %s (%s), skipped %v; want %s (%s), skipped %v\n  reason: %s",
				w.step, g.Due.Format(time.RFC3339), g.DueLocal, g.Skipped, w.due, w.local, w.skipped, g.Reason)
		case w.reason != "" && g.Reason != w.reason:
			t.Errorf("%s: reason\n got %s\nwant %s", w.step, g.Reason, w.reason)
		}
	}
}

// A date counts from local midnight; before 30d counts calendar days back
// across the start of summer time (28 March 2027), so the local time stays
// what it was and the UTC offset changes.
func TestAnchorDateBeforeAcrossDST(t *testing.T) {
	s := anchorSet(t)
	ev := &Event{
		ID: "e", Type: "contract.renewal_due", CustomerID: "c", OccurredAt: at(t, "2027-02-01T09:00:00Z"),
		Customer: &Customer{Timezone: "Europe/Amsterdam"}, Data: map[string]any{"end_date": "2027-04-20"},
	}
	checkPlans(t, planned(t, s, ev, "2027-02-01T09:00:00Z"), []wantPlan{
		{
			step: "month-before", due: "2027-03-20T23:00:00Z", local: "2027-03-21T00:00:00+01:00",
			reason: "from event.data.end_date: 2027-04-20 00:00 CEST; before 30d: 2027-03-21 00:00 CET",
		},
		{
			step: "month-before-ten", due: "2027-03-21T09:00:00Z", local: "2027-03-21T10:00:00+01:00",
			reason: "from event.data.end_date: 2027-04-20 00:00 CEST; before 30d: 2027-03-21 00:00 CET; at 10:00: 2027-03-21 10:00 CET",
		},
		{step: "ten-days-before", due: "2027-04-10T08:00:00Z", local: "2027-04-10T10:00:00+02:00"},
	})
	// 30 days of 24 hours would have been an hour off.
	if end := at(t, "2027-04-19T22:00:00Z"); end.Add(-30 * 24 * time.Hour).Equal(at(t, "2027-03-20T23:00:00Z")) {
		t.Fatal("the case does not cross a clock change")
	}
}

// Midnight that does not exist (Santiago moves its clocks from 00:00 to
// 01:00) is the first instant of the day.
func TestAnchorDateMidnightGap(t *testing.T) {
	st := anchorSet(t).Get("renewal").Step("month-before")
	ev := &Event{Data: map[string]any{"end_date": "2026-09-06"}}
	got, err := st.Anchor(ev, nil, mustLoc(t, "America/Santiago"))
	if err != nil {
		t.Fatal(err)
	}
	if want := at(t, "2026-09-06T01:00:00-03:00"); !got.Equal(want) {
		t.Errorf("anchor %s, want %s", got, want)
	}
}

func TestAnchorTimestamp(t *testing.T) {
	s := anchorSet(t)
	ev := &Event{
		ID: "e", Type: "appointment.scheduled", CustomerID: "c", OccurredAt: at(t, "2026-11-20T12:00:00Z"),
		Customer: &Customer{Timezone: "Europe/Amsterdam"},
		Data:     map[string]any{"starts_at": "2026-11-26T14:30:00+01:00"},
	}
	evening := "from event.data.starts_at: 2026-11-26 14:30 CET; before 1d: 2026-11-25 14:30 CET; at 18:00: 2026-11-25 18:00 CET"
	checkPlans(t, planned(t, s, ev, "2026-11-20T12:00:00Z"), []wantPlan{
		{step: "evening-before", due: "2026-11-25T17:00:00Z", local: "2026-11-25T18:00:00+01:00", reason: evening},
		{step: "evening-before-typed", due: "2026-11-25T17:00:00Z", local: "2026-11-25T18:00:00+01:00"},
		{
			step: "hour-before", due: "2026-11-26T12:30:00Z", local: "2026-11-26T13:30:00+01:00",
			reason: "from event.data.starts_at: 2026-11-26 14:30 CET; before 1h: 2026-11-26 13:30 CET",
		},
		{
			step: "at-start", due: "2026-11-26T13:30:00Z", local: "2026-11-26T14:30:00+01:00",
			reason: "from event.data.starts_at: 2026-11-26 14:30 CET",
		},
	})
}

// Without from, or with from: event.occurred_at, after counts from the
// event's occurred_at.
func TestAnchorOccurredAt(t *testing.T) {
	s := anchorSet(t)
	ev := &Event{ID: "e", Type: "demo.occurred", CustomerID: "c", OccurredAt: at(t, "2026-10-23T08:30:00Z")}
	got := planned(t, s, ev, "2026-10-23T08:30:00Z")
	if a, b := got["explicit"], got["implicit"]; !a.Due.Equal(b.Due) || a.Due.Format(time.RFC3339) != "2026-10-25T08:30:00Z" {
		t.Errorf("explicit %s, implicit %s; want both 2026-10-25T08:30:00Z", a.Due, b.Due)
	}
	st := s.Get("from-occurred").Step("implicit")
	if from, err := st.Anchor(ev, nil, nil); err != nil || !from.Equal(ev.OccurredAt) {
		t.Errorf("Anchor without from = %s, %v; want occurred_at", from, err)
	}
}

// A due time already past: within the late limit the step runs at once,
// beyond it the step is skipped as too late.
func TestAnchorInThePast(t *testing.T) {
	s := anchorSet(t)
	ams := &Customer{Timezone: "Europe/Amsterdam"}
	// Booked at 20:00 for tomorrow 09:00: 18:00 today was two hours ago.
	ev := &Event{
		ID: "e", Type: "appointment.scheduled", CustomerID: "c", Customer: ams,
		Data: map[string]any{"starts_at": "2026-11-26T09:00:00+01:00"},
	}
	got := planned(t, s, ev, "2026-11-25T19:00:00Z")
	if p := got["evening-before"]; p.Skipped || p.DueLocal != "2026-11-25T20:00:00+01:00" ||
		!strings.HasSuffix(p.Reason, "due time already passed: runs at once (within late_limit 3h0m0s)") {
		t.Errorf("two hours late: %+v", p)
	}
	// Booked on the morning of the appointment: beyond the late limit.
	got = planned(t, s, ev, "2026-11-26T07:00:00Z")
	if p := got["evening-before"]; !p.Skipped || !strings.Contains(p.Reason, "too late: due 2026-11-25 18:00 CET is more than late_limit 3h0m0s in the past") {
		t.Errorf("fourteen hours late: %+v", p)
	}
	// A contract that ends in less than 30 days: the first notice is too
	// late, the second one still comes.
	ev = &Event{
		ID: "e", Type: "contract.renewal_due", CustomerID: "c", Customer: ams,
		Data: map[string]any{"end_date": "2026-12-10"},
	}
	got = planned(t, s, ev, "2026-11-23T09:00:00Z")
	if p := got["month-before-ten"]; !p.Skipped || !strings.Contains(p.Reason, "too late") {
		t.Errorf("month before, 17 days ahead: %+v", p)
	}
	if p := got["ten-days-before"]; p.Skipped || p.DueLocal != "2026-11-30T10:00:00+01:00" {
		t.Errorf("ten days before, 17 days ahead: %+v", p)
	}
}

// A from that yields no date makes the step skipped, with the reason; the
// flow's other steps are still planned.
func TestAnchorBadValue(t *testing.T) {
	s := anchorSet(t)
	st := s.Get("renewal").Step("month-before")
	tests := []struct {
		data any
		want string
	}{
		{42, "from event.data.end_date: yields int, not a date (want a timestamp, 2026-11-30 or an RFC 3339 time)"},
		{true, "from event.data.end_date: yields bool, not a date (want a timestamp, 2026-11-30 or an RFC 3339 time)"},
		{"next week", `from event.data.end_date: "next week" is not a date (want 2026-11-30 or an RFC 3339 time)`},
		{"2026-02-30", `from event.data.end_date: "2026-02-30" is not a date (want 2026-11-30 or an RFC 3339 time)`},
		{"", `from event.data.end_date: "" is not a date (want 2026-11-30 or an RFC 3339 time)`},
		{nil, "from event.data.end_date cannot be evaluated: no such key: end_date"},
	}
	for _, tt := range tests {
		data := map[string]any{"end_date": tt.data}
		if tt.data == nil {
			data = nil
		}
		ev := &Event{ID: "e", Type: "contract.renewal_due", CustomerID: "c", Data: data}
		if _, err := st.Anchor(ev, nil, time.UTC); err == nil || err.Error() != tt.want {
			t.Errorf("end_date %#v: err = %v, want %s", tt.data, err, tt.want)
		}
		got := planned(t, s, ev, "2026-11-23T09:00:00Z")
		if p := got["month-before"]; !p.Skipped || p.Reason != "skipped: "+tt.want || !p.Due.Equal(at(t, "2026-11-23T09:00:00Z")) {
			t.Errorf("end_date %#v: planned %+v", tt.data, p)
		}
	}
}

func TestAnchorInvalid(t *testing.T) {
	const head = "flow: f\ntrigger: { event: a.b }\nsteps:\n  - id: s\n    channel: outbox\n    template: hello\n"
	tests := []struct{ keys, want string }{
		{
			"    from: event.data.end_date\n    after: 2d\n    before: 30d\n",
			"f.yaml:9: steps[0].before: give after or before, not both",
		},
		{
			"    before: 30d\n",
			"f.yaml:7: steps[0].before: needs from: before counts back from a date in the event, e.g. from: event.data.end_date",
		},
		{
			"    from: event.data.end_date\n    before: 30x\n",
			`f.yaml:8: steps[0].before: bad duration "30x": unit must be m, h or d`,
		},
		{
			"    from: event.data.days > 3\n",
			"f.yaml:7: steps[0].from: must be a timestamp or a date string, not bool",
		},
		{
			"    from: 42\n",
			"f.yaml:7: steps[0].from: must be a timestamp or a date string, not int",
		},
		{
			"    from: order.end_date\n",
			"f.yaml:7: steps[0].from: does not compile: 1:1: undeclared reference to 'order' (in container '')",
		},
		{
			`    from: ""` + "\n",
			"f.yaml:7: steps[0].from: empty expression (leave the key out to count from the event's occurred_at)",
		},
	}
	for _, tt := range tests {
		_, err := Parse("f.yaml", []byte(head+tt.keys), testTemplates)
		if err == nil || err.Error() != tt.want {
			t.Errorf("%s: err = %v\nwant %s", tt.keys, err, tt.want)
		}
	}
	// A second step is named by its index.
	two := head + "  - id: t\n    from: event.data.end_date +\n    channel: outbox\n    template: hello\n"
	if _, err := Parse("f.yaml", []byte(two), testTemplates); err == nil || !strings.HasPrefix(err.Error(), "f.yaml:8: steps[1].from: does not compile: 1:") {
		t.Errorf("second step: err = %v", err)
	}
}

// Due keeps its signature: a step with before counts back from whatever
// anchor the caller passes.
func TestDueBefore(t *testing.T) {
	st := &Step{ID: "s", BeforeDays: 1, BeforeClock: 2 * time.Hour}
	ams := mustLoc(t, "Europe/Amsterdam")
	p := st.Due(at(t, "2026-03-29T10:00:00+02:00"), at(t, "2026-03-01T00:00:00Z"), ams, 0)
	// One calendar day back across the start of summer time keeps 10:00
	// (23 hours earlier), then two hours of elapsed time.
	if want := at(t, "2026-03-28T08:00:00+01:00"); !p.At.Equal(want) || p.Reason != "before 1d2h: 2026-03-28 08:00 CET" {
		t.Errorf("Due = %s (%s), want %s", p.At, p.Reason, want)
	}
}
