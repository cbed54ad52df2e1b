package flows

import (
	"fmt"
	"strconv"
	"time"

	"github.com/aheadhq/ahead/internal/yamlx"
	"gopkg.in/yaml.v3"
)

// PolicyFile is the file in a flow folder that holds the folder's Policy:
//
//	quiet_hours:                # customer-local; contacts wait until they end
//	  - { days: daily, hours: "21:00-08:00" }
//	  - { days: sun }
//	budget:                     # across all flows and channels, calls included
//	  max: 3                    # contacts per period
//	  per: 7d
//	  min_gap: 2h               # least time between two contacts
//	  service_max: 4            # service flows may go past max up to this
//	holdout: 0%                 # the control group of flows that set no holdout
const PolicyFile = "policy.yaml"

// special files of a flow folder are not flows; each has its own loader.
var special = map[string]func(d *doc, root *yaml.Node){
	PolicyFile: (*doc).policy,
	QueuesFile: (*doc).queues,
}

func (d *doc) policy(root *yaml.Node) {
	if d.l.policy != nil {
		d.errf(root, "", "policy given twice")
		return
	}
	p := &Policy{}
	seen := yamlx.Mapping(d, root, "", policyKeys, p)
	if seen == nil {
		return
	}
	d.l.policy = p
}

var policyKeys = map[string]keyFunc[*Policy]{
	"holdout": loadPolicyHoldout,
	"quiet_hours": func(d *doc, p *Policy, v *yaml.Node, field string) {
		items, ok := yamlx.Seq(d, v, field)
		if !ok {
			return
		}
		for i, item := range items {
			path := fmt.Sprintf("%s[%d]", field, i)
			w := &windowLoad{}
			seen := yamlx.Mapping(d, item, path, windowKeys, w)
			if seen == nil || w.bad {
				continue
			}
			if len(seen) == 0 {
				d.errf(yamlx.Resolve(item), path, "give days, hours or both")
				continue
			}
			p.Quiet = append(p.Quiet, w.window())
		}
		if alwaysQuiet(p.Quiet) {
			d.errf(v, field, "quiet hours cover the whole week: nothing could ever be sent")
		}
	},
	"budget": func(d *doc, p *Policy, v *yaml.Node, field string) {
		b := &Budget{}
		seen := yamlx.Mapping(d, v, field, budgetKeys, b)
		if seen == nil {
			return
		}
		if b.Max > 0 && b.Per == 0 {
			d.errf(yamlx.Resolve(v), field+".per", "required with max")
		}
		if b.ServiceMax > 0 && b.ServiceMax < b.Max {
			d.errf(seen["service_max"], field+".service_max", "must be at least max (%d)", b.Max)
		}
		p.Budget = b
	},
}

var budgetKeys = map[string]keyFunc[*Budget]{
	"max":         func(d *doc, b *Budget, v *yaml.Node, field string) { b.Max = d.count(v, field) },
	"service_max": func(d *doc, b *Budget, v *yaml.Node, field string) { b.ServiceMax = d.count(v, field) },
	"per":         func(d *doc, b *Budget, v *yaml.Node, field string) { b.Per = d.lateLimit(v, field) },
	"min_gap":     func(d *doc, b *Budget, v *yaml.Node, field string) { b.MinGap = d.lateLimit(v, field) },
}

// count loads a whole number of at least 1.
func (d *doc) count(v *yaml.Node, field string) int {
	s, ok := yamlx.Str(d, v, field)
	if !ok {
		return 0
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 1000 {
		d.errf(v, field, "must be a whole number from 1 to 1000, got %q", s)
		return 0
	}
	return n
}

// alwaysQuiet reports whether the quiet windows leave no moment of a week open.
func alwaysQuiet(ws []*Window) bool {
	if len(ws) == 0 {
		return false
	}
	p := &Policy{Quiet: ws}
	start := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC) // a Monday
	for t := start; t.Before(start.Add(7 * 24 * time.Hour)); t = t.Add(15 * time.Minute) {
		if p.quiet(t, time.UTC) == nil {
			return false
		}
	}
	return true
}
