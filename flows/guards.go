package flows

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/google/cel-go/cel"
)

// skip_if expressions see more than trigger conditions, all as of the
// moment the step is due:
//
//	event         the trigger event (as in trigger.if)
//	customer      the profile as it is now, plus last_inbound_at (a
//	              timestamp; the zero time when the customer never wrote)
//	now           the current time
//	events_since  the customer's events that occurred after the trigger
//	              event, and events_before(type, window) those before it
//	              (see history.go); e.g. "invoice.question" in events_since
//	contacts      the customer's proactive contacts of the last 30 days,
//	              newest first, each {at, channel, flow, step}; e.g.
//	              contacts.exists(c, c.at > now - duration("72h"))
var skipEnv = sync.OnceValues(func() (*cel.Env, error) {
	return cel.NewEnv(append([]cel.EnvOption{
		cel.Variable("event", cel.MapType(cel.StringType, cel.DynType)),
		cel.Variable("customer", cel.MapType(cel.StringType, cel.DynType)),
		cel.Variable("now", cel.TimestampType),
		cel.Variable("contacts", cel.ListType(cel.MapType(cel.StringType, cel.DynType))),
		cel.CrossTypeNumericComparisons(true),
		cel.DefaultUTCTimeZone(true),
	}, historyOptions()...)...)
})

// Contact is one proactive contact a customer received.
type Contact struct {
	At      time.Time
	Channel string
	Flow    string
	Step    string
}

// SkipVars is the fresh state a skip_if expression is evaluated over.
type SkipVars struct {
	Event       *Event
	Customer    *Customer
	LastInbound time.Time
	Now         time.Time
	// EventsSince holds the types of Since, or, when Since was not read
	// (SkipReadsEventData is false), of the events received since the
	// trigger; oldest first.
	EventsSince []string
	// Since holds the events that occurred after the trigger, oldest
	// first, when SkipReadsEventData says the expression reads them.
	Since []*Event
	// Before holds the events before the trigger that SkipEventsBefore
	// asks for, newest first.
	Before   []*Event
	Contacts []Contact
}

// SkipReadsEventsSince reports whether the step's skip_if refers to
// events_since, so that a caller reads the events received since the
// trigger only when they are used.
func (s *Step) SkipReadsEventsSince() bool { return s.reads.since }

// Skip evaluates the step's skip_if; false when it has none.
func (s *Step) Skip(v SkipVars) (bool, error) {
	if s.skipPrg == nil {
		return false, nil
	}
	vars := Vars(v.Event, v.Customer)
	vars["customer"].(map[string]any)["last_inbound_at"] = v.LastInbound
	vars["now"] = v.Now
	types := v.EventsSince
	if types == nil {
		types = []string{}
	}
	vars[typesSinceVar] = types
	vars["events_since"] = eventList(v.Since)
	vars[beforeVar] = eventList(v.Before)
	contacts := make([]map[string]any, len(v.Contacts))
	for i, c := range v.Contacts {
		contacts[i] = map[string]any{"at": c.At, "channel": c.Channel, "flow": c.Flow, "step": c.Step}
	}
	vars["contacts"] = contacts
	ok, err := evalExpr(s.skipPrg, vars)
	if err != nil {
		return false, fmt.Errorf("step %s: skip_if: %w", s.ID, err)
	}
	return ok, nil
}

// Target is what a cancel rule cancels: a flow's pending steps, or one step
// of it when Step is set.
type Target struct {
	Flow string
	Step string
}

// CancelTargets returns what ev cancels: every flow with a matching
// flow-level cancel_on rule, and every step with a matching step-level
// rule. A rule matches when its event equals ev.Type and its if, when
// given, is true for ev and c (nil c: ev.Customer). Whether a pending run
// has the same subject is for the caller to check. Rules whose expression
// fails are left out and named in the error.
func (s *Set) CancelTargets(ev *Event, c *Customer) ([]Target, error) {
	if c == nil {
		c = ev.Customer
	}
	var (
		out  []Target
		errs []error
		vars map[string]any
	)
	match := func(rules []CancelRule, where string) bool {
		for i, r := range rules {
			if r.Event != ev.Type {
				continue
			}
			if r.prg != nil {
				if vars == nil {
					vars = Vars(ev, c)
				}
				ok, err := evalExpr(r.prg, vars)
				if err != nil {
					errs = append(errs, fmt.Errorf("%s: cancel_on[%d].if: %w", where, i, err))
					continue
				}
				if !ok {
					continue
				}
			}
			return true
		}
		return false
	}
	for _, f := range s.flows {
		if match(f.CancelOn, "flow "+f.Name) {
			out = append(out, Target{Flow: f.Name})
			continue
		}
		for i, st := range f.Steps {
			if match(st.CancelOn, fmt.Sprintf("flow %s: steps[%d]", f.Name, i)) {
				out = append(out, Target{Flow: f.Name, Step: st.ID})
			}
		}
	}
	return out, errors.Join(errs...)
}

