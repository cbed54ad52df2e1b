package flows

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aheadhq/ahead/internal/yamlx"
	"github.com/google/cel-go/cel"
	"gopkg.in/yaml.v3"
)

// A flow measures its effect with a holdout and a goal:
//
//	holdout: 10%                 # 0% to 50%; default: policy.yaml's holdout, else 0%
//	holdout_salt: "2027"         # change it to draw a new control group; default: the flow's name
//	goal:
//	  event: contact.inbound     # the outcome the flow should change
//	  within: 14d                # counted from the trigger's occurred_at
//	  if: 'event.data.reason != "move"'   # optional CEL over event and customer
//	  same_subject: true         # only events about the run's subject
//	  include: [inbound_message, callback_requested]   # contacts ahead sees itself
//	  count: true                # count contacts per entrant, not whether any came
//
// Every run of the flow puts its customer in one of two arms, treatment
// or control, by a hash of the salt and the customer id: the same customer
// lands in the same arm of the flow every time, until the salt changes.
// A control run plans its steps as a treatment run does, but sends
// nothing: each step ends held_out when it comes due.

// Arms of a flow's holdout experiment.
const (
	ArmTreatment = "treatment" // the customers the flow contacts
	ArmControl   = "control"   // the holdout: customers the flow leaves alone
)

// MaxHoldout is the largest holdout, in basis points: 50%.
const MaxHoldout = 5000

// maxWithin is the longest goal window.
const maxWithin = 365 * 24 * time.Hour

// Built-in goal sources: contacts ahead sees itself rather than as events,
// counted when goal.include names them.
const (
	// SourceInboundMessage is an SMS or WhatsApp message from the
	// customer (not a STOP or START keyword).
	SourceInboundMessage = "inbound_message"
	// SourceCallbackRequested is a call outcome in which the customer
	// asked to be called back at another time.
	SourceCallbackRequested = "callback_requested"
)

// GoalSources are the built-in sources goal.include may name.
var GoalSources = []string{SourceInboundMessage, SourceCallbackRequested}

// Holdout is a flow's control group: the share of its entrants it leaves
// alone, and the salt that draws them.
type Holdout struct {
	// BP is the share held out in basis points, 0 to MaxHoldout: 1000 is
	// 10%.
	BP int
	// Salt is mixed into the hash that draws the arms; "" stands for the
	// flow's name.
	Salt string
	// given is set when the flow says holdout itself; otherwise the
	// policy's holdout applies.
	given bool
}

// Share returns the share held out as a fraction: 0.10 for 10%.
func (h Holdout) Share() float64 { return float64(h.BP) / 10000 }

// Goal is the outcome a flow should change, counted per run in the window
// after the trigger's occurred_at.
type Goal struct {
	// Event is the event type that counts; "" when only Include counts.
	Event string
	// Within is the goal window, counted from the trigger's occurred_at.
	Within time.Duration
	// If, when given, must be true for the goal event (CEL over event and
	// customer, as trigger.if). It applies to events, not to the built-in
	// sources.
	If  string
	prg cel.Program
	// SameSubject: when the run has a subject, only events about the same
	// subject count. Built-in sources carry no subject and always count.
	SameSubject bool
	// Include names built-in sources that count too (GoalSources).
	Include []string
	// Count makes the goal a count: how many goal events each entrant had
	// (0, 1, 2, …) rather than whether any came.
	Count bool

	withinText string
}

// Spec returns the goal as one line of text, the same for the same goal.
func (g *Goal) Spec() string {
	if g == nil {
		return "none"
	}
	var b strings.Builder
	if g.Event != "" {
		b.WriteString("event " + g.Event)
	}
	add := func(s string) {
		if b.Len() > 0 {
			b.WriteString(", ")
		}
		b.WriteString(s)
	}
	if len(g.Include) > 0 {
		add("include " + strings.Join(g.Include, "+"))
	}
	add("within " + g.WithinText())
	if g.If != "" {
		add("if " + g.If)
	}
	if g.SameSubject {
		add("same subject")
	}
	if g.Count {
		add("counted")
	}
	return b.String()
}

