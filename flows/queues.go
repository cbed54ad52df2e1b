package flows

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/aheadhq/ahead/internal/yamlx"
	"gopkg.in/yaml.v3"
)

// QueuesFile is the file in a flow folder that configures its callback
// queues, one entry per queue name:
//
//	retention:
//	  timezone: Europe/Amsterdam
//	  hours: { mon-fri: "09:00-17:00", sat: "10:00-14:00" }
//	  holidays: [2026-12-25, 2026-12-26]
//	  max_attempts: 3              # calls made for one callback
//	  retry: { no_answer: 2h, voicemail: 4h }
//	  deadline: 3d                 # after the due time
//	  lease: 15m                   # how long a claim holds, unless the agent asks otherwise
//	  on_exhausted: { event: callback.exhausted }
//	  taskrouter: { workspace_sid: WS…, workflow_sid: WW… }
//
// Without the file every queue a step names works with DefaultQueue. With
// it, a step may only name a queue it defines.
const QueuesFile = "queues.yaml"

// Outcomes of a call, as an agent records them.
const (
	OutcomeReached           = "reached"
	OutcomeNoAnswer          = "no_answer"
	OutcomeVoicemail         = "voicemail"
	OutcomeWrongNumber       = "wrong_number"
	OutcomeDeclined          = "declined"
	OutcomeCallbackRequested = "callback_requested"
)

// Outcomes lists every outcome an agent may record.
var Outcomes = []string{OutcomeReached, OutcomeNoAnswer, OutcomeVoicemail, OutcomeWrongNumber, OutcomeDeclined, OutcomeCallbackRequested}

// Retried reports whether a callback with this outcome is tried again.
func Retried(outcome string) bool {
	return outcome == OutcomeNoAnswer || outcome == OutcomeVoicemail
}

// Queue defaults.
const (
	DefaultMaxAttempts = 3
	DefaultRetry       = 2 * time.Hour
	DefaultLease       = 15 * time.Minute
)

// Queue is one contact-centre callback queue: when agents work it, how
// often a callback is tried and what happens when it cannot be completed.
type Queue struct {
	Name        string
	Description string
	// Timezone is the zone of Hours and Holidays as written; Location is
	// that zone (UTC when none is given).
	Timezone string
	Location *time.Location
	// Hours are the weekly opening hours; nil means always open.
	Hours []*Window
	// Holidays are local dates (YYYY-MM-DD), sorted, on which the queue
	// stays closed all day.
	Holidays []string
	// MaxAttempts bounds the calls made for one callback: a no_answer or
	// voicemail on the last of them exhausts it.
	MaxAttempts int
	// Retry is the delay before the next try, by outcome (no_answer,
	// voicemail); a missing outcome waits DefaultRetry.
	Retry map[string]time.Duration
	// Deadline, when above 0, is how long after its due time a callback
	// may still be called; then it is exhausted.
	Deadline time.Duration
	// Lease is how long a claim holds by default.
	Lease time.Duration
	// OnExhausted is the type of the event ahead takes in for the customer
	// when a callback is exhausted; "" takes in none.
	OnExhausted string
	// TaskRouter, when set, also hands each callable callback to Twilio
	// TaskRouter.
	TaskRouter *TaskRouter
	File       string
	Line       int

	holidays map[string]bool
}

// TaskRouter names where a queue's callbacks go in Twilio TaskRouter.
type TaskRouter struct {
	WorkspaceSID string // WS…
	WorkflowSID  string // WW…
	// TaskChannel is the task channel's unique name or TC… SID; "" leaves
	// it to TaskRouter (default).
	TaskChannel string
}

// DefaultQueue is the configuration of a queue a folder without
// queues.yaml names: always open, DefaultMaxAttempts, DefaultRetry, no
// deadline, no event when exhausted.
func DefaultQueue(name string) *Queue {
	return &Queue{Name: name, Location: time.UTC, MaxAttempts: DefaultMaxAttempts, Lease: DefaultLease}
}

