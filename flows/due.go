package flows

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Plan is when a step of a run is due, and why.
type Plan struct {
	// At is when to run the step. For a step that is too late it is the
	// computed due time.
	At time.Time
	// Late reports that the due time lies more than the late limit in the
	// past: the step is skipped as "too late".
	Late bool
	// Reason explains every shift, in the customer's local time.
	Reason string
}

// stampLayout formats instants in reasons.
const stampLayout = "2006-01-02 15:04 MST"

func stamp(t time.Time) string { return t.Format(stampLayout) }

// Due computes when s is due for an event that occurred at occurred (for a
// step with from: the anchor that Anchor returns), as seen at now, for a
// customer in loc (nil means UTC). lateLimit is the late limit that applies
// (Flow.StepLateLimit); 0 means DefaultLateLimit.
//
// The rules, in order:
//
//  1. after: AfterDays are calendar days on the customer's wall clock (the
//     same local time, also across a daylight-saving change); AfterClock is
//     elapsed time added afterwards. A step with neither but with After set
//     treats After as elapsed time. before counts the same way backwards.
//  2. at: that local time of day on the calendar day reached in 1.
//  3. window: a due time outside the window moves to its next opening,
//     never earlier.
//  4. A due time before now runs at once when it is at most lateLimit ago
//     (still no earlier than the window's next opening); otherwise the plan
//     is Late.
//
// A local time that does not exist (the spring gap) moves forward by the
// length of the gap; one that occurs twice (autumn) means its first instant.
func (s *Step) Due(occurred, now time.Time, loc *time.Location, lateLimit time.Duration) Plan {
	if loc == nil {
		loc = time.UTC
	}
	if lateLimit <= 0 {
		lateLimit = DefaultLateLimit
	}
	t := occurred.In(loc)
	why := s.fromReason(t)

	days, clock, sign, delay := s.offset()
	note := ""
	if days > 0 {
		y, m, d := t.Date()
		h, mi, sec := t.Clock()
		t, note = wallTime(loc, time.Date(y, m, d+sign*days, h, mi, sec, t.Nanosecond(), time.UTC))
	}
	t = t.Add(time.Duration(sign) * clock).In(loc)
	switch {
	case days > 0 || clock > 0:
		why = append(why, fmt.Sprintf("%s: %s%s", delay, stamp(t), note))
	case s.From == "":
		why = append(why, "at once: "+stamp(t))
	}

	if s.At != "" {
		if mins, err := parseClock(s.At, false); err == nil {
			y, m, d := t.Date()
			t, note = wallTime(loc, time.Date(y, m, d, mins/60, mins%60, 0, 0, time.UTC))
			why = append(why, fmt.Sprintf("at %s: %s%s", s.At, stamp(t), note))
		} else {
			why = append(why, fmt.Sprintf("at %q ignored: %v", s.At, err))
		}
	}

	if w := s.Window; w != nil {
		if next := w.Next(t, loc); !next.Equal(t) {
			t = next
			why = append(why, fmt.Sprintf("outside window %s: moved to next opening %s", w.Spec, stamp(t)))
		}
	}

	p := Plan{At: t}
	if t.Before(now) {
		if now.Sub(t) > lateLimit {
			p.Late = true
			why = append(why, fmt.Sprintf("too late: due %s is more than late_limit %s in the past", stamp(t), lateLimit))
		} else {
			p.At = now.In(loc)
			msg := fmt.Sprintf("due time already passed: runs at once (within late_limit %s)", lateLimit)
			if days == 0 && clock == 0 && s.At == "" && now.Sub(t) < time.Minute {
				msg = "" // a step without delay, handled a moment after its event
			}
			if w := s.Window; w != nil {
				if next := w.Next(p.At, loc); !next.Equal(p.At) {
					p.At = next
					msg = fmt.Sprintf("due time already passed (within late_limit %s) and window %s is closed now: runs at its next opening %s", lateLimit, w.Spec, stamp(next))
				}
			}
			if msg != "" {
				why = append(why, msg)
			}
		}
	}
	p.Reason = strings.Join(why, "; ")
	return p
}

// wallTime returns the instant at which the clocks in loc show the wall time
// naive (whose fields are read as they are; its zone is ignored), with a note
// when that wall time does not exist or exists twice. A wall time in a gap
// moves forward by the length of the gap; an ambiguous one takes its first
// instant.
func wallTime(loc *time.Location, naive time.Time) (time.Time, string) {
	t, gap, twice := resolveWall(loc, naive)
	wall := naive.Format("15:04")
	switch {
	case gap > 0:
		return t, fmt.Sprintf(" (%s does not exist on %s: moved forward by the %s gap)", wall, naive.Format(time.DateOnly), gap)
	case twice:
		return t, fmt.Sprintf(" (%s occurs twice on %s: took the first)", wall, naive.Format(time.DateOnly))
	}
	return t, ""
}

