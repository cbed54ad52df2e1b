package flows

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aheadhq/ahead/internal/yamlx"
	"github.com/google/cel-go/cel"
	"gopkg.in/yaml.v3"
)

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
