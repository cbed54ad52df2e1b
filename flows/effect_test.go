package flows

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestEffectInvalid(t *testing.T) {
	tests := map[string]string{
		"holdout_too_big":       `:3: holdout: bad holdout "60%": want a percentage from 0% to 50%, like 10%`,
		"holdout_no_percent":    `:3: holdout: bad holdout "0.1": want a percentage from 0% to 50%, like 10%`,
		"holdout_salt_empty":    `:4: holdout_salt: empty salt (leave the key out to use the flow's name)`,
		"goal_without_within":   ":4: goal.within: required",
		"goal_without_event":    ":3: goal.event: required (or include)",
		"goal_bad_within":       `:3: goal.within: bad duration "2w": unit must be m, h or d`,
		"goal_within_too_long":  ":3: goal.within: longer than 365d",
		"goal_bad_if":           ":6: goal.if: must be true or false, not int",
		"goal_if_without_event": ":6: goal.if: needs event: if applies to goal events",
		"goal_unknown_source":   `:6: goal.include[1]: unknown source "phone_call" (want inbound_message or callback_requested)`,
		"goal_bad_count":        ":6: goal.count: must be true or false",
		"goal_unknown_key":      ":6: goal.metric: unknown field",
		"goal_bad_event":        `:3: goal.event: bad event type "Inbound": want lower-case dotted words like subscription.created`,
	}
	files, err := filepath.Glob("testdata/invalid-effect/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(tests) {
		t.Errorf("%d files in testdata/invalid-effect, %d cases: every file needs a case", len(files), len(tests))
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".yaml")
		t.Run(name, func(t *testing.T) {
			want, ok := tests[name]
			if !ok {
				t.Fatalf("no expected error for %s", file)
			}
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			_, err = Parse(file, data, testTemplates)
			var errs Errors
			if !errors.As(err, &errs) {
				t.Fatalf("Parse error %T is not Errors: %v", err, err)
			}
			if got := err.Error(); got != file+want {
				t.Errorf("Parse error:\n got %s\nwant %s", got, file+want)
			}
		})
	}
}

const measuredFlow = `flow: measured
trigger: { event: subscription.created }
holdout: 12.5%
goal:
  event: contact.inbound
  within: 14d
  if: 'event.data.reason != "move"'
  same_subject: true
  include: [inbound_message, callback_requested]
  count: true
steps:
  - { id: s, after: 2d, channel: sms, template: hello }
`

func parseOne(t *testing.T, src string) *Flow {
	t.Helper()
	s, err := Parse("f.yaml", []byte(src), testTemplates)
	if err != nil {
		t.Fatal(err)
	}
	return s.Flows()[0]
}

func TestEffectParse(t *testing.T) {
	f := parseOne(t, measuredFlow)
	if f.Holdout.BP != 1250 || f.Holdout.Share() != 0.125 || f.HoldoutSalt() != "measured" {
		t.Errorf("holdout = %+v, share %v, salt %q", f.Holdout, f.Holdout.Share(), f.HoldoutSalt())
	}
	g := f.Goal
	if g == nil || g.Event != "contact.inbound" || g.Within != 14*24*time.Hour || !g.SameSubject || !g.Count ||
		!g.Includes(SourceInboundMessage) || !g.Includes(SourceCallbackRequested) {
		t.Fatalf("goal = %+v", g)
	}
	const spec = `event contact.inbound, include inbound_message+callback_requested, within 14d, if event.data.reason != "move", same subject, counted`
	if got := g.Spec(); got != spec {
		t.Errorf("Spec:\n got %s\nwant %s", got, spec)
	}
	if !f.Measured() {
		t.Error("a flow with a goal is not measured")
	}
	plain := parseOne(t, "flow: plain\ntrigger: { event: a.b }\nsteps:\n  - { id: s, channel: sms, template: hello }\n")
	if plain.Measured() || plain.Goal.Spec() != "none" || plain.Arm("cus_1") != ArmTreatment {
		t.Errorf("a flow without holdout and goal: measured %v, goal %q, arm %s", plain.Measured(), plain.Goal.Spec(), plain.Arm("cus_1"))
	}
}

func TestGoalMatches(t *testing.T) {
	g := parseOne(t, measuredFlow).Goal
	ev := func(typ, reason string) *Event {
		return &Event{ID: "e", Type: typ, CustomerID: "c", Data: map[string]any{"reason": reason}}
	}
	for _, c := range []struct {
		ev   *Event
		want bool
	}{
		{ev("contact.inbound", "invoice"), true},
		{ev("contact.inbound", "move"), false},
		{ev("contact.outbound", "invoice"), false},
	} {
		got, err := g.Matches(c.ev, nil)
		if err != nil || got != c.want {
			t.Errorf("Matches(%s, %v) = %v, %v; want %v", c.ev.Type, c.ev.Data, got, err, c.want)
		}
	}
	if _, err := g.Matches(&Event{Type: "contact.inbound"}, nil); err == nil {
		t.Error("goal.if over an event without the key: no error")
	}
}

