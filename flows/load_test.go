package flows

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// fakeTemplates knows, per template name, the channels it has a variant for.
type fakeTemplates map[string][]string

func (ft fakeTemplates) Check(name, channel string) error {
	chs, ok := ft[name]
	if !ok {
		return fmt.Errorf("template %q not found", name)
	}
	if !slices.Contains(chs, channel) {
		return fmt.Errorf("template %q has no %s variant", name, channel)
	}
	return nil
}

var allChannels = []string{"email", "sms", "whatsapp", "callback", "outbox", "webhook"}

var testTemplates = fakeTemplates{
	"hello":                   allChannels,
	"sms-only":                {"sms"},
	"reassurance-call":        {"callback"},
	"first-invoice-explainer": {"whatsapp", "email"},
	"delivery-apology":        {"sms"},
	"delivery-check-in":       {"email"},
}

func TestParseInvalid(t *testing.T) {
	const unknownChannel = `unknown channel "fax" (known: email, sms, whatsapp, callback, outbox, webhook)`
	tests := map[string]string{
		"unknown_key_flow":        ":2: colour: unknown field",
		"unknown_key_step":        ":8: steps[0].colour: unknown field",
		"unknown_key_window":      ":6: steps[0].window.start: unknown field",
		"unknown_key_trigger":     ":4: trigger.when: unknown field",
		"duplicate_key":           ":7: steps[0].after: given twice (first at line 6)",
		"bad_after_unit":          `:9: steps[1].after: bad duration "2x": unit must be m, h or d`,
		"bad_after_order":         `:6: steps[0].after: bad duration "2h1d": units must come in the order d, h, m, each at most once`,
		"bad_after_unit_missing":  `:6: steps[0].after: bad duration "30": unit missing after 30 (m, h or d)`,
		"bad_after_negative":      `:6: steps[0].after: bad duration "-1d": must not be negative`,
		"bad_at":                  `:7: steps[0].at: bad time "25:00": want HH:MM between 00:00 and 23:59`,
		"bad_window_days":         `:6: steps[0].window.days: bad days "mon-fry": unknown day "fry" (want mon, tue, wed, thu, fri, sat, sun, ranges like mon-fri, or daily)`,
		"bad_window_hours":        `:6: steps[0].window.hours: bad hours "09:00-17": want HH:MM-HH:MM, from 00:00 to 24:00`,
		"window_never_open":       `:6: steps[0].window.hours: bad hours "09:00-09:00": the window is never open (use 00:00-24:00 for all day)`,
		"window_empty":            ":6: steps[0].window: give days, hours or both",
		"unknown_channel":         ":6: steps[0].channel: " + unknownChannel,
		"unknown_channel_in_list": ":6: steps[0].channels[1]: " + unknownChannel,
		"duplicate_channel":       `:6: steps[0].channels[2]: duplicate channel "email"`,
		"empty_channels":          ":6: steps[0].channels: at least one channel required",
		"channel_and_channels":    ":7: steps[0].channels: give channel or channels, not both",
		"no_channel":              ":5: steps[0].channel: required (or channels)",
		"callback_without_queue":  ":5: steps[0].queue: required for the callback channel",
		"queue_without_callback":  ":7: steps[0].queue: only a callback step has a queue",
		"bad_queue":               `:7: steps[0].queue: bad queue name "Retention Team": use up to 100 lower-case letters, digits, '-' and '_'`,
		"unknown_phase":           `:2: phase: unknown phase "loyalty" (want awareness, interest, consideration, purchase, retention, advocacy)`,
		"unknown_purpose":         `:2: purpose: unknown purpose "sales" (want service or marketing)`,
		"missing_flow_name":       ":1: flow: required",
		"bad_flow_name":           `:1: flow: bad flow name "New Subscriber": use up to 100 lower-case letters, digits, '-' and '_'`,
		"missing_trigger":         ":1: trigger: required",
		"missing_trigger_event":   ":3: trigger.event: required",
		"bad_trigger_event":       `:3: trigger.event: bad event type "SubscriptionCreated": want lower-case dotted words like subscription.created`,
		"cel_syntax":              ":4: trigger.if: does not compile: 1:19: Syntax error: mismatched input '<EOF>' expecting {'[', '{', '(', '.', '-', '!', 'true', 'false', 'null', NUM_FLOAT, NUM_INT, NUM_UINT, STRING, BYTES, IDENTIFIER}",
		"cel_not_bool":            ":4: trigger.if: must be true or false, not int",
		"cel_undeclared":          ":4: trigger.if: does not compile: 1:1: undeclared reference to 'order' (in container '')",
		"cel_empty":               ":4: trigger.if: empty expression (leave the key out to match every event)",
		"cancel_on_missing_event": ":5: cancel_on[0].event: required",
		"cancel_on_bad_if":        ":7: cancel_on[1].if: does not compile: 1:5: found no matching overload for '_+_' applied to '(string, int)'",
		"empty_steps":             ":4: steps: at least one step required",
		"steps_not_list":          ":5: steps: must be a list",
		"duplicate_step_id":       `:8: steps[1].id: duplicate step id "s" (first at line 5)`,
		"missing_step_id":         ":5: steps[0].id: required",
		"missing_template":        ":5: steps[0].template: required",
		"unknown_template": `:7: steps[0].template: template "sms-only" has no whatsapp variant` + "\n" +
			`testdata/invalid/unknown_template.yaml:7: steps[0].template: template "sms-only" has no email variant`,
		"bad_late_limit":      `:2: late_limit: bad duration "soon": number missing before "s"`,
		"zero_late_limit":     ":6: steps[0].late_limit: must be more than 0",
		"bad_yaml":            ":3: invalid YAML: did not find expected key",
		"not_mapping":         ":1: a flow must be a mapping with flow, trigger and steps",
		"string_for_mapping":  ":2: trigger: must be a mapping",
		"duplicate_flow":      `:9: flow: duplicate flow name "f" (first defined at testdata/invalid/duplicate_flow.yaml:1)`,
		"second_document_bad": `:17: steps[0].after: bad duration "1w": unit must be m, h or d`,
	}
	files, err := filepath.Glob("testdata/invalid/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(tests) {
		t.Errorf("%d files in testdata/invalid, %d cases: every file needs a case", len(files), len(tests))
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".yaml")
		t.Run(name, func(t *testing.T) {
			want, ok := tests[name]
			if !ok {
				t.Fatalf("no expected error for %s", file)
			}
			want = file + want
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			s, err := Parse(file, data, testTemplates)
			if s != nil {
				t.Errorf("Parse returned a set with an error")
			}
			if err == nil {
				t.Fatalf("Parse: no error, want %q", want)
			}
			var errs Errors
			if !errors.As(err, &errs) {
				t.Fatalf("Parse error %T is not Errors: %v", err, err)
			}
			if got := err.Error(); got != want {
				t.Errorf("Parse error:\n got %s\nwant %s", got, want)
			}
		})
	}
}

