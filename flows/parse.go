package flows

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// parseAfter parses a delay such as "2d", "36h", "1d6h" or "90m": numbers
// with units d (calendar days), h and m, in that order, each at most once.
// "0" is no delay.
func parseAfter(s string) (days int, clock time.Duration, err error) {
	bad := func(format string, args ...any) (int, time.Duration, error) {
		return 0, 0, fmt.Errorf("bad duration %q: %s", s, fmt.Sprintf(format, args...))
	}
	text := strings.TrimSpace(s)
	switch text {
	case "":
		return bad("empty")
	case "0":
		return 0, 0, nil
	}
	if text[0] == '-' {
		return bad("must not be negative")
	}
	const order = "dhm"
	last := -1
	for text != "" {
		i := 0
		for i < len(text) && text[i] >= '0' && text[i] <= '9' {
			i++
		}
		if i == 0 {
			return bad("number missing before %q", text[:1])
		}
		if i == len(text) {
			return bad("unit missing after %s (m, h or d)", text)
		}
		if i > 6 {
			return bad("number too large")
		}
		num, _ := strconv.Atoi(text[:i])
		unit := strings.IndexByte(order, text[i])
		if unit < 0 {
			return bad("unit must be m, h or d")
		}
		if unit <= last {
			return bad("units must come in the order d, h, m, each at most once")
		}
		last = unit
		switch order[unit] {
		case 'd':
			days = num
		case 'h':
			clock += time.Duration(num) * time.Hour
		case 'm':
			clock += time.Duration(num) * time.Minute
		}
		text = text[i+1:]
	}
	if time.Duration(days)*24*time.Hour+clock > maxAfter {
		return bad("more than %dd", int(maxAfter/(24*time.Hour)))
	}
	return days, clock, nil
}

// maxAfter is the longest delay a step may have.
const maxAfter = 3660 * 24 * time.Hour

// parseClock parses "HH:MM" into minutes since midnight. allow24 admits
// "24:00", the end of the day.
func parseClock(s string, allow24 bool) (int, error) {
	want := "want HH:MM between 00:00 and 23:59"
	if allow24 {
		want = "want HH:MM between 00:00 and 24:00"
	}
	bad := fmt.Errorf("bad time %q: %s", s, want)
	if len(s) != 5 || s[2] != ':' {
		return 0, bad
	}
	for _, i := range []int{0, 1, 3, 4} {
		if s[i] < '0' || s[i] > '9' {
			return 0, bad
		}
	}
	h := int(s[0]-'0')*10 + int(s[1]-'0')
	m := int(s[3]-'0')*10 + int(s[4]-'0')
	switch {
	case allow24 && h == 24 && m == 0:
		return 24 * 60, nil
	case h > 23 || m > 59:
		return 0, bad
	}
	return h*60 + m, nil
}

// parseHours parses window hours "HH:MM-HH:MM". The end may be 24:00; an
// end before the start runs past midnight.
func parseHours(s string) (int, int, error) {
	text := strings.TrimSpace(s)
	from, to, ok := strings.Cut(text, "-")
	if !ok {
		return 0, 0, fmt.Errorf("bad hours %q: want HH:MM-HH:MM, from 00:00 to 24:00", s)
	}
	from, to = strings.TrimSpace(from), strings.TrimSpace(to)
	start, err1 := parseClock(from, false)
	end, err2 := parseClock(to, true)
	if err1 != nil || err2 != nil {
		return 0, 0, fmt.Errorf("bad hours %q: want HH:MM-HH:MM, from 00:00 to 24:00", s)
	}
	if start == end {
		return 0, 0, fmt.Errorf("bad hours %q: the window is never open (use 00:00-24:00 for all day)", s)
	}
	return start, end, nil
}

var dayNames = []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// parseDays parses window days: "daily", or a comma-separated list of days
// and ranges such as "mon-fri", "sat,sun" or "mon,wed,fri". A range may wrap
// around the week ("fri-mon").
func parseDays(s string) ([7]bool, error) {
	var days [7]bool
	text := strings.TrimSpace(s)
	if text == "" {
		return days, fmt.Errorf("bad days %q: empty", s)
	}
	if text == "daily" {
		return [7]bool{true, true, true, true, true, true, true}, nil
	}
	day := func(name string) (int, error) {
		name = strings.TrimSpace(name)
		if i := slices.Index(dayNames, name); i >= 0 {
			return i, nil
		}
		return 0, fmt.Errorf("bad days %q: unknown day %q (want mon, tue, wed, thu, fri, sat, sun, ranges like mon-fri, or daily)", s, name)
	}
	for part := range strings.SplitSeq(text, ",") {
		from, to, isRange := strings.Cut(part, "-")
		a, err := day(from)
		if err != nil {
			return days, err
		}
		b := a
		if isRange {
			if b, err = day(to); err != nil {
				return days, err
			}
		}
		for i := a; ; i = (i + 1) % 7 {
			days[i] = true
			if i == b {
				break
			}
		}
	}
	return days, nil
}