// wallEdge returns the first instant at which the clocks in loc show naive
// or later: for a wall time in a gap, the end of the gap. Window openings
// and closings use it, so a window is open exactly when the local time
// reads inside it.
func wallEdge(loc *time.Location, naive time.Time) time.Time {
	t, gap, _ := resolveWall(loc, naive)
	if gap > 0 {
		start, _ := t.ZoneBounds()
		return start
	}
	return t
}

// resolveWall finds the instant for the wall time naive in loc. For a wall
// time in a gap it returns the instant moved forward by the gap, and the
// gap; for one that occurs twice, the first instant and twice.
func resolveWall(loc *time.Location, naive time.Time) (t time.Time, gap time.Duration, twice bool) {
	y, m, d := naive.Date()
	h, mi, sec := naive.Clock()
	naive = time.Date(y, m, d, h, mi, sec, naive.Nanosecond(), time.UTC)

	// The offsets in force around the wall time. Offsets lie within ±14h,
	// so any instant showing this wall time lies within naive ± 14h.
	var offsets []int
	for _, probe := range []time.Duration{-48 * time.Hour, -14 * time.Hour, 0, 14 * time.Hour, 48 * time.Hour} {
		_, off := naive.Add(probe).In(loc).Zone()
		if !slices.Contains(offsets, off) {
			offsets = append(offsets, off)
		}
	}
	var valid []time.Time
	for _, off := range offsets {
		c := naive.Add(-time.Duration(off) * time.Second).In(loc)
		if _, got := c.Zone(); got == off {
			valid = append(valid, c)
		}
	}
	if len(valid) == 0 {
		// A gap: read the wall time with the offset in force before it
		// (the smallest), which lands after the gap, moved forward by its
		// length.
		before := slices.Min(offsets)
		c := naive.Add(-time.Duration(before) * time.Second).In(loc)
		_, after := c.Zone()
		return c, time.Duration(after-before) * time.Second, false
	}
	first := valid[0]
	for _, c := range valid[1:] {
		if c.Before(first) {
			first = c
		}
	}
	return first, 0, len(valid) > 1
}

// Open reports whether the window is open at t in loc.
func (w *Window) Open(t time.Time, loc *time.Location) bool {
	return w.Next(t, loc).Equal(t)
}

// Next returns t when the window is open at t in loc, and otherwise the
// start of its next opening. A window without days opens every day; one
// whose End equals its Start is open all day.
func (w *Window) Next(t time.Time, loc *time.Location) time.Time {
	_, end, next := w.span(t, loc)
	if !end.IsZero() || next.IsZero() {
		return t
	}
	return next
}

// Close returns the end of the opening that t falls in, or t when the
// window is closed at t.
func (w *Window) Close(t time.Time, loc *time.Location) time.Time {
	_, end, _ := w.span(t, loc)
	if end.IsZero() {
		return t
	}
	return end
}

// span returns the opening t falls in (zero times when none) and the start
// of the next opening after t.
func (w *Window) span(t time.Time, loc *time.Location) (start, end, next time.Time) {
	if loc == nil {
		loc = time.UTC
	}
	t = t.In(loc)
	days := w.Days
	if days == [7]bool{} {
		days = [7]bool{true, true, true, true, true, true, true}
	}
	y, m, d := t.Date()
	// An opening that started yesterday may still run; the next one is at
	// most a week away. Openings that vanish in a clock change are empty.
	for i := -1; i <= 8; i++ {
		day := time.Date(y, m, d+i, 0, 0, 0, 0, time.UTC)
		if !days[day.Weekday()] {
			continue
		}
		s := wallEdge(loc, day.Add(time.Duration(w.Start)*time.Minute))
		endMin := w.End
		if w.End <= w.Start {
			endMin += 24 * 60
		}
		e := wallEdge(loc, day.Add(time.Duration(endMin)*time.Minute))
		if !s.Before(e) {
			continue
		}
		if !t.Before(s) && t.Before(e) && (end.IsZero() || e.After(end)) {
			start, end = s, e
		}
		if s.After(t) && (next.IsZero() || s.Before(next)) {
			next = s
		}
	}
	return start, end, next
}