func TestLoadDirValid(t *testing.T) {
	s, err := LoadDir("testdata/valid", testTemplates)
	if err != nil {
		t.Fatal(err)
	}
	if got := names(s.Flows()); !slices.Equal(got, []string{"late-delivery", "new-subscriber-reassurance"}) {
		t.Fatalf("flows = %v", got)
	}
	f := s.Get("new-subscriber-reassurance")
	file := filepath.Join("testdata", "valid", "reassurance.yaml")
	if f.File != file || f.Line != 2 {
		t.Errorf("defined at %s:%d, want %s:2", f.File, f.Line, file)
	}
	if f.Description != "Confirm the choice on day 2, explain the first invoice on day 4." || f.Phase != "retention" || f.Purpose != PurposeService {
		t.Errorf("description, phase, purpose = %q, %q, %q", f.Description, f.Phase, f.Purpose)
	}
	if f.Trigger.Event != "subscription.created" || f.Trigger.If != `event.data.plan != "trial"` {
		t.Errorf("trigger = %+v", f.Trigger)
	}
	if len(f.CancelOn) != 1 || f.CancelOn[0].Event != "subscription.cancelled" || f.CancelOn[0].If != "" {
		t.Errorf("cancel_on = %+v", f.CancelOn)
	}
	if f.LateLimit != 0 || f.StepLateLimit(nil) != DefaultLateLimit || f.LateLimitOr(nil, time.Hour) != time.Hour {
		t.Errorf("late_limit = %s, want unset, falling back to the default", f.LateLimit)
	}
	if len(f.Version) != 16 || strings.Trim(f.Version, "0123456789abcdef") != "" {
		t.Errorf("version = %q, want 16 hex characters", f.Version)
	}
	if len(f.Steps) != 2 {
		t.Fatalf("%d steps, want 2", len(f.Steps))
	}
	call, invoice := f.Steps[0], f.Steps[1]
	if call.ID != "reassurance-call" || call.AfterDays != 2 || call.AfterClock != 0 || call.After != 48*time.Hour || call.Line != 11 {
		t.Errorf("call step = %+v", call)
	}
	if !slices.Equal(call.Channels, []string{"callback"}) || call.Queue != "retention" || call.Template != "reassurance-call" {
		t.Errorf("call channels, queue, template = %v, %q, %q", call.Channels, call.Queue, call.Template)
	}
	wantWindow := Window{Days: [7]bool{false, true, true, true, true, true, false}, Start: 9 * 60, End: 17 * 60, Spec: "mon-fri 09:00-17:00"}
	if call.Window == nil || *call.Window != wantWindow {
		t.Errorf("window = %+v, want %+v", call.Window, wantWindow)
	}
	if invoice.At != "10:00" || invoice.AfterDays != 4 || !slices.Equal(invoice.Channels, []string{"whatsapp", "email"}) || invoice.Window != nil {
		t.Errorf("invoice step = %+v", invoice)
	}
	if f.Step("invoice-explainer") != invoice || f.Step("nope") != nil {
		t.Errorf("Step by id is wrong")
	}

	g := s.Get("late-delivery")
	if g.LateLimit != 2*time.Hour || g.Line != 23 || g.Purpose != PurposeService {
		t.Errorf("late-delivery = %+v", g)
	}
	if len(g.CancelOn) != 2 || g.CancelOn[1].If != `event.data.reason != "customer"` {
		t.Errorf("cancel_on = %+v", g.CancelOn)
	}
	apology, checkIn := g.Steps[0], g.Steps[1]
	if apology.After != 0 || apology.Window.Spec != "daily 08:00-21:00" || apology.Window.Days != [7]bool{true, true, true, true, true, true, true} {
		t.Errorf("apology = %+v, window %+v", apology, apology.Window)
	}
	if checkIn.AfterDays != 1 || checkIn.AfterClock != 12*time.Hour || checkIn.LateLimit != 6*time.Hour || g.StepLateLimit(checkIn) != 6*time.Hour {
		t.Errorf("check-in = %+v", checkIn)
	}
	if s.Get("nope") != nil {
		t.Errorf("Get of an unknown flow is not nil")
	}
}