// RetryAfter returns how long after a call with outcome the next try waits.
func (q *Queue) RetryAfter(outcome string) time.Duration {
	if d, ok := q.Retry[outcome]; ok && d > 0 {
		return d
	}
	return DefaultRetry
}

// Holiday reports whether t falls on one of the queue's holidays.
func (q *Queue) Holiday(t time.Time) bool {
	if len(q.holidays) == 0 {
		return false
	}
	return q.holidays[t.In(q.loc()).Format(time.DateOnly)]
}

func (q *Queue) loc() *time.Location {
	if q.Location == nil {
		return time.UTC
	}
	return q.Location
}

// Open reports whether agents work the queue at t.
func (q *Queue) Open(t time.Time) bool {
	return q.Next(t).Equal(t)
}

// Next returns t when the queue is open at t, else the start of its next
// opening; the zero time when it does not open within a year.
func (q *Queue) Next(t time.Time) time.Time {
	loc := q.loc()
	for i := 0; i < 400; i++ {
		n := t
		if len(q.Hours) > 0 {
			n = time.Time{}
			for _, w := range q.Hours {
				if c := w.Next(t, loc); n.IsZero() || c.Before(n) {
					n = c
				}
			}
		}
		if !q.Holiday(n) {
			return n
		}
		y, m, d := n.In(loc).Date()
		t = wallEdge(loc, time.Date(y, m, d+1, 0, 0, 0, 0, time.UTC))
	}
	return time.Time{}
}

// Close returns when the opening t falls in ends: the end of its hours or
// the start of a holiday, whichever comes first; t when the queue is
// closed at t. An always-open queue without holidays returns the zero time.
func (q *Queue) Close(t time.Time) time.Time {
	if !q.Open(t) {
		return t
	}
	loc := q.loc()
	var end time.Time
	if len(q.Hours) > 0 {
		for _, w := range q.Hours {
			if c := w.Close(t, loc); !c.Equal(t) && c.After(end) {
				end = c
			}
		}
	}
	// The next holiday that starts before end closes it earlier.
	y, m, d := t.In(loc).Date()
	for i := 1; i <= 366; i++ {
		day := wallEdge(loc, time.Date(y, m, d+i, 0, 0, 0, 0, time.UTC))
		if !end.IsZero() && !day.Before(end) {
			break
		}
		if q.Holiday(day) {
			return day
		}
		if end.IsZero() && len(q.holidays) == 0 {
			break
		}
	}
	return end
}

// HoursText describes the opening hours, e.g. "mon-fri 09:00-17:00, sat
// 10:00-14:00", or "always".
func (q *Queue) HoursText() string {
	if len(q.Hours) == 0 {
		return "always"
	}
	specs := make([]string, len(q.Hours))
	for i, w := range q.Hours {
		specs[i] = w.Spec
	}
	return strings.Join(specs, ", ")
}

// Queue returns the configuration of the callback queue name. Without
// queues.yaml every name gets DefaultQueue and ok is true; with it, ok
// is false for a name it does not define.
func (s *Set) Queue(name string) (q *Queue, ok bool) {
	if s == nil || s.queues == nil {
		return DefaultQueue(name), true
	}
	q, ok = s.queues.byName[name]
	return q, ok
}

// Queues returns the queues queues.yaml defines, by name; nil when the
// folder has no queues.yaml.
func (s *Set) Queues() []*Queue {
	if s == nil || s.queues == nil {
		return nil
	}
	out := make([]*Queue, 0, len(s.queues.names))
	for _, n := range s.queues.names {
		out = append(out, s.queues.byName[n])
	}
	return out
}

