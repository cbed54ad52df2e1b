package flows

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseInvalidGuards(t *testing.T) {
	tests := map[string]string{
		"skip_if_bad":               ":8: steps[0].skip_if: does not compile: 1:17: found no matching overload for '_+_' applied to '(int, string)'",
		"skip_if_empty":             ":8: steps[0].skip_if: empty expression (leave the key out to never skip)",
		"once_per_bad":              `:2: once_per: unknown value "household" (want customer, subject or event)`,
		"reentry_without_once_per":  ":2: reentry_after: needs once_per: customer or subject",
		"debounce_bad":              `:8: steps[0].debounce: bad duration "15s": unit must be m, h or d`,
		"step_cancel_without_event": ":9: steps[0].cancel_on[0].event: required",
	}
	files, _ := filepath.Glob("testdata/invalid-guards/*.yaml")
	if len(files) != len(tests) {
		t.Errorf("%d files, %d cases", len(files), len(tests))
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".yaml")
		t.Run(name, func(t *testing.T) {
			data, _ := os.ReadFile(file)
			_, err := Parse(file, data, testTemplates)
			want := file + tests[name]
			if err == nil || err.Error() != want {
				t.Errorf("Parse error:\n got %v\nwant %s", err, want)
			}
		})
	}
}

func TestPolicyInvalid(t *testing.T) {
	tests := map[string]string{
		"bad_budget_key":     ":4: budget.colour: unknown field",
		"budget_without_per": ":2: budget.per: required with max",
		"always_quiet":       ":2: quiet_hours: quiet hours cover the whole week: nothing could ever be sent",
		"bad_quiet_hours":    `:2: quiet_hours[0].hours: bad hours "21:00-8:00": want HH:MM-HH:MM, from 00:00 to 24:00`,
		"service_below_max":  ":4: budget.service_max: must be at least max (3)",
	}
	dirs, _ := filepath.Glob("testdata/policy/*")
	if len(dirs) != len(tests) {
		t.Errorf("%d folders, %d cases", len(dirs), len(tests))
	}
	for _, dir := range dirs {
		name := filepath.Base(dir)
		t.Run(name, func(t *testing.T) {
			file := filepath.Join(dir, PolicyFile)
			data, _ := os.ReadFile(file)
			_, err := Parse(file, data, testTemplates)
			want := file + tests[name]
			if err == nil || err.Error() != want {
				t.Errorf("Parse error:\n got %v\nwant %s", err, want)
			}
		})
	}
}

func TestGuardsValid(t *testing.T) {
	s, err := LoadDir("testdata/valid-guards", testTemplates)
	if err != nil {
		t.Fatal(err)
	}
	f := s.Get("status-update")
	if f.OncePer != OncePerSubject || f.ReentryAfter != 30*24*time.Hour {
		t.Errorf("once_per %q reentry %v", f.OncePer, f.ReentryAfter)
	}
	st := f.Steps[0]
	if st.Debounce != 15*time.Minute || st.Deadline != 48*time.Hour || len(st.CancelOn) != 1 {
		t.Errorf("step = %+v", st)
	}
	p := s.Policy()
	if len(p.Quiet) != 2 || p.Budget == nil || p.Budget.Max != 3 || p.Budget.Limit(PurposeService) != 4 || p.Budget.Limit(PurposeMarketing) != 3 {
		t.Fatalf("policy = %+v budget %+v", p, p.Budget)
	}

	ev := &Event{ID: "e9", Type: "application.closed", CustomerID: "c", Data: map[string]any{"reason": "done"}}
	targets, err := s.CancelTargets(ev, nil)
	if err != nil || !slices.Equal(targets, []Target{{Flow: "status-update", Step: "update"}}) {
		t.Fatalf("CancelTargets = %v, %v", targets, err)
	}
	if !Matches(targets, "status-update", "update") || Matches(targets, "status-update", "other") {
		t.Error("Matches")
	}
	ev.Data["reason"] = "abandoned"
	if targets, _ := s.CancelTargets(ev, nil); len(targets) != 0 {
		t.Errorf("cancel if false still cancels: %v", targets)
	}

	trigger := &Event{ID: "e1", Type: "application.status_changed", CustomerID: "c"}
	skip, err := st.Skip(SkipVars{Event: trigger, Now: time.Now(), EventsSince: []string{"application.submitted"}})
	if err != nil || skip {
		t.Errorf("Skip without withdrawal = %v, %v", skip, err)
	}
	skip, err = st.Skip(SkipVars{Event: trigger, Now: time.Now(), EventsSince: []string{"application.withdrawn"}})
	if err != nil || !skip {
		t.Errorf("Skip after withdrawal = %v, %v", skip, err)
	}
}