func TestLoadDirReadsOnlyYAMLFilesDirectlyInDir(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) {
		t.Helper()
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("a.yaml", "flow: a\ntrigger: {event: a.b}\nsteps: [{id: s, channel: email, template: t}]\n")
	write("b.yml", "flow: b\ntrigger: {event: a.b}\nsteps: [{id: s, channel: email, template: t}]\n")
	write("notes.txt", "not a flow")
	write("templates/x.yaml", "this: is not read")
	s, err := LoadDir(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := names(s.Flows()); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("flows = %v, want [a b]", got)
	}
}

func TestLoadDirReportsEveryProblem(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"a.yaml": "flow: dup\ntrigger: {event: a.b}\nsteps: [{id: s, channel: email, template: t}]\n",
		"b.yaml": "flow: dup\ntrigger: {event: a.b}\nsteps:\n  - id: s\n    after: 2x\n    channel: fax\n    template: t\n    colour: red\n",
		"c.yaml": "flow: fine\ntrigger: {event: a.b, if: 'event.nope('}\nsteps: [{id: s, channel: email, template: t}]\n",
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s, err := LoadDir(dir, nil)
	if s != nil {
		t.Errorf("LoadDir returned a set with errors")
	}
	var errs Errors
	if !errors.As(err, &errs) {
		t.Fatalf("err = %v, want Errors", err)
	}
	var got []string
	for _, e := range errs {
		got = append(got, fmt.Sprintf("%s:%d %s", filepath.Base(e.File), e.Line, e.Field))
	}
	want := []string{"b.yaml:1 flow", "b.yaml:5 steps[0].after", "b.yaml:6 steps[0].channel", "b.yaml:8 steps[0].colour", "c.yaml:2 trigger.if"}
	if !slices.Equal(got, want) {
		t.Errorf("errors at %v, want %v\n%v", got, want, err)
	}
	if !strings.Contains(errs[0].Msg, `duplicate flow name "dup" (first defined at `+filepath.Join(dir, "a.yaml")+":1)") {
		t.Errorf("duplicate message = %q", errs[0].Msg)
	}
}

