package config

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Duration is a time.Duration written as a Go duration string ("30s",
// "15m", "24h") in YAML and in the environment. Whole days are accepted as
// a leading "d" term ("2d", "1d12h"); a day here is 24 hours.
type Duration time.Duration

// Duration returns d as a time.Duration.
func (d Duration) Duration() time.Duration { return time.Duration(d) }

// String formats d the way time.Duration does ("24h0m0s").
func (d Duration) String() string { return time.Duration(d).String() }

// MarshalText writes d as a duration string, so YAML and JSON show "30s"
// rather than nanoseconds.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText parses a duration string, including whole days.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := ParseDuration(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// ParseDuration parses a Go duration string with an optional leading number
// of whole days: "90s", "24h", "2d", "1d12h", "-1d".
func ParseDuration(s string) (Duration, error) {
	orig := s
	bad := func() (Duration, error) {
		return 0, fmt.Errorf("not a duration: %q (use a number with a unit: 30s, 15m, 24h, 2d)", orig)
	}
	s = strings.TrimSpace(s)
	i := strings.IndexByte(s, 'd')
	if i < 0 {
		v, err := time.ParseDuration(s)
		if err != nil {
			return bad()
		}
		return Duration(v), nil
	}
	neg := false
	days := s[:i]
	if strings.HasPrefix(days, "-") || strings.HasPrefix(days, "+") {
		neg = days[0] == '-'
		days = days[1:]
	}
	if days == "" || strings.ContainsAny(days, "+-") {
		return bad()
	}
	n, err := strconv.ParseUint(days, 10, 64)
	if err != nil {
		return bad()
	}
	rest := s[i+1:]
	var r time.Duration
	if rest != "" {
		if strings.ContainsAny(rest, "+-") {
			return bad()
		}
		r, err = time.ParseDuration(rest)
		if err != nil {
			return bad()
		}
	}
	const day = 24 * time.Hour
	if n > uint64((math.MaxInt64-int64(r))/int64(day)) {
		return bad()
	}
	v := time.Duration(n)*day + r
	if neg {
		v = -v
	}
	return Duration(v), nil
}
