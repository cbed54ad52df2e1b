package flows

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

func mustLoc(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// at returns the instant of the RFC 3339 time s.
func at(t testing.TB, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func mustWindow(t testing.TB, days, hours string) *Window {
	t.Helper()
	w := &windowLoad{}
	if days != "" {
		d, err := parseDays(days)
		if err != nil {
			t.Fatal(err)
		}
		w.days, w.dayset, w.hasDays = days, d, true
	}
	if hours != "" {
		s, e, err := parseHours(hours)
		if err != nil {
			t.Fatal(err)
		}
		w.hours, w.start, w.end, w.hasHours = hours, s, e, true
	}
	return w.window()
}

func mustAfter(t testing.TB, s string) (int, time.Duration) {
	t.Helper()
	if s == "" {
		return 0, 0
	}
	d, c, err := parseAfter(s)
	if err != nil {
		t.Fatal(err)
	}
	return d, c
}

func TestDue(t *testing.T) {
	type window struct{ days, hours string }
	tests := []struct {
		name     string
		zone     string
		after    string
		at       string
		window   *window
		occurred string
		now      string // default: occurred
		late     time.Duration
		want     string // due instant, RFC 3339
		wantLate bool
		reason   string // exact reason, when given
		contains string // part of the reason, when given
	}{
		{
			name: "no delay", zone: "Europe/Amsterdam",
			occurred: "2026-11-23T09:12:00Z", want: "2026-11-23T09:12:00Z",
			reason: "at once: 2026-11-23 10:12 CET",
		},
		{
			name: "after days: plain", zone: "Europe/Amsterdam", after: "2d",
			occurred: "2026-11-23T09:12:00Z", want: "2026-11-25T09:12:00Z",
			reason: "after 2d: 2026-11-25 10:12 CET",
		},
		{
			name: "after days across the spring change keep the wall time", zone: "Europe/Amsterdam", after: "2d",
			occurred: "2026-03-27T10:00:00+01:00", want: "2026-03-29T10:00:00+02:00",
			reason: "after 2d: 2026-03-29 10:00 CEST",
		},
		{
			name: "after days across the autumn change keep the wall time", zone: "Europe/Amsterdam", after: "2d",
			occurred: "2026-10-23T10:00:00+02:00", want: "2026-10-25T10:00:00+01:00",
			reason: "after 2d: 2026-10-25 10:00 CET",
		},
		{
			name: "after days into the spring gap move forward by the gap", zone: "Europe/Amsterdam", after: "1d",
			occurred: "2026-03-28T02:30:00+01:00", want: "2026-03-29T03:30:00+02:00",
			reason: "after 1d: 2026-03-29 03:30 CEST (02:30 does not exist on 2026-03-29: moved forward by the 1h0m0s gap)",
		},
		{
			name: "after days into the autumn overlap take the first instant", zone: "Europe/Amsterdam", after: "1d",
			occurred: "2026-10-24T02:30:00+02:00", want: "2026-10-25T02:30:00+02:00",
			reason: "after 1d: 2026-10-25 02:30 CEST (02:30 occurs twice on 2026-10-25: took the first)",
		},
		{
			name: "hours after the days are elapsed time", zone: "Europe/Amsterdam", after: "1d12h",
			occurred: "2026-03-28T10:00:00+01:00", want: "2026-03-29T22:00:00+02:00",
		},
		{
			name: "hours alone are elapsed time across the spring change", zone: "Europe/Amsterdam", after: "36h",
			occurred: "2026-03-28T10:00:00+01:00", want: "2026-03-29T23:00:00+02:00",
			reason: "after 36h: 2026-03-29 23:00 CEST",
		},
		{
			name: "hours alone are elapsed time across the autumn change", zone: "Europe/Amsterdam", after: "24h",
			occurred: "2026-10-24T10:00:00+02:00", want: "2026-10-25T09:00:00+01:00",
		},
		{
			name: "at on the day reached", zone: "Europe/Amsterdam", after: "4d", at: "10:00",
			occurred: "2026-11-23T09:12:00Z", want: "2026-11-27T10:00:00+01:00",
			reason: "after 4d: 2026-11-27 10:12 CET; at 10:00: 2026-11-27 10:00 CET",
		},
		{
			name: "at on the spring change day", zone: "Europe/Amsterdam", after: "1d", at: "10:00",
			occurred: "2026-03-28T12:00:00+01:00", want: "2026-03-29T10:00:00+02:00",
		},
		{
			name: "at in the spring gap", zone: "Europe/Amsterdam", after: "1d", at: "02:30",
			occurred: "2026-03-28T12:00:00+01:00", want: "2026-03-29T03:30:00+02:00",
			contains: "at 02:30: 2026-03-29 03:30 CEST (02:30 does not exist on 2026-03-29: moved forward by the 1h0m0s gap)",
		},
		{
			name: "at in the autumn overlap", zone: "Europe/Amsterdam", after: "1d", at: "02:30",
			occurred: "2026-10-24T12:00:00+02:00", want: "2026-10-25T02:30:00+02:00",
			contains: "at 02:30: 2026-10-25 02:30 CEST (02:30 occurs twice on 2026-10-25: took the first)",
		},
		{
			name: "at after the autumn overlap", zone: "Europe/Amsterdam", after: "1d", at: "10:00",
			occurred: "2026-10-24T12:00:00+02:00", want: "2026-10-25T10:00:00+01:00",
		},
		{
			name: "at already passed on the day runs at once", zone: "Europe/Amsterdam", at: "10:00",
			occurred: "2026-11-23T11:00:00+01:00", want: "2026-11-23T11:00:00+01:00",
			reason: "at once: 2026-11-23 11:00 CET; at 10:00: 2026-11-23 10:00 CET; due time already passed: runs at once (within late_limit 24h0m0s)",
		},
		{
			name: "event handled late, within the late limit", zone: "Europe/Amsterdam", after: "2d",
			occurred: "2026-11-20T10:00:00+01:00", now: "2026-11-23T09:00:00+01:00", late: 48 * time.Hour,
			want:   "2026-11-23T09:00:00+01:00",
			reason: "after 2d: 2026-11-22 10:00 CET; due time already passed: runs at once (within late_limit 48h0m0s)",
		},
		{
			name: "too late", zone: "Europe/Amsterdam", after: "2d", at: "10:00",
			occurred: "2026-11-18T08:00:00+01:00", now: "2026-11-23T09:00:00+01:00",
			want: "2026-11-20T10:00:00+01:00", wantLate: true,
			reason: "after 2d: 2026-11-20 08:00 CET; at 10:00: 2026-11-20 10:00 CET; too late: due 2026-11-20 10:00 CET is more than late_limit 24h0m0s in the past",
		},
		{
			name: "exactly the late limit is still in time", zone: "UTC", after: "1d",
			occurred: "2026-11-20T10:00:00Z", now: "2026-11-22T10:00:00Z",
			want: "2026-11-22T10:00:00Z",
		},
		{
			name: "a minute past the late limit is too late", zone: "UTC", after: "1d",
			occurred: "2026-11-20T10:00:00Z", now: "2026-11-22T10:01:00Z",
			want: "2026-11-21T10:00:00Z", wantLate: true,
		},
		{
			name: "window open: no shift", zone: "Europe/Amsterdam", after: "2d", window: &window{"mon-fri", "09:00-17:00"},
			occurred: "2026-11-23T09:12:00Z", want: "2026-11-25T10:12:00+01:00",
			reason: "after 2d: 2026-11-25 10:12 CET",
		},
		{
			name: "window closed in the evening: next morning", zone: "Europe/Amsterdam", after: "2d", window: &window{"mon-fri", "09:00-17:00"},
			occurred: "2026-11-23T18:12:00+01:00", want: "2026-11-26T09:00:00+01:00",
			reason: "after 2d: 2026-11-25 18:12 CET; outside window mon-fri 09:00-17:00: moved to next opening 2026-11-26 09:00 CET",
		},
		{
			name: "window end is exclusive", zone: "Europe/Amsterdam", window: &window{"mon-fri", "09:00-17:00"},
			occurred: "2026-11-23T17:00:00+01:00", want: "2026-11-24T09:00:00+01:00",
		},
		{
			name: "window start is inclusive", zone: "Europe/Amsterdam", window: &window{"mon-fri", "09:00-17:00"},
			occurred: "2026-11-23T09:00:00+01:00", want: "2026-11-23T09:00:00+01:00",
		},
		{
			name: "window closed at the weekend: monday", zone: "Europe/Amsterdam", after: "2d", window: &window{"mon-fri", "09:00-17:00"},
			occurred: "2026-11-26T16:30:00+01:00", want: "2026-11-30T09:00:00+01:00",
		},
		{
			name: "window days only", zone: "Europe/Amsterdam", window: &window{"sat,sun", ""},
			occurred: "2026-11-27T23:59:00+01:00", want: "2026-11-28T00:00:00+01:00",
			reason: "at once: 2026-11-27 23:59 CET; outside window sat,sun: moved to next opening 2026-11-28 00:00 CET",
		},
		{
			name: "window hours only", zone: "Europe/Amsterdam", window: &window{"", "08:00-21:00"},
			occurred: "2026-11-28T21:30:00+01:00", want: "2026-11-29T08:00:00+01:00",
			contains: "outside window daily 08:00-21:00",
		},
		{
			name: "window closing at midnight: open a minute before", zone: "Europe/Amsterdam", window: &window{"daily", "18:00-24:00"},
			occurred: "2026-11-23T23:59:00+01:00", want: "2026-11-23T23:59:00+01:00",
		},
		{
			name: "window closing at midnight: closed at midnight", zone: "Europe/Amsterdam", window: &window{"daily", "18:00-24:00"},
			occurred: "2026-11-24T00:00:00+01:00", want: "2026-11-24T18:00:00+01:00",
		},
		{
			name: "window past midnight belongs to the day it starts", zone: "Europe/Amsterdam", window: &window{"fri", "22:00-02:00"},
			occurred: "2026-11-28T01:00:00+01:00", want: "2026-11-28T01:00:00+01:00", // a Saturday
		},
		{
			name: "window past midnight: closed at its end", zone: "Europe/Amsterdam", window: &window{"fri", "22:00-02:00"},
			occurred: "2026-11-28T02:00:00+01:00", want: "2026-12-04T22:00:00+01:00",
		},
		{
			name: "window past midnight: not open after a day not in days", zone: "Europe/Amsterdam", window: &window{"fri", "22:00-02:00"},
			occurred: "2026-11-27T01:00:00+01:00", want: "2026-11-27T22:00:00+01:00", // Friday 01:00 follows Thursday
		},
		{
			name: "window opening in the spring gap opens when the gap ends", zone: "Europe/Amsterdam", window: &window{"daily", "02:30-04:00"},
			occurred: "2026-03-29T01:30:00+01:00", want: "2026-03-29T03:00:00+02:00",
			reason: "at once: 2026-03-29 01:30 CET; outside window daily 02:30-04:00: moved to next opening 2026-03-29 03:00 CEST",
		},
		{
			name: "window closing in the spring gap closes when the gap starts", zone: "Europe/Amsterdam", window: &window{"daily", "01:00-02:30"},
			occurred: "2026-03-29T03:00:00+02:00", want: "2026-03-30T01:00:00+02:00",
		},
		{
			name: "window that vanishes in the spring gap: next week", zone: "Europe/Amsterdam", window: &window{"sun", "02:00-03:00"},
			occurred: "2026-03-29T01:30:00+01:00", want: "2026-04-05T02:00:00+02:00",
		},
		{
			name: "window on the autumn change day", zone: "Europe/Amsterdam", after: "1d", window: &window{"mon-sun", "09:00-17:00"},
			occurred: "2026-10-24T07:00:00+02:00", want: "2026-10-25T09:00:00+01:00",
		},
		{
			name: "window in the autumn overlap opens at the first 02:00", zone: "Europe/Amsterdam", window: &window{"sun", "02:00-03:00"},
			occurred: "2026-10-25T01:00:00+02:00", want: "2026-10-25T02:00:00+02:00",
		},
		{
			name: "late within the limit waits for the window", zone: "Europe/Amsterdam", after: "1d", window: &window{"mon-fri", "09:00-17:00"},
			occurred: "2026-11-23T10:00:00+01:00", now: "2026-11-24T20:00:00+01:00",
			want:   "2026-11-25T09:00:00+01:00",
			reason: "after 1d: 2026-11-24 10:00 CET; due time already passed (within late_limit 24h0m0s) and window mon-fri 09:00-17:00 is closed now: runs at its next opening 2026-11-25 09:00 CET",
		},
		{
			name: "New York: after days across the US spring change", zone: "America/New_York", after: "1d",
			occurred: "2026-03-07T09:00:00-05:00", want: "2026-03-08T09:00:00-04:00",
			reason: "after 1d: 2026-03-08 09:00 EDT",
		},
		{
			name: "New York: at in the spring gap", zone: "America/New_York", after: "1d", at: "02:15",
			occurred: "2026-03-07T09:00:00-05:00", want: "2026-03-08T03:15:00-04:00",
		},
		{
			name: "New York: at in the autumn overlap", zone: "America/New_York", after: "1d", at: "01:30",
			occurred: "2026-10-31T12:00:00-04:00", want: "2026-11-01T01:30:00-04:00",
		},
		{
			name: "Kolkata: half-hour offset, at and window", zone: "Asia/Kolkata", after: "2d", at: "09:30", window: &window{"mon-fri", "10:00-18:00"},
			occurred: "2026-11-23T22:00:00+05:30", want: "2026-11-25T10:00:00+05:30",
			reason: "after 2d: 2026-11-25 22:00 IST; at 09:30: 2026-11-25 09:30 IST; outside window mon-fri 10:00-18:00: moved to next opening 2026-11-25 10:00 IST",
		},
		{
			name: "minutes", zone: "UTC", after: "90m",
			occurred: "2026-11-23T10:00:00Z", want: "2026-11-23T11:30:00Z",
			reason: "after 90m: 2026-11-23 11:30 UTC",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			loc := mustLoc(t, tt.zone)
			s := &Step{ID: "s", At: tt.at}
			s.AfterDays, s.AfterClock = mustAfter(t, tt.after)
			s.afterText = tt.after
			if tt.window != nil {
				s.Window = mustWindow(t, tt.window.days, tt.window.hours)
			}
			occurred := at(t, tt.occurred)
			now := occurred
			if tt.now != "" {
				now = at(t, tt.now)
			}
			p := s.Due(occurred, now, loc, tt.late)
			if want := at(t, tt.want); !p.At.Equal(want) {
				t.Errorf("At = %s, want %s (reason: %s)", p.At.In(loc), want.In(loc), p.Reason)
			}
			if p.Late != tt.wantLate {
				t.Errorf("Late = %v, want %v (reason: %s)", p.Late, tt.wantLate, p.Reason)
			}
			if tt.reason != "" && p.Reason != tt.reason {
				t.Errorf("Reason:\n got %s\nwant %s", p.Reason, tt.reason)
			}
			if tt.contains != "" && !strings.Contains(p.Reason, tt.contains) {
				t.Errorf("Reason %q does not contain %q", p.Reason, tt.contains)
			}
			if !p.Late && p.At.Before(now) {
				t.Errorf("At %s is before now %s", p.At, now)
			}
			if s.Window != nil && !p.Late && !s.Window.Open(p.At, loc) {
				t.Errorf("At %s is outside window %s", p.At.In(loc), s.Window.Spec)
			}
		})
	}
}

// TestDueGoDateDiffers guards the reason wallTime exists: time.Date picks
// the later instant of an ambiguous wall time, the promise is the earlier.
func TestDueGoDateDiffers(t *testing.T) {
	ams := mustLoc(t, "Europe/Amsterdam")
	goDate := time.Date(2026, 10, 25, 2, 30, 0, 0, ams)
	ours, _ := wallTime(ams, time.Date(2026, 10, 25, 2, 30, 0, 0, time.UTC))
	if !ours.Before(goDate) {
		t.Errorf("wallTime = %s, want before time.Date's %s", ours, goDate)
	}
}

func TestDueNilLocationIsUTC(t *testing.T) {
	s := &Step{ID: "s", At: "10:00"}
	occurred := at(t, "2026-11-23T08:00:00Z")
	p := s.Due(occurred, occurred, nil, 0)
	if want := at(t, "2026-11-23T10:00:00Z"); !p.At.Equal(want) {
		t.Errorf("At = %s, want %s", p.At, want)
	}
}

func TestDueAfterWithoutDaysIsElapsed(t *testing.T) {
	s := &Step{ID: "s", After: 48 * time.Hour}
	ams := mustLoc(t, "Europe/Amsterdam")
	occurred := at(t, "2026-03-28T10:00:00+01:00")
	p := s.Due(occurred, occurred, ams, 0)
	if want := occurred.Add(48 * time.Hour); !p.At.Equal(want) {
		t.Errorf("At = %s, want %s", p.At, want)
	}
	if !strings.HasPrefix(p.Reason, "after 48h: ") {
		t.Errorf("Reason = %q, want the delay named", p.Reason)
	}
}

func TestStepLateLimit(t *testing.T) {
	s := &Step{ID: "s"}
	f := &Flow{}
	if got := f.StepLateLimit(s); got != DefaultLateLimit {
		t.Errorf("no limits: %s, want %s", got, DefaultLateLimit)
	}
	f.LateLimit = 2 * time.Hour
	if got := f.StepLateLimit(s); got != 2*time.Hour {
		t.Errorf("flow limit: %s, want 2h", got)
	}
	s.LateLimit = 30 * time.Minute
	if got := f.StepLateLimit(s); got != 30*time.Minute {
		t.Errorf("step limit: %s, want 30m", got)
	}
}

// TestWindowNext checks random windows around clock changes against a
// minute-by-minute scan: Next is the first minute the window is open.
func TestWindowNext(t *testing.T) {
	zones := []string{"Europe/Amsterdam", "America/New_York", "Asia/Kolkata", "UTC"}
	r := rand.New(rand.NewPCG(1, 2))
	base := at(t, "2026-03-26T00:00:00Z")
	for i := range 200 {
		loc := mustLoc(t, zones[i%len(zones)])
		w := &Window{Start: r.IntN(48) * 30, End: r.IntN(48)*30 + 30}
		if w.Start == w.End {
			continue
		}
		for d := range w.Days {
			w.Days[d] = r.IntN(3) == 0
		}
		if w.Days == [7]bool{} {
			w.Days[r.IntN(7)] = true
		}
		w.Spec = "random"
		// Around both changes of 2026 in Europe and the US.
		offset := time.Duration(r.IntN(10*24*60)) * time.Minute
		if r.IntN(2) == 0 {
			offset += 213 * 24 * time.Hour
		}
		start := base.Add(offset - 20*24*time.Hour*time.Duration(r.IntN(2)))
		got := w.Next(start, loc)
		want := start
		for !open(w, want.In(loc)) {
			want = want.Add(time.Minute)
			if want.Sub(start) > 8*24*time.Hour {
				t.Fatalf("window %+v at %s: no opening within 8 days", w, start.In(loc))
			}
		}
		if !got.Equal(want) {
			t.Fatalf("window %+v at %s: Next = %s, want the first open minute %s", w, start.In(loc), got.In(loc), want.In(loc))
		}
		if !w.Open(got, loc) {
			t.Fatalf("window %+v at %s: not Open at Next %s", w, start.In(loc), got.In(loc))
		}
	}
}

// open is a plain reading of the window rules for whole minutes of wall
// time: the day's own opening, or the one of the day before that runs past
// midnight. It does not know the gap rule, so it is only asked about instants
// that exist.
func open(w *Window, t time.Time) bool {
	mins := t.Hour()*60 + t.Minute()
	today := t.Weekday()
	yesterday := (today + 6) % 7
	if w.End > w.Start {
		return w.Days[today] && mins >= w.Start && mins < w.End
	}
	return w.Days[today] && mins >= w.Start || w.Days[yesterday] && mins < w.End
}
