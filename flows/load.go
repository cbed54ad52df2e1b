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