// ParseWindow parses a window as Window.Spec writes it: days, optionally
// followed by hours ("mon-fri 09:00-17:00", "daily 22:00-02:00", "sat,sun").
func ParseWindow(spec string) (*Window, error) {
	text := strings.TrimSpace(spec)
	i := strings.IndexAny(text, "0123456789")
	days, hours := text, ""
	if i >= 0 {
		days, hours = strings.TrimSpace(text[:i]), strings.TrimSpace(text[i:])
	}
	w := &windowLoad{}
	if days != "" {
		set, err := parseDays(days)
		if err != nil {
			return nil, err
		}
		w.days, w.dayset, w.hasDays = days, set, true
	}
	if hours != "" {
		start, end, err := parseHours(hours)
		if err != nil {
			return nil, err
		}
		w.hours, w.start, w.end, w.hasHours = hours, start, end, true
	}
	if !w.hasDays && !w.hasHours {
		return nil, fmt.Errorf("bad window %q: give days, hours or both", spec)
	}
	return w.window(), nil
}

// queueSet is what queues.yaml defines.
type queueSet struct {
	file   string
	byName map[string]*Queue
	names  []string // sorted
}

func (d *doc) queues(root *yaml.Node) {
	if d.l.queues != nil {
		d.errf(root, "", "queues given twice")
		return
	}
	qs := &queueSet{file: d.file, byName: map[string]*Queue{}}
	d.l.queues = qs
	d.entries(root, "", func(k *yaml.Node, name string, v *yaml.Node) {
		if len(name) > maxNameLen || !queueRe.MatchString(name) {
			d.errf(k, name, "bad queue name %q: use up to %d lower-case letters, digits, '-' and '_'", name, maxNameLen)
			return
		}
		q := DefaultQueue(name)
		q.File, q.Line = d.file, k.Line+d.off
		seen := yamlx.Mapping(d, v, name, queueKeys, q)
		if seen == nil {
			return
		}
		if q.Timezone == "" && (seen["hours"] != nil || seen["holidays"] != nil) {
			d.errf(yamlx.Resolve(v), yamlx.Join(name, "timezone"), "required with hours or holidays")
		}
		q.holidays = map[string]bool{}
		for _, h := range q.Holidays {
			q.holidays[h] = true
		}
		qs.byName[name] = q
		qs.names = append(qs.names, name)
	})
	slices.Sort(qs.names)
}

// entries calls f for each key of the mapping n, whose keys are names
// rather than fields; repeated keys are errors.
func (d *doc) entries(n *yaml.Node, path string, f func(k *yaml.Node, name string, v *yaml.Node)) {
	r := yamlx.Resolve(n)
	if r == nil || r.Kind != yaml.MappingNode {
		d.errf(n, path, "must be a mapping")
		return
	}
	seen := map[string]*yaml.Node{}
	for _, p := range yamlx.Pairs(d, r, path) {
		k := yamlx.Resolve(p.K)
		if k == nil || k.Kind != yaml.ScalarNode {
			d.errf(p.K, path, "keys must be strings")
			continue
		}
		if prev, ok := seen[k.Value]; ok {
			if !p.Merged {
				d.errf(k, yamlx.Join(path, k.Value), "given twice (first at line %d)", prev.Line+d.off)
			}
			continue
		}
		seen[k.Value] = k
		f(k, k.Value, p.V)
	}
}

var (
	workspaceRe   = regexp.MustCompile(`^WS[0-9a-fA-F]{32}$`)
	workflowRe    = regexp.MustCompile(`^WW[0-9a-fA-F]{32}$`)
	taskChannelRe = regexp.MustCompile(`^([a-z][a-z0-9_-]*|TC[0-9a-fA-F]{32})$`)
)

