package flows

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// shippedAt is when the trigger event of the history tests occurred.
var shippedAt = time.Date(2026, 11, 23, 9, 12, 0, 0, time.UTC)

// skipStep loads a flow with one step whose skip_if is expr.
func skipStep(t *testing.T, expr string) (*Step, error) {
	t.Helper()
	src := fmt.Sprintf("flow: f\ntrigger:\n  event: a.b\nsteps:\n  - id: s\n    channel: email\n    template: hello\n    skip_if: '%s'\n", expr)
	s, err := Parse("f.yaml", []byte(src), testTemplates)
	if err != nil {
		return nil, err
	}
	return s.Get("f").Steps[0], nil
}

// A step reads the data of the events since its trigger only when its
// skip_if looks into them, and the events before it only as far back, and
// of the types, that events_before asks for.
func TestSkipReadsHistory(t *testing.T) {
	t.Parallel()
	cases := []struct {
		expr   string
		since  bool
		data   bool
		window time.Duration
		types  []string
	}{
		{`"contact.inbound" in events_since`, true, false, 0, nil},
		{`!("contact.inbound" in events_since) && size(events_since) > 2`, true, false, 0, nil},
		{`events_since.size() == 0`, true, false, 0, nil},
		{`events_since.filter(e, e.type == "support.contact" && e.data.topic == "invoice").size() > 0`, true, true, 0, nil},
		{`events_since.exists(e, e.subject == event.subject)`, true, true, 0, nil},
		{`events_before("support.contact", "7d").size() > 0`, false, false, 7 * 24 * time.Hour, []string{"support.contact"}},
		{`events_before("a.x", "2d").size() > 0 || events_before("b.y", duration("72h")).exists(e, e.data.n > 1)`, false, false, 72 * time.Hour, []string{"a.x", "b.y"}},
		{`events_before(event.type, "1d").size() > 0`, false, false, 24 * time.Hour, nil},
		{`events_before("a.x", "30d").size() > 0 && "b.y" in events_since`, true, false, 30 * 24 * time.Hour, []string{"a.x"}},
	}
	for _, c := range cases {
		st, err := skipStep(t, c.expr)
		if err != nil {
			t.Fatalf("%s: %v", c.expr, err)
		}
		window, types := st.SkipEventsBefore()
		if st.SkipReadsEventsSince() != c.since || st.SkipReadsEventData() != c.data || window != c.window || !slices.Equal(types, c.types) {
			t.Errorf("%s: since %v, data %v, before %v %q; want %v, %v, %v %q", c.expr,
				st.SkipReadsEventsSince(), st.SkipReadsEventData(), window, types, c.since, c.data, c.window, c.types)
		}
	}
}

func TestSkipHistoryErrors(t *testing.T) {
	t.Parallel()
	const want = `the window must be a quoted duration such as "7d" or "36h", at most 30d`
	for expr, msg := range map[string]string{
		`events_before("a.x", "31d").size() > 0`:                 want + ", got 31d",
		`events_before("a.x", "0").size() > 0`:                   want + ", got 0s",
		`events_before("a.x", "7 days").size() > 0`:              want + `: bad duration "7 days"`,
		`events_before("a.x", event.data.window).size() > 0`:     want,
		`events_before("a.x", duration("1000h")).size() > 0`:     want + ", got 1000h0m0s",
		`events_before("a.x", 7).size() > 0`:                     want,
		`events_since.exists(t, t == "contact.inbound")`:         `compare e.type, as in events_since.exists(e, e.type == "order.delivered")`,
		`events_since.filter(e, e.type == "a.b").size() > "two"`: "found no matching overload",
	} {
		_, err := skipStep(t, expr)
		if err == nil || !strings.Contains(err.Error(), msg) || !strings.Contains(err.Error(), "f.yaml:8: steps[0].skip_if: does not compile") {
			t.Errorf("%s: err = %v, want one holding %q", expr, err, msg)
		}
	}
}

func TestSkipSeesHistory(t *testing.T) {
	t.Parallel()
	trigger := &Event{ID: "e0", Type: "order.shipped", CustomerID: "c1", Subject: "ord_1", OccurredAt: shippedAt}
	ev := func(id, typ string, at time.Duration, data map[string]any) *Event {
		return &Event{ID: id, Type: typ, CustomerID: "c1", Subject: "ord_1", OccurredAt: shippedAt.Add(at), Data: data}
	}
	since := []*Event{
		ev("e1", "support.contact", time.Hour, map[string]any{"topic": "delivery"}),
		ev("e2", "support.contact", 2*time.Hour, map[string]any{"topic": "invoice"}),
		ev("e3", "order.delivered", 3*time.Hour, nil),
	}
	before := []*Event{ // newest first
		ev("b1", "support.contact", -2*24*time.Hour, map[string]any{"topic": "invoice", "minutes": 12}),
		ev("b2", "support.contact", -8*24*time.Hour, map[string]any{"topic": "invoice"}),
		ev("b3", "complaint.filed", -24*time.Hour, nil),
	}
	vars := SkipVars{Event: trigger, Now: shippedAt.Add(4 * time.Hour), EventsSince: []string{"support.contact", "support.contact", "order.delivered"},
		Since: since, Before: before}
	for expr, want := range map[string]bool{
		`events_since.filter(e, e.type == "support.contact" && e.data.topic == "invoice").size() == 1`:         true,
		`events_since.exists(e, e.type == "support.contact" && has(e.data.topic) && e.data.topic == "refund")`: false,
		`"order.delivered" in events_since`:                                             true,
		`"order.returned" in events_since`:                                              false,
		`size(events_since) == 3 && events_since.size() == 3`:                           true,
		`events_since[0].id == "e1" && events_since[2].occurred_at > event.occurred_at`: true,
		`events_since.all(e, e.subject == event.subject)`:                               true,
		`events_before("support.contact", "7d").size() == 1`:                            true,
		`events_before("support.contact", "9d").size() == 2`:                            true,
		`events_before("support.contact", "7d")[0].data.minutes > 10`:                   true,
		`events_before("complaint.filed", duration("12h")).size() == 0`:                 true,
		`events_before(event.type, "30d").size() == 0`:                                  true,
		// A variable named like the filter's own does not confuse it.
		`events_since.exists(e, events_before(e.type, "7d").size() > 0)`: true,
	} {
		st, err := skipStep(t, expr)
		if err != nil {
			t.Fatalf("%s: %v", expr, err)
		}
		got, err := st.Skip(vars)
		if err != nil || got != want {
			t.Errorf("%s = %v (%v), want %v", expr, got, err, want)
		}
	}

	// With nothing read, the lists are empty, not missing.
	st, _ := skipStep(t, `size(events_since) == 0 && events_since.size() == 0 && events_before("a.b", "1d").size() == 0`)
	if got, err := st.Skip(SkipVars{Event: trigger, Now: shippedAt}); err != nil || !got {
		t.Errorf("empty history: %v, %v", got, err)
	}
}
