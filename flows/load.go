package flows

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/cel-go/cel"
	"gopkg.in/yaml.v3"

	"github.com/aheadhq/ahead/internal/yamlx"
)

// TemplateChecker lets the loader check that a step's template exists for
// each of its channels. Check returns an error, whose message is reported
// as is, when template name cannot be rendered for channel. A nil
// TemplateChecker skips the check.
type TemplateChecker interface {
	Check(name, channel string) error
}

// Error is one problem in a flow file.
type Error struct {
	File  string
	Line  int    // 0 when unknown
	Field string // path of the field, e.g. "steps[1].after"; "" for the document
	Msg   string
}

// Error returns "file:line: field: message".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		b.WriteString(":" + strconv.Itoa(e.Line))
	}
	if e.Field != "" {
		b.WriteString(": " + e.Field)
	}
	b.WriteString(": " + e.Msg)
	return b.String()
}

// Errors lists every problem found while loading flows, in file and line
// order. LoadDir and Parse return it as their error; use errors.As to get
// at the single problems.
type Errors []*Error

// Error returns the problems, one a line.
func (es Errors) Error() string {
	msgs := make([]string, len(es))
	for i, e := range es {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "\n")
}

// Set is a loaded, validated set of flows. It does not change once loaded
// and is safe for concurrent use.
type Set struct {
	flows  []*Flow // by name
	byName map[string]*Flow
	policy *Policy
	queues *queueSet // nil without queues.yaml
	// warnings are what loaded but is likely a mistake (see Warnings).
	warnings []*Error
}

// Flows returns the flows, sorted by name.
func (s *Set) Flows() []*Flow { return slices.Clone(s.flows) }

// Get returns the flow with the given name, or nil.
func (s *Set) Get(name string) *Flow { return s.byName[name] }

// LoadDir loads every *.yaml and *.yml file directly in dir (sub folders,
// such as dir/templates, are not read). A file may hold several flows
// separated by "---". It returns Errors listing every problem found, or
// another error when dir cannot be read.
func LoadDir(dir string, tc TemplateChecker) (*Set, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("read flows folder: %w", err)
	}
	l := newLoader(tc)
	files := 0
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !(strings.HasSuffix(name, ".yaml") || strings.HasSuffix(name, ".yml")) {
			continue
		}
		files++
		path := filepath.Join(dir, name)
		data, err := os.ReadFile(path)
		if err != nil {
			l.errs = append(l.errs, &Error{File: path, Msg: fmt.Sprintf("read: %v", err)})
			continue
		}
		l.file(path, data)
	}
	if files == 0 {
		return nil, Errors{{File: dir, Msg: "no flow files (*.yaml, *.yml)"}}
	}
	return l.finish()
}

// Parse loads the flows in one file's contents; file names it in errors.
func Parse(file string, data []byte, tc TemplateChecker) (*Set, error) {
	l := newLoader(tc)
	l.file(file, data)
	return l.finish()
}

type loader struct {
	policy *Policy
	queues *queueSet
	tc     TemplateChecker
	errs   Errors
	flows  []*Flow
	first  map[string]*Flow // by name: where a name was first defined
}

func newLoader(tc TemplateChecker) *loader {
	return &loader{tc: tc, first: map[string]*Flow{}}
}

func (l *loader) finish() (*Set, error) {
	l.checkQueues()
	l.applyPolicy()
	if len(l.errs) > 0 {
		return nil, l.errs
	}
	s := &Set{byName: map[string]*Flow{}, policy: l.policy, queues: l.queues}
	for _, f := range l.flows {
		s.byName[f.Name] = f
		s.flows = append(s.flows, f)
	}
	slices.SortFunc(s.flows, func(a, b *Flow) int { return strings.Compare(a.Name, b.Name) })
	s.warnings = lint(l.flows)
	return s, nil
}