var queueKeys = map[string]keyFunc[*Queue]{
	"description": func(d *doc, q *Queue, v *yaml.Node, field string) {
		q.Description, _ = yamlx.Str(d, v, field)
	},
	"timezone": func(d *doc, q *Queue, v *yaml.Node, field string) {
		s, ok := yamlx.Str(d, v, field)
		switch {
		case !ok:
		case s == "":
			d.errf(v, field, "required")
		default:
			loc, err := Location(s, "")
			if err != nil {
				d.errf(v, field, "%v", err)
				return
			}
			q.Timezone, q.Location = s, loc
		}
	},
	"hours": func(d *doc, q *Queue, v *yaml.Node, field string) {
		q.Hours = []*Window{}
		d.entries(v, field, func(k *yaml.Node, days string, hv *yaml.Node) {
			path := yamlx.Join(field, days)
			set, err := parseDays(days)
			if err != nil {
				d.errf(k, path, "%v", err)
				return
			}
			text, ok := yamlx.Str(d, hv, path)
			if !ok {
				return
			}
			if strings.TrimSpace(text) == "" {
				d.errf(hv, path, "give hours like \"09:00-17:00\" (several: \"09:00-12:00, 13:00-17:00\")")
				return
			}
			for part := range strings.SplitSeq(text, ",") {
				part = strings.TrimSpace(part)
				start, end, err := parseHours(part)
				if err != nil {
					d.errf(hv, path, "%v", err)
					continue
				}
				q.Hours = append(q.Hours, &Window{Days: set, Start: start, End: end, Spec: strings.TrimSpace(days) + " " + part})
			}
		})
		if r := yamlx.Resolve(v); r != nil && r.Kind == yaml.MappingNode && len(r.Content) == 0 {
			d.errf(v, field, "give at least one day (leave hours out for a queue that is always open)")
		}
	},
	"holidays": func(d *doc, q *Queue, v *yaml.Node, field string) {
		items, ok := yamlx.Seq(d, v, field)
		if !ok {
			return
		}
		seen := map[string]int{}
		for i, item := range items {
			path := fmt.Sprintf("%s[%d]", field, i)
			s, ok := yamlx.Str(d, item, path)
			if !ok {
				continue
			}
			day, err := time.Parse(time.DateOnly, strings.TrimSpace(s))
			if err != nil {
				d.errf(item, path, "bad date %q: want YYYY-MM-DD", s)
				continue
			}
			key := day.Format(time.DateOnly)
			if prev, dup := seen[key]; dup {
				d.errf(item, path, "duplicate holiday %s (first at line %d)", key, prev)
				continue
			}
			seen[key] = yamlx.Resolve(item).Line + d.off
			q.Holidays = append(q.Holidays, key)
		}
		slices.Sort(q.Holidays)
	},
	"max_attempts": func(d *doc, q *Queue, v *yaml.Node, field string) {
		if n := d.count(v, field); n > 0 {
			q.MaxAttempts = n
		}
	},
	"retry": func(d *doc, q *Queue, v *yaml.Node, field string) {
		q.Retry = map[string]time.Duration{}
		yamlx.Mapping(d, v, field, retryKeys, q)
	},
	"deadline": func(d *doc, q *Queue, v *yaml.Node, field string) {
		q.Deadline = d.lateLimit(v, field)
	},
	"lease": func(d *doc, q *Queue, v *yaml.Node, field string) {
		if l := d.lateLimit(v, field); l > 0 {
			if l > 24*time.Hour {
				d.errf(v, field, "at most 24h")
				return
			}
			q.Lease = l
		}
	},
	"on_exhausted": func(d *doc, q *Queue, v *yaml.Node, field string) {
		r := rule{}
		seen := yamlx.Mapping(d, v, field, exhaustedKeys, &r)
		if yamlx.Required(d, seen, v, field, "event") {
			q.OnExhausted = r.Event
		}
	},
	"taskrouter": func(d *doc, q *Queue, v *yaml.Node, field string) {
		tr := &TaskRouter{}
		seen := yamlx.Mapping(d, v, field, taskRouterKeys, tr)
		if seen == nil {
			return
		}
		ok := yamlx.Required(d, seen, v, field, "workspace_sid")
		ok = yamlx.Required(d, seen, v, field, "workflow_sid") && ok
		if ok && tr.WorkspaceSID != "" && tr.WorkflowSID != "" {
			q.TaskRouter = tr
		}
	},
}