func TestLoadDirErrors(t *testing.T) {
	if _, err := LoadDir(filepath.Join(t.TempDir(), "missing"), nil); err == nil || !strings.HasPrefix(err.Error(), "read flows folder: ") {
		t.Errorf("missing folder: err = %v", err)
	}
	dir := t.TempDir()
	_, err := LoadDir(dir, nil)
	if want := dir + ": no flow files (*.yaml, *.yml)"; err == nil || err.Error() != want {
		t.Errorf("empty folder: err = %v, want %s", err, want)
	}
}

func TestParseNilCheckerSkipsTemplates(t *testing.T) {
	data := []byte("flow: f\ntrigger: {event: a.b}\nsteps: [{id: s, channel: email, template: nowhere}]\n")
	if _, err := Parse("f.yaml", data, nil); err != nil {
		t.Errorf("nil checker: %v", err)
	}
	_, err := Parse("f.yaml", data, testTemplates)
	if want := `f.yaml:3: steps[0].template: template "nowhere" not found`; err == nil || err.Error() != want {
		t.Errorf("err = %v, want %s", err, want)
	}
}

func TestParseDocuments(t *testing.T) {
	data := []byte(`--- # first
flow: a
trigger: {event: a.b}
steps: [{id: s, channel: email, template: t}]
...
---
# nothing but a comment
---
flow: b
trigger:
  event: a.b
steps:
  - id: s
    window: &office {days: mon-fri, hours: "09:00-17:00"}
    channel: email
    template: t
  - id: u
    after: 1d
    window: *office
    channel: email
    template: t
`)
	s, err := Parse("docs.yaml", data, nil)
	if err != nil {
		t.Fatal(err)
	}
	a, b := s.Get("a"), s.Get("b")
	if a == nil || b == nil {
		t.Fatalf("flows = %v", names(s.Flows()))
	}
	if a.Line != 2 || b.Line != 9 {
		t.Errorf("lines = %d, %d, want 2, 9", a.Line, b.Line)
	}
	if b.Steps[1].Window == nil || *b.Steps[1].Window != *b.Steps[0].Window {
		t.Errorf("alias window = %+v, want %+v", b.Steps[1].Window, b.Steps[0].Window)
	}
	if a.Version == b.Version {
		t.Errorf("two flows share version %s", a.Version)
	}
}