// file loads each YAML document of one file.
func (l *loader) file(file string, data []byte) {
	before := len(l.errs)
	defer func() {
		slices.SortStableFunc(l.errs[before:], func(a, b *Error) int { return a.Line - b.Line })
	}()
	for _, c := range yamlx.Split(data) {
		dec := yaml.NewDecoder(bytes.NewReader(c.Data))
		for {
			var n yaml.Node
			err := dec.Decode(&n)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				line, msg := yamlx.Line(err)
				l.errs = append(l.errs, &Error{File: file, Line: line + c.Line - 1, Msg: "invalid YAML: " + msg})
				break
			}
			d := &doc{l: l, file: file, off: c.Line - 1}
			if load, ok := special[filepath.Base(file)]; ok {
				if root := yamlx.Root(&n); root != nil {
					load(d, root)
				}
				continue
			}
			d.flow(&n, c.Data)
		}
	}
}

// doc loads one YAML document: one flow.
type doc struct {
	l    *loader
	file string
	off  int // added to node lines
}

// keyFunc loads the value of one known key into its target.
type keyFunc[T any] = yamlx.KeyFunc[*doc, T]

// Errorf reports a problem at n for field (yamlx.Reporter).
func (d *doc) Errorf(n *yaml.Node, field, format string, args ...any) {
	d.errf(n, field, format, args...)
}

// Offset is the first line of the document in its file, less one.
func (d *doc) Offset() int { return d.off }

func (d *doc) errf(n *yaml.Node, field, format string, args ...any) {
	line := 0
	if n != nil {
		line = n.Line + d.off
	}
	d.l.errs = append(d.l.errs, &Error{File: d.file, Line: line, Field: field, Msg: fmt.Sprintf(format, args...)})
}

var (
	nameRe      = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)
	eventTypeRe = regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$`)
	templateRe  = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]*$`)
	queueRe     = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)
)

const maxNameLen = 100

// flowKeys are the keys of a flow document.
var flowKeys = map[string]keyFunc[*Flow]{
	"flow": func(d *doc, f *Flow, v *yaml.Node, field string) {
		s, ok := yamlx.Str(d, v, field)
		switch {
		case !ok:
		case s == "":
			d.errf(v, field, "required")
		case len(s) > maxNameLen || !nameRe.MatchString(s):
			d.errf(v, field, "bad flow name %q: use up to %d lower-case letters, digits, '-' and '_'", s, maxNameLen)
		default:
			f.Name = s
		}
	},
	"description": func(d *doc, f *Flow, v *yaml.Node, field string) {
		f.Description, _ = yamlx.Str(d, v, field)
	},
	"phase": func(d *doc, f *Flow, v *yaml.Node, field string) {
		s, ok := yamlx.Str(d, v, field)
		if ok && !slices.Contains(Phases, s) {
			d.errf(v, field, "unknown phase %q (want %s)", s, strings.Join(Phases, ", "))
			return
		}
		f.Phase = s
	},
	"purpose": func(d *doc, f *Flow, v *yaml.Node, field string) {
		s, ok := yamlx.Str(d, v, field)
		if ok && s != PurposeService && s != PurposeMarketing {
			d.errf(v, field, "unknown purpose %q (want service or marketing)", s)
			return
		}
		f.Purpose = s
	},
	"trigger": func(d *doc, f *Flow, v *yaml.Node, field string) {
		r := rule{}
		seen := yamlx.Mapping(d, v, field, ruleKeys, &r)
		yamlx.Required(d, seen, v, field, "event")
		f.Trigger = Trigger{Event: r.Event, If: r.If, prg: r.prg}
	},
	"cancel_on": func(d *doc, f *Flow, v *yaml.Node, field string) {
		f.CancelOn = d.cancelRules(v, field)
	},
	"late_limit": func(d *doc, f *Flow, v *yaml.Node, field string) {
		f.LateLimit = d.lateLimit(v, field)
	},
	"once_per": func(d *doc, f *Flow, v *yaml.Node, field string) {
		s, ok := yamlx.Str(d, v, field)
		switch {
		case !ok:
		case s != OncePerEvent && s != OncePerCustomer && s != OncePerSubject:
			d.errf(v, field, "unknown value %q (want customer, subject or event)", s)
		default:
			f.OncePer = s
		}
	},
	"reentry_after": func(d *doc, f *Flow, v *yaml.Node, field string) {
		f.ReentryAfter = d.lateLimit(v, field)
	},
	"holdout":      loadHoldout,
	"holdout_salt": loadHoldoutSalt,
	"goal":         loadGoal,
	"steps": func(d *doc, f *Flow, v *yaml.Node, field string) {
		items, ok := yamlx.Seq(d, v, field)
		if !ok {
			return
		}
		if len(items) == 0 {
			d.errf(v, field, "at least one step required")
			return
		}
		ids := map[string]*Step{}
		for i, item := range items {
			path := fmt.Sprintf("%s[%d]", field, i)
			s := d.step(item, path)
			if s == nil {
				continue
			}
			if s.ID != "" {
				if prev, ok := ids[s.ID]; ok {
					d.errf(item, path+".id", "duplicate step id %q (first at line %d)", s.ID, prev.Line)
				} else {
					ids[s.ID] = s
				}
			}
			f.Steps = append(f.Steps, s)
		}
	},
}

