package flows

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"
)

func loadValid(t *testing.T) *Set {
	t.Helper()
	s, err := LoadDir("testdata/valid", nil)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSimulate(t *testing.T) {
	s := loadValid(t)
	ev := &Event{
		ID: "evt_1", Type: "subscription.created", CustomerID: "cus_1",
		OccurredAt: at(t, "2026-11-23T18:12:00+01:00"), // a Monday evening
		Customer:   &Customer{Timezone: "Europe/Amsterdam"},
		Data:       map[string]any{"plan": "family"},
	}
	got, err := Simulate(s, ev, ev.OccurredAt, "America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	want := []Planned{
		{
			Flow: "new-subscriber-reassurance", Step: "reassurance-call", Channels: []string{"callback"},
			Due: at(t, "2026-11-26T08:00:00Z"), DueLocal: "2026-11-26T09:00:00+01:00", Timezone: "Europe/Amsterdam",
			Reason: "after 2d: 2026-11-25 18:12 CET; outside window mon-fri 09:00-17:00: moved to next opening 2026-11-26 09:00 CET",
		},
		{
			Flow: "new-subscriber-reassurance", Step: "invoice-explainer", Channels: []string{"whatsapp", "email"},
			Due: at(t, "2026-11-27T09:00:00Z"), DueLocal: "2026-11-27T10:00:00+01:00", Timezone: "Europe/Amsterdam",
			Reason: "after 4d: 2026-11-27 18:12 CET; at 10:00: 2026-11-27 10:00 CET",
		},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d planned, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Flow != w.Flow || g.Step != w.Step || !slices.Equal(g.Channels, w.Channels) || !g.Due.Equal(w.Due) ||
			g.Due.Location() != time.UTC || g.DueLocal != w.DueLocal || g.Timezone != w.Timezone || g.Reason != w.Reason || g.Skipped {
			t.Errorf("planned[%d]:\n got %+v\nwant %+v", i, g, w)
		}
	}

	data, err := json.Marshal(got[0])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"flow", "step", "channels", "due", "due_local", "timezone", "reason"} {
		if _, ok := m[k]; !ok {
			t.Errorf("JSON has no %q: %s", k, data)
		}
	}
	if m["due"] != "2026-11-26T08:00:00Z" {
		t.Errorf("JSON due = %v, want RFC 3339 in UTC", m["due"])
	}
	if _, ok := m["skipped"]; ok {
		t.Errorf("JSON has skipped for a step that runs: %s", data)
	}
}

func TestSimulateZones(t *testing.T) {
	s := loadValid(t)
	now := at(t, "2026-11-23T12:00:00Z")
	ev := func(tz string) *Event {
		e := &Event{ID: "e", Type: "order.delayed", CustomerID: "c", Data: map[string]any{"days_late": 3}}
		if tz != "" {
			e.Customer = &Customer{Timezone: tz}
		}
		return e
	}
	tests := []struct {
		tz, def, want string
	}{
		{"Asia/Kolkata", "Europe/Amsterdam", "Asia/Kolkata"},
		{"", "Europe/Amsterdam", "Europe/Amsterdam"},
		{"", "", "UTC"},
	}
	for _, tt := range tests {
		got, err := Simulate(s, ev(tt.tz), now, tt.def)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 {
			t.Fatalf("got %d planned, want 2", len(got))
		}
		if got[0].Timezone != tt.want {
			t.Errorf("customer %q, default %q: zone %s, want %s", tt.tz, tt.def, got[0].Timezone, tt.want)
		}
		// No occurred_at: the event occurred now.
		if !got[0].Due.Equal(now) {
			t.Errorf("apology due %s, want now %s", got[0].Due, now)
		}
	}
	if _, err := Simulate(s, ev("Mars/Olympus"), now, ""); err == nil || !strings.Contains(err.Error(), `load time zone "Mars/Olympus"`) {
		t.Errorf("bad zone: err = %v", err)
	}
	if _, err := Simulate(s, ev(""), now, "Nowhere/Else"); err == nil {
		t.Errorf("bad default zone: no error")
	}
}

func TestSimulateTooLate(t *testing.T) {
	s := loadValid(t)
	ev := &Event{
		ID: "e", Type: "order.delayed", CustomerID: "c", OccurredAt: at(t, "2026-11-20T10:00:00Z"),
		Data: map[string]any{"days_late": 2},
	}
	got, err := Simulate(s, ev, at(t, "2026-11-23T12:00:00Z"), "")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range got {
		if !p.Skipped || !strings.Contains(p.Reason, "too late") {
			t.Errorf("%s: skipped %v, reason %q; want too late", p.Step, p.Skipped, p.Reason)
		}
	}
}

func TestSimulateNothingTriggered(t *testing.T) {
	s := loadValid(t)
	got, err := Simulate(s, &Event{ID: "e", Type: "invoice.paid", CustomerID: "c"}, time.Now(), "")
	if err != nil || got == nil || len(got) != 0 {
		t.Errorf("got %v, %v; want an empty list", got, err)
	}
	if _, err := Simulate(s, &Event{ID: "e", Type: "subscription.created", CustomerID: "c"}, time.Now(), ""); err == nil {
		t.Errorf("trigger that cannot be evaluated: no error")
	}
}

func TestLocation(t *testing.T) {
	tests := []struct{ tz, def, want, wantErr string }{
		{tz: "Europe/Amsterdam", def: "Asia/Kolkata", want: "Europe/Amsterdam"},
		{def: "Asia/Kolkata", want: "Asia/Kolkata"},
		{want: "UTC"},
		{tz: "UTC", want: "UTC"},
		{tz: "Local", wantErr: `load time zone "Local": use an IANA name such as Europe/Amsterdam`},
		{tz: "Europe/Atlantis", wantErr: `load time zone "Europe/Atlantis": unknown time zone Europe/Atlantis`},
	}
	for _, tt := range tests {
		loc, err := Location(tt.tz, tt.def)
		switch {
		case tt.wantErr != "":
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("%q, %q: err = %v, want %s", tt.tz, tt.def, err, tt.wantErr)
			}
		case err != nil:
			t.Errorf("%q, %q: %v", tt.tz, tt.def, err)
		case loc.String() != tt.want:
			t.Errorf("%q, %q = %s, want %s", tt.tz, tt.def, loc, tt.want)
		}
	}
}