// retryKeys take a delay for each outcome that is retried and explain why
// the others have none.
var retryKeys = func() map[string]keyFunc[*Queue] {
	m := map[string]keyFunc[*Queue]{}
	for _, o := range Outcomes {
		if Retried(o) {
			m[o] = func(d *doc, q *Queue, v *yaml.Node, field string) {
				if l := d.lateLimit(v, field); l > 0 {
					q.Retry[o] = l
				}
			}
			continue
		}
		m[o] = func(d *doc, q *Queue, v *yaml.Node, field string) {
			why := "ends the callback"
			if o == OutcomeCallbackRequested {
				why = "is called back at the time the customer asked for"
			}
			d.errf(v, field, "%s %s; only no_answer and voicemail are retried", o, why)
		}
	}
	return m
}()

var exhaustedKeys = map[string]keyFunc[*rule]{"event": ruleKeys["event"]}

var taskRouterKeys = map[string]keyFunc[*TaskRouter]{
	"workspace_sid": func(d *doc, tr *TaskRouter, v *yaml.Node, field string) {
		tr.WorkspaceSID = d.sid(v, field, workspaceRe, "a workspace SID (WS followed by 32 hexadecimal digits)")
	},
	"workflow_sid": func(d *doc, tr *TaskRouter, v *yaml.Node, field string) {
		tr.WorkflowSID = d.sid(v, field, workflowRe, "a workflow SID (WW followed by 32 hexadecimal digits)")
	},
	"task_channel": func(d *doc, tr *TaskRouter, v *yaml.Node, field string) {
		tr.TaskChannel = d.sid(v, field, taskChannelRe, "a task channel name such as voice, or a TC… SID")
	},
}

// sid loads a string that must match re.
func (d *doc) sid(v *yaml.Node, field string, re *regexp.Regexp, want string) string {
	s, ok := yamlx.Str(d, v, field)
	switch {
	case !ok:
	case !re.MatchString(s):
		d.errf(v, field, "%q is not %s", s, want)
	default:
		return s
	}
	return ""
}

// checkQueues reports steps that name a queue queues.yaml does not define.
func (l *loader) checkQueues() {
	if l.queues == nil {
		return
	}
	before := len(l.errs)
	defined := strings.Join(l.queues.names, ", ")
	if defined == "" {
		defined = "none"
	}
	for _, f := range l.flows {
		for i, st := range f.Steps {
			if st.Queue == "" || l.queues.byName[st.Queue] != nil {
				continue
			}
			l.errs = append(l.errs, &Error{
				File: f.File, Line: queueLine(f, i), Field: fmt.Sprintf("steps[%d].queue", i),
				Msg: fmt.Sprintf("undefined queue %q (%s defines: %s)", st.Queue, QueuesFile, defined),
			})
		}
	}
	if len(l.errs) > before {
		slices.SortStableFunc(l.errs, func(a, b *Error) int {
			if c := strings.Compare(a.File, b.File); c != 0 {
				return c
			}
			return a.Line - b.Line
		})
	}
}

// queueLine finds the line of the queue key of step i of f in its file,
// or the step's line.
func queueLine(f *Flow, i int) int {
	_, line := f.StepKey(i, "queue")
	return line
}

// StepKey returns the first of keys that step i of f sets and the line of
// its value in the flow's file: where a problem with that setting is
// reported. When the step sets none of them, or its source cannot be read,
// key is "" and line the step's own line.
func (f *Flow) StepKey(i int, keys ...string) (key string, line int) {
	for _, key := range keys {
		if line, ok := f.at("steps", i, key); ok {
			return key, line
		}
	}
	return "", f.Steps[i].Line
}

// lookup returns the value of key in the mapping n, or nil.
func lookup(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return yamlx.Resolve(n.Content[i+1])
		}
	}
	return nil
}