// cancelRules loads a cancel_on list.
func (d *doc) cancelRules(v *yaml.Node, field string) []CancelRule {
	items, ok := yamlx.Seq(d, v, field)
	if !ok {
		return nil
	}
	var out []CancelRule
	for i, item := range items {
		path := fmt.Sprintf("%s[%d]", field, i)
		r := rule{}
		seen := yamlx.Mapping(d, item, path, ruleKeys, &r)
		yamlx.Required(d, seen, item, path, "event")
		out = append(out, CancelRule{Event: r.Event, If: r.If, prg: r.prg})
	}
	return out
}

// rule is a trigger or cancel rule while it is loaded.
type rule struct {
	Event, If string
	prg       cel.Program
}

var ruleKeys = map[string]keyFunc[*rule]{
	"event": func(d *doc, r *rule, v *yaml.Node, field string) {
		s, ok := yamlx.Str(d, v, field)
		switch {
		case !ok:
		case s == "":
			d.errf(v, field, "required")
		case !eventTypeRe.MatchString(s):
			d.errf(v, field, "bad event type %q: want lower-case dotted words like subscription.created", s)
		default:
			r.Event = s
		}
	},
	"if": func(d *doc, r *rule, v *yaml.Node, field string) {
		r.If, r.prg = d.expr(v, field, compileExpr, "leave the key out to match every event")
	},
}

// expr loads a CEL expression with compile; empty explains what leaving
// the key out does.
func (d *doc) expr(v *yaml.Node, field string, compile func(string) (cel.Program, error), empty string) (string, cel.Program) {
	s, ok := yamlx.Str(d, v, field)
	if !ok {
		return "", nil
	}
	if strings.TrimSpace(s) == "" {
		d.errf(v, field, "empty expression (%s)", empty)
		return "", nil
	}
	prg, err := compile(s)
	if err != nil {
		d.errf(v, field, "%v", err)
		return "", nil
	}
	return s, prg
}

// lateLimit loads a late_limit duration.
func (d *doc) lateLimit(v *yaml.Node, field string) time.Duration {
	s, ok := yamlx.Str(d, v, field)
	if !ok {
		return 0
	}
	days, clock, err := parseAfter(s)
	switch {
	case err != nil:
		d.errf(v, field, "%v", err)
		return 0
	case days == 0 && clock == 0:
		d.errf(v, field, "must be more than 0")
		return 0
	}
	return time.Duration(days)*24*time.Hour + clock
}

// stepLoad is a step while it is loaded.
type stepLoad struct {
	*Step
	channelNode, channelsNode *yaml.Node
}