// WithinText returns the goal window as written ("14d").
func (g *Goal) WithinText() string {
	if g.withinText != "" {
		return g.withinText
	}
	return formatAfter(int(g.Within/(24*time.Hour)), g.Within%(24*time.Hour))
}

// Includes reports whether the built-in source counts toward the goal.
func (g *Goal) Includes(source string) bool {
	return g != nil && slices.Contains(g.Include, source)
}

// Matches reports whether ev, for customer c, is a goal event: its type is
// the goal's event and its if, when given, is true. Window and subject are
// the caller's to check.
func (g *Goal) Matches(ev *Event, c *Customer) (bool, error) {
	if g == nil || g.Event == "" || ev.Type != g.Event {
		return false, nil
	}
	if g.prg == nil {
		return true, nil
	}
	ok, err := evalExpr(g.prg, Vars(ev, c))
	if err != nil {
		return false, fmt.Errorf("goal.if: %w", err)
	}
	return ok, nil
}

// Measured reports whether the flow's runs are counted for its report:
// it has a goal or a holdout.
func (f *Flow) Measured() bool { return f.Goal != nil || f.Holdout.BP > 0 }

// HoldoutSalt returns the salt that draws the flow's arms: holdout_salt,
// else the flow's name.
func (f *Flow) HoldoutSalt() string {
	if f.Holdout.Salt != "" {
		return f.Holdout.Salt
	}
	return f.Name
}

// Bucket returns the customer's place, 0 to 9999, in the flow's draw: a
// SHA-256 of the salt and the customer id, read as a number modulo
// 10,000. The customer is in the control group when it is below the
// holdout in basis points.
func (f *Flow) Bucket(customer string) int {
	h := sha256.New()
	h.Write([]byte(f.HoldoutSalt()))
	h.Write([]byte{0})
	h.Write([]byte(customer))
	// 64 bits keep the modulo's bias below one in 10^15.
	return int(binary.BigEndian.Uint64(h.Sum(nil)[:8]) % 10000)
}

// Arm returns the arm of the flow's experiment the customer is in:
// ArmControl for the holdout share of customers, else ArmTreatment. It
// depends on nothing but the salt, the share and the customer id.
func (f *Flow) Arm(customer string) string {
	if f.Holdout.BP > 0 && f.Bucket(customer) < f.Holdout.BP {
		return ArmControl
	}
	return ArmTreatment
}

// Period returns the id of the flow's report period: a hash of the
// holdout share, the salt and the goal. Changing any of them starts a new
// period, whose counts start at zero; the steps of the flow may change
// without one.
func (f *Flow) Period() string {
	sum := sha256.Sum256([]byte(fmt.Sprintf("%d\x00%s\x00%s", f.Holdout.BP, f.HoldoutSalt(), f.Goal.Spec())))
	return hex.EncodeToString(sum[:])[:12]
}

// FormatShare formats a share in basis points as a percentage: "10%",
// "2.5%".
func FormatShare(bp int) string {
	return strconv.FormatFloat(float64(bp)/100, 'f', -1, 64) + "%"
}

var shareRe = regexp.MustCompile(`^([0-9]{1,3})(\.[0-9]{1,2})?%$`)

// share loads a holdout share: a percentage from 0% to 50%, with at most
// two decimals.
func (d *doc) share(v *yaml.Node, field string) (int, bool) {
	s, ok := yamlx.Str(d, v, field)
	if !ok {
		return 0, false
	}
	bad := func() (int, bool) {
		d.errf(v, field, "bad holdout %q: want a percentage from 0%% to 50%%, like 10%%", s)
		return 0, false
	}
	m := shareRe.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return bad()
	}
	whole, _ := strconv.Atoi(m[1])
	frac := 0
	if m[2] != "" {
		digits := (m[2][1:] + "0")[:2]
		frac, _ = strconv.Atoi(digits)
	}
	bp := whole*100 + frac
	if bp > MaxHoldout {
		return bad()
	}
	return bp, true
}