func TestSkipContactsAndInbound(t *testing.T) {
	src := "flow: f\ntrigger:\n  event: a.b\nsteps:\n  - id: s\n    channel: email\n    template: hello\n    skip_if: contacts.exists(c, c.at > now - duration(\"72h\")) || customer.last_inbound_at > event.occurred_at\n"
	s, err := Parse("f.yaml", []byte(src), testTemplates)
	if err != nil {
		t.Fatal(err)
	}
	st := s.Get("f").Steps[0]
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	ev := &Event{ID: "e", Type: "a.b", CustomerID: "c", OccurredAt: now.Add(-96 * time.Hour)}
	cases := []struct {
		name     string
		contacts []Contact
		inbound  time.Time
		want     bool
	}{
		{"nothing", nil, time.Time{}, false},
		{"old contact", []Contact{{At: now.Add(-100 * time.Hour)}}, time.Time{}, false},
		{"recent contact", []Contact{{At: now.Add(-2 * time.Hour), Channel: "email"}}, time.Time{}, true},
		{"customer wrote since", nil, now.Add(-time.Hour), true},
		{"customer wrote before", nil, now.Add(-100 * time.Hour), false},
	}
	for _, c := range cases {
		got, err := st.Skip(SkipVars{Event: ev, Now: now, Contacts: c.contacts, LastInbound: c.inbound})
		if err != nil || got != c.want {
			t.Errorf("%s: Skip = %v, %v; want %v", c.name, got, err, c.want)
		}
	}
}

func TestAfterQuiet(t *testing.T) {
	ams, _ := time.LoadLocation("Europe/Amsterdam")
	s, err := LoadDir("testdata/valid-guards", testTemplates)
	if err != nil {
		t.Fatal(err)
	}
	p := s.Policy()
	at := func(y int, m time.Month, d, h, mi int) time.Time { return time.Date(y, m, d, h, mi, 0, 0, ams) }
	cases := []struct {
		in, want time.Time
		moved    bool
	}{
		{at(2026, 11, 25, 10, 0), at(2026, 11, 25, 10, 0), false}, // Wednesday morning
		{at(2026, 11, 25, 22, 30), at(2026, 11, 26, 8, 0), true},  // Wednesday night
		{at(2026, 11, 26, 7, 59), at(2026, 11, 26, 8, 0), true},   // just before the end
		{at(2026, 11, 28, 21, 0), at(2026, 11, 30, 8, 0), true},   // Saturday night, then Sunday, then Sunday night
		{at(2026, 10, 24, 23, 0), at(2026, 10, 26, 8, 0), true},   // across the autumn DST change
		{at(2026, 3, 28, 21, 30), at(2026, 3, 30, 8, 0), true},    // across the spring DST change
	}
	for _, c := range cases {
		got, why := p.AfterQuiet(c.in, ams)
		if !got.Equal(c.want) || (why != "") != c.moved {
			t.Errorf("AfterQuiet(%s) = %s (%q), want %s", c.in, got.In(ams), why, c.want)
		}
		if got.Before(c.in) {
			t.Errorf("AfterQuiet(%s) moved earlier", c.in)
		}
	}
}

func TestNextBudget(t *testing.T) {
	b := &Budget{Max: 3, Per: 7 * 24 * time.Hour, MinGap: 2 * time.Hour, ServiceMax: 4}
	t0 := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	contacts := []time.Time{t0.Add(-6 * day), t0.Add(-3 * day), t0.Add(-time.Hour)}
	// Marketing: 3 in 7 days reached; the oldest leaves the period a day later.
	got, why := b.NextBudget(t0, contacts, b.Limit(PurposeMarketing))
	if want := t0.Add(day); !got.Equal(want) || !strings.Contains(why, "3 contacts per 7d") {
		t.Errorf("marketing: %s (%s), want %s", got, why, want)
	}
	// Service may go to 4, but still waits for the gap after the last contact.
	got, why = b.NextBudget(t0, contacts, b.Limit(PurposeService))
	if want := t0.Add(time.Hour); !got.Equal(want) || !strings.Contains(why, "at least 2h0m0s after the last contact") {
		t.Errorf("service: %s (%s), want %s", got, why, want)
	}
	// No contacts: unchanged.
	if got, why := b.NextBudget(t0, nil, 3); !got.Equal(t0) || why != "" {
		t.Errorf("empty: %s %q", got, why)
	}
	var none *Budget
	if got, _ := none.NextBudget(t0, contacts, 0); !got.Equal(t0) {
		t.Errorf("nil budget moved the time")
	}
}

// A step reads the events since its trigger only when its skip_if names
// events_since; a string or a field that merely contains the word does not.
func TestSkipReadsEventsSince(t *testing.T) {
	cases := []struct {
		expr string
		want bool
	}{
		{`"application.withdrawn" in events_since`, true},
		{`events_since.exists(e, e.type == "x") || now > event.occurred_at`, true},
		{`size(events_since) > 0`, true},
		{`contacts.exists(c, c.flow == "events_since")`, false},
		{`has(event.data.events_since) && event.data.events_since == true`, false},
		{`customer.last_inbound_at > event.occurred_at`, false},
	}
	for _, c := range cases {
		src := fmt.Sprintf("flow: f\ntrigger:\n  event: a.b\nsteps:\n  - id: s\n    channel: email\n    template: hello\n    skip_if: '%s'\n", c.expr)
		s, err := Parse("f.yaml", []byte(src), testTemplates)
		if err != nil {
			t.Fatalf("%s: %v", c.expr, err)
		}
		if got := s.Get("f").Steps[0].SkipReadsEventsSince(); got != c.want {
			t.Errorf("%s: SkipReadsEventsSince = %v, want %v", c.expr, got, c.want)
		}
	}
	s, err := Parse("f.yaml", []byte("flow: f\ntrigger:\n  event: a.b\nsteps:\n  - id: s\n    channel: email\n    template: hello\n"), testTemplates)
	if err != nil {
		t.Fatal(err)
	}
	if s.Get("f").Steps[0].SkipReadsEventsSince() {
		t.Error("a step without skip_if reads events_since")
	}
}