var stepKeys = map[string]keyFunc[*stepLoad]{
	"id": func(d *doc, s *stepLoad, v *yaml.Node, field string) {
		id, ok := yamlx.Str(d, v, field)
		switch {
		case !ok:
		case id == "":
			d.errf(v, field, "required")
		case len(id) > maxNameLen || !nameRe.MatchString(id):
			d.errf(v, field, "bad step id %q: use up to %d lower-case letters, digits, '-' and '_'", id, maxNameLen)
		default:
			s.ID = id
		}
	},
	"after": func(d *doc, s *stepLoad, v *yaml.Node, field string) {
		if days, clock, text, ok := d.delay(v, field); ok {
			s.AfterDays, s.AfterClock, s.afterText = days, clock, text
			s.After = time.Duration(days)*24*time.Hour + clock
		}
	},
	"at": func(d *doc, s *stepLoad, v *yaml.Node, field string) {
		text, ok := yamlx.Str(d, v, field)
		if !ok {
			return
		}
		if _, err := parseClock(text, false); err != nil {
			d.errf(v, field, "%v", err)
			return
		}
		s.At = text
	},
	"before": loadBefore,
	"from":   loadFrom,
	"window": func(d *doc, s *stepLoad, v *yaml.Node, field string) {
		w := &windowLoad{}
		seen := yamlx.Mapping(d, v, field, windowKeys, w)
		if seen == nil {
			return
		}
		if len(seen) == 0 {
			d.errf(yamlx.Resolve(v), field, "give days, hours or both")
			return
		}
		if w.bad {
			return
		}
		s.Window = w.window()
	},
	"channel": func(d *doc, s *stepLoad, v *yaml.Node, field string) {
		s.channelNode = v
		name, ok := yamlx.Str(d, v, field)
		if ok && d.channel(v, field, name) {
			s.Channels = []string{name}
		}
	},
	"channels": func(d *doc, s *stepLoad, v *yaml.Node, field string) {
		s.channelsNode = v
		items, ok := yamlx.Seq(d, v, field)
		if !ok {
			return
		}
		if len(items) == 0 {
			d.errf(v, field, "at least one channel required")
			return
		}
		var names []string
		for i, item := range items {
			path := fmt.Sprintf("%s[%d]", field, i)
			name, ok := yamlx.Str(d, item, path)
			if !ok || !d.channel(item, path, name) {
				continue
			}
			if slices.Contains(names, name) {
				d.errf(item, path, "duplicate channel %q", name)
				continue
			}
			names = append(names, name)
		}
		s.Channels = names
	},
	"template": func(d *doc, s *stepLoad, v *yaml.Node, field string) {
		name, ok := yamlx.Str(d, v, field)
		switch {
		case !ok:
		case name == "":
			d.errf(v, field, "required")
		case len(name) > maxNameLen || !templateRe.MatchString(name):
			d.errf(v, field, "bad template name %q: use up to %d letters, digits, '-' and '_'", name, maxNameLen)
		default:
			s.Template = name
		}
	},
	"queue": func(d *doc, s *stepLoad, v *yaml.Node, field string) {
		q, ok := yamlx.Str(d, v, field)
		switch {
		case !ok:
		case q == "":
			d.errf(v, field, "required")
		case len(q) > maxNameLen || !queueRe.MatchString(q):
			d.errf(v, field, "bad queue name %q: use up to %d lower-case letters, digits, '-' and '_'", q, maxNameLen)
		default:
			s.Queue = q
		}
	},
	"late_limit": func(d *doc, s *stepLoad, v *yaml.Node, field string) {
		s.LateLimit = d.lateLimit(v, field)
	},
	"cancel_on": func(d *doc, s *stepLoad, v *yaml.Node, field string) {
		s.CancelOn = d.cancelRules(v, field)
	},
	"skip_if": func(d *doc, s *stepLoad, v *yaml.Node, field string) {
		s.SkipIf, s.skipPrg = d.expr(v, field, func(src string) (cel.Program, error) {
			prg, reads, err := compileSkip(src)
			s.reads = reads
			return prg, err
		}, "leave the key out to never skip")
	},
	"debounce": func(d *doc, s *stepLoad, v *yaml.Node, field string) {
		s.Debounce = d.lateLimit(v, field)
	},
	"deadline": func(d *doc, s *stepLoad, v *yaml.Node, field string) {
		s.Deadline = d.lateLimit(v, field)
	},
}

// channel checks a channel name.
func (d *doc) channel(n *yaml.Node, field, name string) bool {
	switch {
	case name == "":
		d.errf(n, field, "required")
	case !KnownChannel(name):
		d.errf(n, field, "unknown channel %q (known: email, sms, whatsapp, callback, outbox, webhook)", name)
	default:
		return true
	}
	return false
}