// boolean loads true or false.
func (d *doc) boolean(v *yaml.Node, field string) bool {
	r := yamlx.Resolve(v)
	if r == nil || r.Kind != yaml.ScalarNode || r.Tag != "!!bool" {
		d.errf(v, field, "must be true or false")
		return false
	}
	b, _ := strconv.ParseBool(r.Value)
	return b
}

// loadHoldout is flowKeys' holdout.
func loadHoldout(d *doc, f *Flow, v *yaml.Node, field string) {
	if bp, ok := d.share(v, field); ok {
		f.Holdout.BP, f.Holdout.given = bp, true
	}
}

// loadHoldoutSalt is flowKeys' holdout_salt.
func loadHoldoutSalt(d *doc, f *Flow, v *yaml.Node, field string) {
	s, ok := yamlx.Str(d, v, field)
	switch {
	case !ok:
	case strings.TrimSpace(s) == "":
		d.errf(v, field, "empty salt (leave the key out to use the flow's name)")
	case len(s) > maxNameLen:
		d.errf(v, field, "longer than %d characters", maxNameLen)
	default:
		f.Holdout.Salt = s
	}
}

// loadGoal is flowKeys' goal.
func loadGoal(d *doc, f *Flow, v *yaml.Node, field string) {
	g := &Goal{}
	seen := yamlx.Mapping(d, v, field, goalKeys, g)
	if seen == nil {
		return
	}
	yamlx.Required(d, seen, v, field, "within")
	if seen["event"] == nil && seen["include"] == nil {
		d.errf(yamlx.Resolve(v), field+".event", "required (or include)")
	}
	if g.If != "" && g.Event == "" {
		d.errf(seen["if"], field+".if", "needs event: if applies to goal events")
	}
	f.Goal = g
}

var goalKeys = map[string]keyFunc[*Goal]{
	"event": func(d *doc, g *Goal, v *yaml.Node, field string) {
		r := rule{}
		ruleKeys["event"](d, &r, v, field)
		g.Event = r.Event
	},
	"within": func(d *doc, g *Goal, v *yaml.Node, field string) {
		w := d.lateLimit(v, field)
		if w > maxWithin {
			d.errf(v, field, "longer than %dd", int(maxWithin/(24*time.Hour)))
			return
		}
		g.Within = w
		g.withinText, _ = yamlx.Str(d, v, field)
	},
	"if": func(d *doc, g *Goal, v *yaml.Node, field string) {
		g.If, g.prg = d.expr(v, field, compileExpr, "leave the key out to count every goal event")
	},
	"same_subject": func(d *doc, g *Goal, v *yaml.Node, field string) {
		g.SameSubject = d.boolean(v, field)
	},
	"include": func(d *doc, g *Goal, v *yaml.Node, field string) {
		items, ok := yamlx.Seq(d, v, field)
		if !ok {
			return
		}
		for i, item := range items {
			path := fmt.Sprintf("%s[%d]", field, i)
			s, ok := yamlx.Str(d, item, path)
			switch {
			case !ok:
			case !slices.Contains(GoalSources, s):
				d.errf(item, path, "unknown source %q (want %s)", s, strings.Join(GoalSources, " or "))
			case slices.Contains(g.Include, s):
				d.errf(item, path, "duplicate source %q", s)
			default:
				g.Include = append(g.Include, s)
			}
		}
	},
	"count": func(d *doc, g *Goal, v *yaml.Node, field string) {
		g.Count = d.boolean(v, field)
	},
}

// loadPolicyHoldout is policyKeys' holdout: the holdout of every flow that
// does not set its own.
func loadPolicyHoldout(d *doc, p *Policy, v *yaml.Node, field string) {
	if bp, ok := d.share(v, field); ok {
		p.Holdout = bp
	}
}

// applyPolicy gives every flow without a holdout of its own the policy's.
func (l *loader) applyPolicy() {
	if l.policy == nil {
		return
	}
	for _, f := range l.flows {
		if !f.Holdout.given {
			f.Holdout.BP = l.policy.Holdout
		}
	}
}