// The period changes with the holdout share, the salt and the goal, and
// not with the steps.
func TestPeriod(t *testing.T) {
	base := parseOne(t, measuredFlow).Period()
	same := parseOne(t, strings.Replace(measuredFlow, "after: 2d", "after: 3d", 1)).Period()
	if same != base {
		t.Errorf("a step's change started a new period: %s, then %s", base, same)
	}
	for name, edit := range map[string][2]string{
		"share":  {"12.5%", "10%"},
		"salt":   {"holdout: 12.5%", "holdout: 12.5%\nholdout_salt: \"2027\""},
		"within": {"within: 14d", "within: 7d"},
		"count":  {"count: true", "count: false"},
		"if":     {`"move"`, `"moving"`},
	} {
		if p := parseOne(t, strings.Replace(measuredFlow, edit[0], edit[1], 1)).Period(); p == base {
			t.Errorf("changing the %s kept period %s", name, p)
		}
	}
}

// Arms are sticky, drawn in the configured proportion, and reshuffled by
// a new salt.
func TestArm(t *testing.T) {
	f := parseOne(t, strings.Replace(measuredFlow, "12.5%", "10%", 1))
	salted := parseOne(t, strings.Replace(measuredFlow, "holdout: 12.5%", "holdout: 10%\nholdout_salt: other", 1))
	const n = 100000
	control, moved := 0, 0
	for i := range n {
		cus := fmt.Sprintf("cus_%d", i)
		a := f.Arm(cus)
		if f.Arm(cus) != a {
			t.Fatalf("customer %s changed arms", cus)
		}
		if a == ArmControl {
			control++
		}
		if salted.Arm(cus) != a {
			moved++
		}
	}
	// 10% of 100,000: the standard deviation is about 95.
	if control < 9600 || control > 10400 {
		t.Errorf("%d of %d in the control group, want about 10,000", control, n)
	}
	// With a new salt a control customer stays in control with chance 10%:
	// 2 × 0.9 × 0.1 of all customers change arms.
	if moved < 17000 || moved > 19000 {
		t.Errorf("a new salt moved %d of %d customers, want about 18,000", moved, n)
	}
	if half := parseOne(t, strings.Replace(measuredFlow, "12.5%", "50%", 1)); half.Arm("cus_1") == "" {
		t.Error("no arm")
	}
}

func TestPolicyHoldout(t *testing.T) {
	s, err := LoadDir("testdata/effect-policy", testTemplates)
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Get("inherits").Holdout.BP; got != 500 {
		t.Errorf("a flow without holdout has %d bp, want the policy's 500", got)
	}
	if got := s.Get("own").Holdout.BP; got != 0 {
		t.Errorf("a flow with holdout: 0%% has %d bp", got)
	}
	if s.Policy().Holdout != 500 {
		t.Errorf("policy holdout = %d", s.Policy().Holdout)
	}
	_, err = LoadDir("testdata/effect-policy-bad", testTemplates)
	want := `testdata/effect-policy-bad/policy.yaml:1: holdout: bad holdout "51%": want a percentage from 0% to 50%, like 10%`
	if err == nil || err.Error() != want {
		t.Errorf("policy holdout 51%%: %v, want %s", err, want)
	}
}

func TestSimulateArm(t *testing.T) {
	f := strings.Replace(measuredFlow, "12.5%", "50%", 1)
	s, err := Parse("f.yaml", []byte(f), testTemplates)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for i := range 20 {
		ev := &Event{ID: "e", Type: "subscription.created", CustomerID: fmt.Sprintf("cus_%d", i)}
		plans, err := Simulate(s, ev, time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC), "")
		if err != nil || len(plans) != 1 {
			t.Fatalf("simulate: %v, %v", plans, err)
		}
		if want := s.Get("measured").Arm(ev.CustomerID); plans[0].Arm != want {
			t.Errorf("customer %s: simulate says %s, the flow %s", ev.CustomerID, plans[0].Arm, want)
		}
		seen[plans[0].Arm] = true
	}
	if !seen[ArmControl] || !seen[ArmTreatment] {
		t.Errorf("20 customers of a 50%% holdout all in one arm: %v", seen)
	}
}

func FuzzShare(f *testing.F) {
	for _, s := range []string{"10%", "0%", "50%", "12.25%", "50.01%", "1.5%", "%", "100%"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		src := "flow: f\ntrigger: { event: a.b }\nholdout: " + fmt.Sprintf("%q", s) + "\nsteps:\n  - { id: s, channel: sms, template: hello }\n"
		set, err := Parse("f.yaml", []byte(src), testTemplates)
		if err != nil {
			return
		}
		if bp := set.Flows()[0].Holdout.BP; bp < 0 || bp > MaxHoldout {
			t.Errorf("holdout %q loaded as %d bp", s, bp)
		}
	})
}
