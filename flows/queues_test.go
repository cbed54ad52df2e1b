package flows

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

func TestQueuesInvalid(t *testing.T) {
	tests := map[string]string{
		"bad_name":                    `:1: Retention Team: bad queue name "Retention Team": use up to 100 lower-case letters, digits, '-' and '_'`,
		"unknown_key":                 ":2: retention.colour: unknown field",
		"not_mapping":                 ":1: retention: must be a mapping",
		"duplicate_queue":             ":3: retention: given twice (first at line 1)",
		"bad_timezone":                `:2: retention.timezone: load time zone "Mars/Olympus": unknown time zone Mars/Olympus`,
		"hours_without_timezone":      ":2: retention.timezone: required with hours or holidays",
		"bad_hours_days":              `:4: retention.hours.mon-fry: bad days "mon-fry": unknown day "fry" (want mon, tue, wed, thu, fri, sat, sun, ranges like mon-fri, or daily)`,
		"bad_hours":                   `:4: retention.hours.mon-fri: bad hours "13-17": want HH:MM-HH:MM, from 00:00 to 24:00`,
		"empty_hours":                 ":3: retention.hours: give at least one day (leave hours out for a queue that is always open)",
		"bad_holiday":                 `:5: retention.holidays[1]: bad date "2026-13-01": want YYYY-MM-DD`,
		"duplicate_holiday":           ":6: retention.holidays[2]: duplicate holiday 2026-12-25 (first at line 4)",
		"bad_max_attempts":            `:2: retention.max_attempts: must be a whole number from 1 to 1000, got "0"`,
		"retry_declined":              ":4: retention.retry.declined: declined ends the callback; only no_answer and voicemail are retried",
		"retry_bad_duration":          `:3: retention.retry.voicemail: bad duration "4 hours": unit must be m, h or d`,
		"bad_deadline":                ":2: retention.deadline: must be more than 0",
		"lease_too_long":              ":2: retention.lease: at most 24h",
		"on_exhausted_without_event":  ":2: retention.on_exhausted.event: required",
		"on_exhausted_bad_event":      `:3: retention.on_exhausted.event: bad event type "Callback Exhausted": want lower-case dotted words like subscription.created`,
		"taskrouter_bad_sid":          `:3: retention.taskrouter.workspace_sid: "WS123" is not a workspace SID (WS followed by 32 hexadecimal digits)`,
		"taskrouter_without_workflow": ":3: retention.taskrouter.workflow_sid: required",
	}
	dirs, _ := filepath.Glob("testdata/queues/*")
	if len(dirs) != len(tests) {
		t.Errorf("%d folders, %d cases", len(dirs), len(tests))
	}
	for _, dir := range dirs {
		name := filepath.Base(dir)
		t.Run(name, func(t *testing.T) {
			want, ok := tests[name]
			if !ok {
				t.Fatalf("no expected error for %s", dir)
			}
			file := filepath.Join(dir, QueuesFile)
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			_, err = Parse(file, data, testTemplates)
			if err == nil || err.Error() != file+want {
				t.Errorf("Parse error:\n got %v\nwant %s", err, file+want)
			}
			var errs Errors
			if err != nil && !errors.As(err, &errs) {
				t.Errorf("error %T is not Errors", err)
			}
		})
	}
}

func TestQueuesUndefined(t *testing.T) {
	_, err := LoadDir("testdata/queues-undefined", testTemplates)
	want := `testdata/queues-undefined/flows.yaml:14: steps[1].queue: undefined queue "sales" (queues.yaml defines: billing, retention)`
	if err == nil || err.Error() != want {
		t.Fatalf("LoadDir error:\n got %v\nwant %s", err, want)
	}
}

func TestQueuesMissingFileAllowsAnyQueue(t *testing.T) {
	s, err := LoadDir("testdata/valid", testTemplates)
	if err != nil {
		t.Fatal(err)
	}
	if qs := s.Queues(); qs != nil {
		t.Errorf("Queues = %v, want nil without queues.yaml", qs)
	}
	q, ok := s.Queue("whatever")
	if !ok || q.Name != "whatever" || q.MaxAttempts != DefaultMaxAttempts || q.Deadline != 0 || q.Lease != DefaultLease || q.OnExhausted != "" {
		t.Fatalf("Queue = %+v, %v; want the default", q, ok)
	}
	now := time.Date(2026, 12, 25, 3, 0, 0, 0, time.UTC)
	if !q.Open(now) || !q.Next(now).Equal(now) || !q.Close(now).IsZero() {
		t.Errorf("default queue: open %v next %v close %v; want always open", q.Open(now), q.Next(now), q.Close(now))
	}
	if q.RetryAfter(OutcomeNoAnswer) != DefaultRetry || q.HoursText() != "always" {
		t.Errorf("retry %v hours %q", q.RetryAfter(OutcomeNoAnswer), q.HoursText())
	}
}

