package flows

import (
	"strings"
	"testing"
)

// flows validate warns about every read of event.data that no has() guards.
func TestWarningsUnguardedData(t *testing.T) {
	t.Parallel()
	src := `flow: f
trigger:
  event: order.delayed
  if: has(event.data.days) && event.data.days > 1 && event.data.reason != "customer"
cancel_on:
  - event: order.delivered
    if: '"late" in event.data && event.data["late"] == true && event.data["eta"] != ""'
steps:
  - id: s
    channel: email
    template: hello
    skip_if: >-
      event.data.days > 5 ||
      (has(event.data.carrier.name) && event.data.carrier.name == "x") ||
      events_since.exists(e, e.data.topic == "late")
    cancel_on:
      - event: order.cancelled
        if: event.data.days > 0
---
flow: g
trigger:
  event: order.delayed
  if: '!has(event.data.days) || event.data.days > 1'
steps:
  - id: s
    channel: email
    template: hello
    skip_if: event.data.days > 5
`
	s, err := Parse("w.yaml", []byte(src), testTemplates)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, w := range s.Warnings() {
		got = append(got, w.Error())
	}
	want := []string{
		// trigger.if: days is guarded, reason is not.
		"w.yaml:4: trigger.if: reads event.data.reason without has(event.data.reason): for an event without reason the expression fails",
		// "x" in event.data guards as has() does; an index reads too.
		"w.yaml:7: cancel_on[0].if: reads event.data.eta without has(event.data.eta): for an event without eta the expression fails",
		// skip_if: days is demanded by trigger.if; has(event.data.carrier.name)
		// reads carrier itself; the data of other events is not event.data.
		"w.yaml:12: steps[0].skip_if: reads event.data.carrier without has(event.data.carrier): for an event without carrier the expression fails",
		// A step's cancel_on sees the cancelling event, not the trigger.
		"w.yaml:18: steps[0].cancel_on[0].if: reads event.data.days without has(event.data.days): for an event without days the expression fails",
		// A has() that does not demand the field guards its own expression only.
		"w.yaml:28: steps[0].skip_if: reads event.data.days without has(event.data.days): for an event without days the expression fails",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// The classics read event.data only behind has().
func TestClassicsHaveNoWarnings(t *testing.T) {
	t.Parallel()
	s, err := LoadDir("classics", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range s.Warnings() {
		t.Errorf("classics: %v", w)
	}
}