// Matches reports whether a pending step of flow/step is cancelled by one
// of targets.
func Matches(targets []Target, flow, step string) bool {
	for _, t := range targets {
		if t.Flow == flow && (t.Step == "" || t.Step == step) {
			return true
		}
	}
	return false
}

// Policy holds the rules that hold for every flow of a folder, from its
// policy.yaml: quiet hours and the contact budget.
type Policy struct {
	// Quiet are the customer-local hours no proactive contact goes out.
	Quiet []*Window
	// Budget limits proactive contacts per customer across all flows and
	// channels; nil means no limit.
	Budget *Budget
	// Holdout is the holdout, in basis points, of flows that set none.
	Holdout int
}

// Budget limits how many proactive contacts a customer gets.
type Budget struct {
	// Max contacts in any period of length Per.
	Max int
	Per time.Duration
	// MinGap is the least time between two contacts.
	MinGap time.Duration
	// ServiceMax, when above Max, is the limit for flows with purpose
	// service: they count against the budget but may go past Max up to it.
	ServiceMax int
}

// Limit returns the budget's maximum for a flow of the given purpose.
func (b *Budget) Limit(purpose string) int {
	if purpose == PurposeService && b.ServiceMax > b.Max {
		return b.ServiceMax
	}
	return b.Max
}

// Quiet reports whether t falls in quiet hours, and the quiet window.
func (p *Policy) quiet(t time.Time, loc *time.Location) *Window {
	if p == nil {
		return nil
	}
	for _, w := range p.Quiet {
		if w.Open(t, loc) {
			return w
		}
	}
	return nil
}

// AfterQuiet returns the first instant at or after t outside every quiet
// window, and why it moved ("" when it did not).
func (p *Policy) AfterQuiet(t time.Time, loc *time.Location) (time.Time, string) {
	var why []string
	for i := 0; i < 64; i++ {
		w := p.quiet(t, loc)
		if w == nil {
			break
		}
		next := w.Close(t, loc)
		why = append(why, fmt.Sprintf("quiet hours %s: moved to %s", w.Spec, stamp(next.In(loc))))
		t = next
	}
	return t, strings.Join(why, "; ")
}

// NextBudget returns the first instant at or after t at which one more
// contact fits the budget, given the customer's earlier contacts (any
// order), and why it moved ("" when it did not). limit is the maximum that
// applies (Budget.Limit).
func (b *Budget) NextBudget(t time.Time, contacts []time.Time, limit int) (time.Time, string) {
	if b == nil {
		return t, ""
	}
	var why []string
	for i := 0; i < 64; i++ {
		moved := false
		var last time.Time
		var inPer []time.Time
		for _, c := range contacts {
			if c.After(last) {
				last = c
			}
			if b.Per > 0 && c.After(t.Add(-b.Per)) && !c.After(t) {
				inPer = append(inPer, c)
			}
		}
		if b.MinGap > 0 && !last.IsZero() && t.Before(last.Add(b.MinGap)) {
			t = last.Add(b.MinGap)
			why = append(why, fmt.Sprintf("contact budget: at least %s after the last contact: moved to %s", fmtDur(b.MinGap), t.UTC().Format(time.RFC3339)))
			moved = true
		}
		if limit > 0 && len(inPer) >= limit {
			// The oldest contacts must leave the period first.
			sortTimes(inPer)
			next := inPer[len(inPer)-limit].Add(b.Per)
			if next.After(t) {
				t = next
				why = append(why, fmt.Sprintf("contact budget: %d contacts per %s reached: moved to %s", limit, fmtDur(b.Per), t.UTC().Format(time.RFC3339)))
				moved = true
			}
		}
		if !moved {
			break
		}
	}
	return t, strings.Join(why, "; ")
}

func sortTimes(ts []time.Time) {
	for i := 1; i < len(ts); i++ {
		for j := i; j > 0 && ts[j].Before(ts[j-1]); j-- {
			ts[j], ts[j-1] = ts[j-1], ts[j]
		}
	}
}

// fmtDur writes whole days as "7d" and other durations as Go does.
func fmtDur(d time.Duration) string {
	if d > 0 && d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	}
	return d.String()
}

// Policy returns the folder's policy; never nil.
func (s *Set) Policy() *Policy {
	if s.policy == nil {
		return &Policy{}
	}
	return s.policy
}