func TestQueuesValid(t *testing.T) {
	s, err := LoadDir("testdata/queues-valid", testTemplates)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, q := range s.Queues() {
		names = append(names, q.Name)
	}
	if !slices.Equal(names, []string{"night-shift", "retention"}) {
		t.Fatalf("queues = %v", names)
	}
	if _, ok := s.Queue("sales"); ok {
		t.Error("an undefined queue is ok")
	}
	q, ok := s.Queue("retention")
	if !ok {
		t.Fatal("retention not defined")
	}
	if q.Timezone != "Europe/Amsterdam" || q.Location.String() != "Europe/Amsterdam" || q.MaxAttempts != 4 ||
		q.Deadline != 72*time.Hour || q.Lease != 20*time.Minute || q.OnExhausted != "callback.exhausted" ||
		q.Description != "Day-2 reassurance calls." || q.Line != 1 {
		t.Errorf("retention = %+v", q)
	}
	if q.RetryAfter(OutcomeNoAnswer) != 90*time.Minute || q.RetryAfter(OutcomeVoicemail) != 4*time.Hour {
		t.Errorf("retry = %v", q.Retry)
	}
	if !slices.Equal(q.Holidays, []string{"2026-12-25", "2026-12-26"}) {
		t.Errorf("holidays = %v", q.Holidays)
	}
	if got, want := q.HoursText(), "mon-fri 09:00-12:30, mon-fri 13:30-17:00, sat 10:00-14:00"; got != want {
		t.Errorf("hours = %q, want %q", got, want)
	}
	tr := TaskRouter{WorkspaceSID: "WS0123456789abcdef0123456789abcdef", WorkflowSID: "WW0123456789abcdef0123456789abcdef", TaskChannel: "voice"}
	if q.TaskRouter == nil || *q.TaskRouter != tr {
		t.Errorf("taskrouter = %+v", q.TaskRouter)
	}

	ams := q.Location
	at := func(s string) time.Time {
		t.Helper()
		v, err := time.ParseInLocation("2006-01-02 15:04", s, ams)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		at, next, close string
	}{
		{"2026-11-24 10:00", "2026-11-24 10:00", "2026-11-24 12:30"}, // Tuesday morning
		{"2026-11-24 12:45", "2026-11-24 13:30", ""},                 // lunch
		{"2026-11-24 08:59", "2026-11-24 09:00", ""},
		{"2026-11-27 17:00", "2026-11-28 10:00", ""},                 // Friday evening → Saturday
		{"2026-11-28 13:00", "2026-11-28 13:00", "2026-11-28 14:00"}, // Saturday
		{"2026-11-28 14:30", "2026-11-30 09:00", ""},                 // → Monday
		{"2026-12-24 16:00", "2026-12-24 16:00", "2026-12-24 17:00"},
		{"2026-12-24 17:00", "2026-12-28 09:00", ""}, // Christmas and Boxing Day are holidays
		{"2026-12-25 11:00", "2026-12-28 09:00", ""},
		{"2026-03-29 09:30", "2026-03-30 09:00", ""}, // Sunday of the DST change
	}
	for _, tc := range tests {
		now := at(tc.at)
		next := q.Next(now)
		if !next.Equal(at(tc.next)) {
			t.Errorf("Next(%s) = %s, want %s", tc.at, next.In(ams).Format("2006-01-02 15:04"), tc.next)
		}
		open := tc.at == tc.next
		if q.Open(now) != open {
			t.Errorf("Open(%s) = %v, want %v", tc.at, !open, open)
		}
		want := now
		if tc.close != "" {
			want = at(tc.close)
		}
		if got := q.Close(now); !got.Equal(want) {
			t.Errorf("Close(%s) = %s, want %s", tc.at, got.In(ams).Format("2006-01-02 15:04"), want.In(ams).Format("2006-01-02 15:04"))
		}
	}
	if !q.Holiday(at("2026-12-26 23:59")) || q.Holiday(at("2026-12-27 00:00")) {
		t.Error("Holiday is wrong around the end of Boxing Day")
	}

	// A night shift runs past midnight in its own zone.
	night, _ := s.Queue("night-shift")
	ny := night.Location
	t3 := time.Date(2026, 11, 24, 3, 0, 0, 0, ny)
	if !night.Open(t3) || !night.Close(t3).Equal(time.Date(2026, 11, 24, 6, 0, 0, 0, ny)) {
		t.Errorf("night shift at 03:00: open %v, close %v", night.Open(t3), night.Close(t3))
	}
	if got := night.Next(time.Date(2026, 11, 24, 12, 0, 0, 0, ny)); !got.Equal(time.Date(2026, 11, 24, 22, 0, 0, 0, ny)) {
		t.Errorf("night shift Next at noon = %v", got)
	}
}

