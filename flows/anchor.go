package flows

import (
	"fmt"
	"time"

	"github.com/aheadhq/ahead/internal/yamlx"
	"github.com/google/cel-go/cel"
	"gopkg.in/yaml.v3"
)

// A step counts its delay from an anchor: the event's occurred_at, or the
// instant its `from` expression yields, such as the end date of a contract
// or the start of an appointment carried in the event:
//
//	from: event.data.end_date   # a timestamp, an RFC 3339 string or YYYY-MM-DD
//	before: 30d                 # or after: …; days are calendar days
//	at: "10:00"
//
// Due then applies after or before, at, window and the late limit to the
// anchor exactly as it does to occurred_at.

// Anchor returns the instant from which the step's after or before counts
// for ev and the customer c (nil: ev.Customer), whose zone is loc (nil:
// UTC): ev.OccurredAt when the step has no from, else what from yields. A
// date without a time (2026-11-30) is midnight of that day in loc. An
// error means from cannot be evaluated for ev; the step is then not
// planned, and the error says why.
func (s *Step) Anchor(ev *Event, c *Customer, loc *time.Location) (time.Time, error) {
	if s.fromPrg == nil {
		return ev.OccurredAt, nil
	}
	if c == nil {
		c = ev.Customer
	}
	if loc == nil {
		loc = time.UTC
	}
	out, _, err := s.fromPrg.Eval(Vars(ev, c))
	if err != nil {
		return time.Time{}, fmt.Errorf("from %s cannot be evaluated: %w", s.From, err)
	}
	switch v := out.Value().(type) {
	case time.Time:
		return v, nil
	case string:
		t, err := parseAnchor(v, loc)
		if err != nil {
			return time.Time{}, fmt.Errorf("from %s: %w", s.From, err)
		}
		return t, nil
	}
	return time.Time{}, fmt.Errorf("from %s: yields %s, not a date (want a timestamp, 2026-11-30 or an RFC 3339 time)", s.From, out.Type())
}

// parseAnchor reads a date (YYYY-MM-DD: midnight of that day in loc, or the
// first instant after it when midnight falls in a clock change) or an RFC
// 3339 time.
func parseAnchor(v string, loc *time.Location) (time.Time, error) {
	if d, err := time.Parse(time.DateOnly, v); err == nil {
		t, _ := wallTime(loc, d)
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%q is not a date (want 2026-11-30 or an RFC 3339 time)", v)
}

// compileFrom compiles a from expression: it must yield a timestamp or a
// string.
func compileFrom(src string) (cel.Program, error) {
	prg, _, err := compileTyped(celEnv, src, func(t *cel.Type) error {
		for _, ok := range []*cel.Type{cel.TimestampType, cel.StringType, cel.DynType} {
			if t.IsExactType(ok) {
				return nil
			}
		}
		return fmt.Errorf("must be a timestamp or a date string, not %s", t)
	})
	return prg, err
}

// loadFrom loads a step's from.
func loadFrom(d *doc, s *stepLoad, v *yaml.Node, field string) {
	s.From, s.fromPrg = d.expr(v, field, compileFrom, "leave the key out to count from the event's occurred_at")
}

// loadBefore loads a step's before, a duration like after.
func loadBefore(d *doc, s *stepLoad, v *yaml.Node, field string) {
	if days, clock, text, ok := d.delay(v, field); ok {
		s.BeforeDays, s.BeforeClock, s.beforeText = days, clock, text
		s.Before = time.Duration(days)*24*time.Hour + clock
	}
}

// delay loads the duration of an after or before: its calendar days, its
// clock time and the text as written.
func (d *doc) delay(v *yaml.Node, field string) (days int, clock time.Duration, text string, ok bool) {
	text, ok = yamlx.Str(d, v, field)
	if !ok {
		return 0, 0, "", false
	}
	days, clock, err := parseAfter(text)
	if err != nil {
		d.errf(v, field, "%v", err)
		return 0, 0, "", false
	}
	return days, clock, text, true
}

// checkAnchor checks how a step's after, before and from go together.
func (d *doc) checkAnchor(seen map[string]*yaml.Node, path string) {
	before, ok := seen["before"]
	switch {
	case !ok:
	case seen["after"] != nil:
		d.errf(before, path+".before", "give after or before, not both")
	case seen["from"] == nil:
		d.errf(before, path+".before", "needs from: before counts back from a date in the event, e.g. from: event.data.end_date")
	}
}

// offset returns the step's delay as Due applies it: calendar days, then
// elapsed clock time, in direction sign (1 after the anchor, -1 before
// it), and the delay as reasons name it ("after 2d", "before 30d").
func (s *Step) offset() (days int, clock time.Duration, sign int, name string) {
	if s.beforeText != "" || s.Before > 0 || s.BeforeDays > 0 || s.BeforeClock > 0 {
		days, clock = s.BeforeDays, s.BeforeClock
		if days == 0 && clock == 0 {
			clock = s.Before
		}
		text := s.beforeText
		if text == "" {
			text = formatAfter(days, clock)
		}
		return days, clock, -1, "before " + text
	}
	days, clock = s.AfterDays, s.AfterClock
	if days == 0 && clock == 0 && s.After > 0 {
		clock = s.After
	}
	return days, clock, 1, "after " + s.AfterText()
}

// fromReason is the first part of a due time's reason for a step with
// from: the expression and the anchor it gave.
func (s *Step) fromReason(anchor time.Time) []string {
	if s.From == "" {
		return nil
	}
	return []string{fmt.Sprintf("from %s: %s", s.From, stamp(anchor))}
}