// step loads one step and checks what its keys mean together.
func (d *doc) step(n *yaml.Node, path string) *Step {
	s := &stepLoad{Step: &Step{}}
	if r := yamlx.Resolve(n); r != nil {
		s.Line = r.Line + d.off
	}
	seen := yamlx.Mapping(d, n, path, stepKeys, s)
	if seen == nil {
		return nil
	}
	yamlx.Required(d, seen, n, path, "id")
	d.checkAnchor(seen, path)
	switch {
	case s.channelNode != nil && s.channelsNode != nil:
		d.errf(s.channelsNode, path+".channels", "give channel or channels, not both")
	case s.channelNode == nil && s.channelsNode == nil:
		d.errf(yamlx.Resolve(n), path+".channel", "required (or channels)")
	}
	if yamlx.Required(d, seen, n, path, "template") && s.Template != "" && d.l.tc != nil {
		for _, ch := range s.Channels {
			if err := d.l.tc.Check(s.Template, ch); err != nil {
				d.errf(yamlx.Resolve(seen["template"]), path+".template", "%v", err)
			}
		}
	}
	callback := slices.Contains(s.Channels, Callback)
	switch {
	case callback && seen["queue"] == nil:
		d.errf(yamlx.Resolve(n), path+".queue", "required for the callback channel")
	case !callback && seen["queue"] != nil && s.Channels != nil:
		d.errf(seen["queue"], path+".queue", "only a callback step has a queue")
	}
	return s.Step
}

// windowLoad is a window while it is loaded.
type windowLoad struct {
	days, hours       string
	dayset            [7]bool
	start, end        int
	hasDays, hasHours bool
	bad               bool
}

func (w *windowLoad) window() *Window {
	out := &Window{Days: w.dayset, Start: w.start, End: w.end}
	if !w.hasDays {
		out.Days = [7]bool{true, true, true, true, true, true, true}
		w.days = "daily"
	}
	if !w.hasHours {
		out.Start, out.End = 0, 24*60
	}
	out.Spec = w.days
	if w.hasHours {
		out.Spec += " " + w.hours
	}
	return out
}

var windowKeys = map[string]keyFunc[*windowLoad]{
	"days": func(d *doc, w *windowLoad, v *yaml.Node, field string) {
		s, ok := yamlx.Str(d, v, field)
		if !ok {
			w.bad = true
			return
		}
		days, err := parseDays(s)
		if err != nil {
			w.bad = true
			d.errf(v, field, "%v", err)
			return
		}
		w.days, w.dayset, w.hasDays = strings.TrimSpace(s), days, true
	},
	"hours": func(d *doc, w *windowLoad, v *yaml.Node, field string) {
		s, ok := yamlx.Str(d, v, field)
		if !ok {
			w.bad = true
			return
		}
		start, end, err := parseHours(s)
		if err != nil {
			w.bad = true
			d.errf(v, field, "%v", err)
			return
		}
		w.hours, w.start, w.end, w.hasHours = strings.TrimSpace(s), start, end, true
	},
}

// flow loads one document as a flow and records it with the loader.
func (d *doc) flow(n *yaml.Node, raw []byte) {
	root := yamlx.Root(n)
	if root == nil {
		return // an empty document
	}
	before := len(d.l.errs)
	sum := sha256.Sum256(raw)
	f := &Flow{Purpose: PurposeService, OncePer: OncePerEvent, File: d.file, Line: root.Line + d.off, Version: hex.EncodeToString(sum[:])[:16], Source: bytes.Clone(raw)}
	if r := yamlx.Resolve(root); r == nil || r.Kind != yaml.MappingNode {
		d.errf(root, "", "a flow must be a mapping with flow, trigger and steps")
		return
	}
	seen := yamlx.Mapping(d, root, "", flowKeys, f)
	yamlx.Required(d, seen, root, "", "flow")
	yamlx.Required(d, seen, root, "", "trigger")
	yamlx.Required(d, seen, root, "", "steps")
	if f.Purpose == "" {
		f.Purpose = PurposeService
	}
	if f.OncePer == OncePerEvent && f.ReentryAfter > 0 {
		d.errf(seen["reentry_after"], "reentry_after", "needs once_per: customer or subject")
	}
	if f.Name != "" {
		if prev, ok := d.l.first[f.Name]; ok {
			d.errf(seen["flow"], "flow", "duplicate flow name %q (first defined at %s:%d)", f.Name, prev.File, prev.Line)
			return
		}
		d.l.first[f.Name] = f
	}
	if len(d.l.errs) == before {
		d.l.flows = append(d.l.flows, f)
	}
}

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