func TestQueuesHolidayCloseAlwaysOpen(t *testing.T) {
	data := []byte("support:\n  timezone: Europe/Amsterdam\n  holidays: [2026-12-25]\n")
	s, err := Parse(QueuesFile, data, testTemplates)
	if err != nil {
		t.Fatal(err)
	}
	q, _ := s.Queue("support")
	ams := q.Location
	now := time.Date(2026, 12, 20, 12, 0, 0, 0, ams)
	if got, want := q.Close(now), time.Date(2026, 12, 25, 0, 0, 0, 0, ams); !got.Equal(want) {
		t.Errorf("Close = %v, want the start of the holiday %v", got, want)
	}
	if got, want := q.Next(time.Date(2026, 12, 25, 8, 0, 0, 0, ams)), time.Date(2026, 12, 26, 0, 0, 0, 0, ams); !got.Equal(want) {
		t.Errorf("Next on the holiday = %v, want %v", got, want)
	}
}

func TestQueuesClassics(t *testing.T) {
	s, err := LoadDir("classics", nil)
	if err != nil {
		t.Fatal(err)
	}
	q, ok := s.Queue("retention")
	if !ok {
		t.Fatal("the classics define no retention queue")
	}
	if q.Timezone != "Europe/Amsterdam" || q.HoursText() != "mon-fri 09:00-17:00" || q.MaxAttempts != 3 ||
		q.RetryAfter(OutcomeNoAnswer) != 2*time.Hour || q.RetryAfter(OutcomeVoicemail) != 4*time.Hour ||
		q.Deadline != 72*time.Hour || q.OnExhausted != "callback.exhausted" {
		t.Errorf("retention = %+v", q)
	}
	for _, day := range []string{"2026-04-27", "2026-12-25", "2027-05-06", "2027-12-26"} {
		if !slices.Contains(q.Holidays, day) {
			t.Errorf("holidays miss %s", day)
		}
	}
	// Koningsdag 2026 is a Monday: the queue opens on Tuesday.
	ams := q.Location
	if got, want := q.Next(time.Date(2026, 4, 27, 10, 0, 0, 0, ams)), time.Date(2026, 4, 28, 9, 0, 0, 0, ams); !got.Equal(want) {
		t.Errorf("Next on Koningsdag = %v, want %v", got, want)
	}
	// billing takes retention's hours and holidays, with fewer attempts.
	b, ok := s.Queue("billing")
	if !ok {
		t.Fatal("the classics define no billing queue")
	}
	if b.Timezone != q.Timezone || b.HoursText() != q.HoursText() || !slices.Equal(b.Holidays, q.Holidays) ||
		b.MaxAttempts != 2 || b.Deadline != q.Deadline || b.OnExhausted != q.OnExhausted || b.Description == q.Description {
		t.Errorf("billing = %+v", b)
	}
}

func TestParseWindow(t *testing.T) {
	for _, spec := range []string{"mon-fri 09:00-17:00", "daily 22:00-02:00", "sat,sun", "daily 00:00-24:00", "mon,wed,fri 08:30-12:00"} {
		w, err := ParseWindow(spec)
		if err != nil {
			t.Errorf("ParseWindow(%q): %v", spec, err)
			continue
		}
		if w.Spec != spec {
			t.Errorf("ParseWindow(%q).Spec = %q", spec, w.Spec)
		}
	}
	w, _ := ParseWindow("mon-fri 09:00-17:00")
	want := Window{Days: [7]bool{false, true, true, true, true, true, false}, Start: 9 * 60, End: 17 * 60, Spec: "mon-fri 09:00-17:00"}
	if *w != want {
		t.Errorf("window = %+v, want %+v", *w, want)
	}
	for _, bad := range []string{"", "weekdays 09:00-17:00", "mon-fri 9-17"} {
		if _, err := ParseWindow(bad); err == nil {
			t.Errorf("ParseWindow(%q): no error", bad)
		}
	}
}

// FuzzParseQueues checks that loading queues.yaml never panics and that
// every queue it accepts answers Next with an instant no earlier than asked.
func FuzzParseQueues(f *testing.F) {
	files, _ := filepath.Glob("testdata/queues*/*/queues.yaml")
	more, _ := filepath.Glob("testdata/queues-valid/queues.yaml")
	for _, file := range append(files, append(more, "classics/queues.yaml")...) {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	now := time.Date(2026, 3, 29, 1, 30, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse(QueuesFile, data, testTemplates)
		if err != nil {
			if _, ok := err.(Errors); !ok {
				t.Fatalf("error %T is not Errors: %v", err, err)
			}
			return
		}
		for _, q := range s.Queues() {
			if n := q.Next(now); !n.IsZero() && n.Before(now) {
				t.Fatalf("queue %s: Next = %v before %v", q.Name, n, now)
			}
			_ = q.Close(now)
		}
	})
}