func TestVersionFollowsContent(t *testing.T) {
	doc := "flow: f\ntrigger: {event: a.b}\nsteps: [{id: s, channel: email, template: t}]\n"
	version := func(text string) string {
		t.Helper()
		s, err := Parse("f.yaml", []byte(text), nil)
		if err != nil {
			t.Fatal(err)
		}
		return s.Get("f").Version
	}
	v1 := version(doc)
	if v2 := version(doc); v2 != v1 {
		t.Errorf("same text: versions %s and %s", v1, v2)
	}
	if v3 := version(strings.Replace(doc, "email", "sms", 1)); v3 == v1 {
		t.Errorf("changed text kept version %s", v1)
	}
	// A flow's version does not depend on the other flows in its file.
	other := "flow: g\ntrigger: {event: a.b}\nsteps: [{id: s, channel: email, template: t}]\n"
	if v4 := version(other + "---\n" + doc); v4 != version("---\n"+doc) {
		t.Errorf("version depends on the other documents")
	}
}

func TestParseAfter(t *testing.T) {
	tests := []struct {
		in      string
		days    int
		clock   time.Duration
		wantErr string
	}{
		{in: "0"},
		{in: "2d", days: 2},
		{in: "36h", clock: 36 * time.Hour},
		{in: "1d6h", days: 1, clock: 6 * time.Hour},
		{in: "90m", clock: 90 * time.Minute},
		{in: "1d2h30m", days: 1, clock: 2*time.Hour + 30*time.Minute},
		{in: "", wantErr: `bad duration "": empty`},
		{in: "2x", wantErr: `bad duration "2x": unit must be m, h or d`},
		{in: "2s", wantErr: `bad duration "2s": unit must be m, h or d`},
		{in: "d", wantErr: `bad duration "d": number missing before "d"`},
		{in: "1d 2h", wantErr: `bad duration "1d 2h": number missing before " "`},
		{in: "2", wantErr: `bad duration "2": unit missing after 2 (m, h or d)`},
		{in: "1d2", wantErr: `bad duration "1d2": unit missing after 2 (m, h or d)`},
		{in: "1h1h", wantErr: `bad duration "1h1h": units must come in the order d, h, m, each at most once`},
		{in: "-2d", wantErr: `bad duration "-2d": must not be negative`},
		{in: "9999999d", wantErr: `bad duration "9999999d": number too large`},
		{in: "3661d", wantErr: `bad duration "3661d": more than 3660d`},
	}
	for _, tt := range tests {
		days, clock, err := parseAfter(tt.in)
		switch {
		case tt.wantErr != "":
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("%q: err = %v, want %s", tt.in, err, tt.wantErr)
			}
		case err != nil:
			t.Errorf("%q: %v", tt.in, err)
		case days != tt.days || clock != tt.clock:
			t.Errorf("%q = %d, %s; want %d, %s", tt.in, days, clock, tt.days, tt.clock)
		}
	}
}

func TestParseDays(t *testing.T) {
	const (
		sun = 1 << iota
		mon
		tue
		wed
		thu
		fri
		sat
	)
	tests := map[string]int{
		"daily":       sun | mon | tue | wed | thu | fri | sat,
		"mon-fri":     mon | tue | wed | thu | fri,
		"sat,sun":     sat | sun,
		"mon,wed,fri": mon | wed | fri,
		"fri-mon":     fri | sat | sun | mon,
		"mon-wed,sat": mon | tue | wed | sat,
		"sun":         sun,
		"mon, tue":    mon | tue,
	}
	for in, want := range tests {
		got, err := parseDays(in)
		if err != nil {
			t.Errorf("%q: %v", in, err)
			continue
		}
		bits := 0
		for d, on := range got {
			if on {
				bits |= 1 << d
			}
		}
		if bits != want {
			t.Errorf("%q = %07b, want %07b", in, bits, want)
		}
	}
	for _, in := range []string{"", "weekdays", "mon-", "Mon", "mon--fri", ","} {
		if _, err := parseDays(in); err == nil {
			t.Errorf("%q: no error", in)
		}
	}
}

func TestParseHours(t *testing.T) {
	tests := []struct {
		in         string
		start, end int
		ok         bool
	}{
		{"09:00-17:00", 540, 1020, true},
		{"18:00-24:00", 1080, 1440, true},
		{"00:00-24:00", 0, 1440, true},
		{"22:00-02:00", 1320, 120, true},
		{"22:00-00:00", 1320, 0, true},
		{"09:00-09:00", 0, 0, false},
		{"24:00-02:00", 0, 0, false},
		{"9:00-17:00", 0, 0, false},
		{"09:00", 0, 0, false},
		{"09:60-10:00", 0, 0, false},
		{"09:00-24:01", 0, 0, false},
	}
	for _, tt := range tests {
		start, end, err := parseHours(tt.in)
		if (err == nil) != tt.ok {
			t.Errorf("%q: err = %v, want ok %v", tt.in, err, tt.ok)
			continue
		}
		if tt.ok && (start != tt.start || end != tt.end) {
			t.Errorf("%q = %d-%d, want %d-%d", tt.in, start, end, tt.start, tt.end)
		}
	}
}

func TestErrorString(t *testing.T) {
	tests := []struct {
		e    Error
		want string
	}{
		{Error{File: "flows/bad.yaml", Line: 7, Field: "steps[1].after", Msg: `bad duration "2x": unit must be m, h or d`}, `flows/bad.yaml:7: steps[1].after: bad duration "2x": unit must be m, h or d`},
		{Error{File: "flows/bad.yaml", Line: 1, Msg: "invalid YAML: x"}, "flows/bad.yaml:1: invalid YAML: x"},
		{Error{File: "flows", Msg: "no flow files"}, "flows: no flow files"},
	}
	for _, tt := range tests {
		if got := tt.e.Error(); got != tt.want {
			t.Errorf("got %s, want %s", got, tt.want)
		}
	}
	es := Errors{&tests[0].e, &tests[1].e}
	if got, want := es.Error(), tests[0].want+"\n"+tests[1].want; got != want {
		t.Errorf("Errors = %q, want %q", got, want)
	}
}

func TestParseMergeKeys(t *testing.T) {
	data := []byte(`
flow: f
trigger: {event: a.b}
steps:
  - &call
    id: first
    window: {days: mon-fri, hours: "09:00-17:00"}
    channel: callback
    queue: retention
    template: t
  - <<: *call
    id: second
    after: 2d
  - <<: [*call]
    id: third
    colour: red
`)
	_, err := Parse("merge.yaml", data, nil)
	if want := "merge.yaml:16: steps[2].colour: unknown field"; err == nil || err.Error() != want {
		t.Fatalf("err = %v, want %s", err, want)
	}
	s, err := Parse("merge.yaml", bytes.Replace(data, []byte("    colour: red\n"), nil, 1), nil)
	if err != nil {
		t.Fatal(err)
	}
	f := s.Get("f")
	if len(f.Steps) != 3 {
		t.Fatalf("%d steps, want 3", len(f.Steps))
	}
	second := f.Steps[1]
	if second.ID != "second" || second.AfterDays != 2 || second.Queue != "retention" || second.Window == nil || second.Window.Spec != "mon-fri 09:00-17:00" {
		t.Errorf("merged step = %+v", second)
	}
	if f.Steps[2].ID != "third" || f.Steps[2].Template != "t" {
		t.Errorf("merged step = %+v", f.Steps[2])
	}

	_, err = Parse("merge.yaml", []byte("flow: f\ntrigger: {event: a.b, <<: 3}\nsteps: [{id: s, channel: email, template: t}]\n"), nil)
	if want := "merge.yaml:2: trigger.<<: must merge a mapping"; err == nil || err.Error() != want {
		t.Errorf("err = %v, want %s", err, want)
	}
}
