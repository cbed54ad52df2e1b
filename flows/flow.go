package flows

import (
	"strconv"
	"strings"
	"time"

	"github.com/google/cel-go/cel"
)

// DefaultLateLimit is how long past its due time a step may still run when a
// flow does not set late_limit.
const DefaultLateLimit = 24 * time.Hour

// Purposes a flow may declare. A marketing flow needs the customer's consent;
// a service flow is part of the service the customer bought.
const (
	PurposeService   = "service"
	PurposeMarketing = "marketing"
)

// Phases of the customer journey a flow may belong to.
var Phases = []string{"awareness", "interest", "consideration", "purchase", "retention", "advocacy"}

// Flow is a trigger, optional cancel rules and the steps a run of it plans.
type Flow struct {
	Name        string // yaml: flow
	Description string
	Phase       string // one of Phases, or ""
	Purpose     string // PurposeService (default) or PurposeMarketing
	Trigger     Trigger
	CancelOn    []CancelRule
	// LateLimit is how long past its due time a step may still run; steps
	// due longer ago are skipped as too late. 0: the configured default
	// (defaults.late_limit), else DefaultLateLimit.
	LateLimit time.Duration
	// OncePer limits how often a customer enters the flow: OncePerEvent
	// (default: every triggering event starts a run), OncePerCustomer or
	// OncePerSubject.
	OncePer string
	// ReentryAfter, with OncePer customer or subject, lets the customer
	// enter again once this long has passed since the last entry; 0 never.
	ReentryAfter time.Duration
	Steps        []*Step
	// Holdout is the control group that measures the flow's effect, and
	// Goal the outcome it is measured on (nil: none); see effect.go.
	Holdout Holdout
	Goal    *Goal
	// Source is the flow's YAML document as written; a run keeps the
	// version it started with through it.
	Source []byte
	// Version is a content hash of the flow's YAML document: the first 16
	// hex characters of its SHA-256. It changes whenever the flow's text
	// changes.
	Version string
	File    string // the file the flow was read from
	Line    int    // the line its document starts on
}

// Step returns the step with the given id, or nil.
func (f *Flow) Step(id string) *Step {
	for _, s := range f.Steps {
		if s.ID == id {
			return s
		}
	}
	return nil
}

// StepLateLimit returns the late limit that applies to s: the step's own,
// else the flow's, else DefaultLateLimit.
func (f *Flow) StepLateLimit(s *Step) time.Duration {
	return f.LateLimitOr(s, DefaultLateLimit)
}

// LateLimitOr returns the late limit that applies to s: the step's own,
// else the flow's, else def (0: DefaultLateLimit).
func (f *Flow) LateLimitOr(s *Step, def time.Duration) time.Duration {
	switch {
	case s != nil && s.LateLimit > 0:
		return s.LateLimit
	case f.LateLimit > 0:
		return f.LateLimit
	case def > 0:
		return def
	}
	return DefaultLateLimit
}

// Values of once_per.
const (
	OncePerEvent    = "event"
	OncePerCustomer = "customer"
	OncePerSubject  = "subject"
)

// Trigger starts a run of a flow: an event of type Event for which the CEL
// expression If (when given) is true.
type Trigger struct {
	Event string
	If    string
	prg   cel.Program
}

// CancelRule cancels what is pending of a flow for a customer: an event of
// type Event for which If (when given) is true. When the run was started by
// an event with a subject, only an event with the same subject cancels it.
type CancelRule struct {
	Event string
	If    string
	prg   cel.Program
}

// Step is one planned contact of a flow.
type Step struct {
	ID string
	// After is the nominal delay from the event: AfterDays*24h + AfterClock.
	// The due time counts AfterDays as calendar days on the customer's wall
	// clock and then adds AfterClock as elapsed time; see Due.
	After      time.Duration
	AfterDays  int
	AfterClock time.Duration
	// Before is the nominal lead time before the anchor, counted like
	// After but backwards: BeforeDays calendar days on the customer's wall
	// clock, then BeforeClock elapsed time. A step has After or Before, not
	// both, and Before only with From.
	Before      time.Duration
	BeforeDays  int
	BeforeClock time.Duration
	// From is a CEL expression over event and customer that yields the
	// instant After or Before counts from: a timestamp, an RFC 3339 string
	// or a date (YYYY-MM-DD, local midnight). "" counts from the event's
	// occurred_at. See Anchor.
	From    string
	fromPrg cel.Program
	// At is a local time of day "HH:MM", or "".
	At string
	// Window, when set, limits the step to local opening hours.
	Window *Window
	// Channels in fallback order: the next one is tried on a permanent
	// failure or when the customer cannot be reached on the previous one.
	Channels []string
	Template string
	// Queue is the callback queue, set when a channel is "callback".
	Queue string
	// LateLimit overrides the flow's late limit; 0 means the flow's.
	LateLimit time.Duration
	// CancelOn are cancel rules of this step alone, on top of the flow's.
	CancelOn []CancelRule
	// SkipIf is a CEL expression evaluated when the step is due, over fresh
	// state; true skips the step. See SkipVars.
	SkipIf  string
	skipPrg cel.Program
	reads   skipReads // what skip_if reads of the customer's other events
	// Debounce collapses triggers: while the step is pending, a new
	// triggering event for the same customer (and subject) does not plan a
	// second contact but hands its data to the pending one, which waits
	// Debounce after its due time for more.
	Debounce time.Duration
	// Deadline is how long past its due time a step may be deferred by
	// quiet hours or the contact budget before it is skipped; 0 means the
	// late limit.
	Deadline time.Duration
	Line     int

	afterText  string // after as written in the flow
	beforeText string // before as written in the flow
}

// Window is a set of weekly opening hours in the customer's local time. It
// is open when the local weekday is in Days and the local clock reads a time
// in [Start, End).
type Window struct {
	// Days are the weekdays the window opens on, indexed by time.Weekday.
	Days [7]bool
	// Start and End are minutes since midnight. End may be 1440 (24:00).
	// An End before Start runs past midnight; the opening belongs to the
	// day it starts on.
	Start, End int
	// Spec is the window as text, e.g. "mon-fri 09:00-17:00".
	Spec string
}

// AfterText returns the step's delay as written ("2d", "1d6h"), or a
// normalised form when the step was not loaded from YAML.
func (s *Step) AfterText() string {
	if s.afterText != "" {
		return s.afterText
	}
	if s.AfterDays == 0 && s.AfterClock == 0 {
		return formatAfter(0, s.After)
	}
	return formatAfter(s.AfterDays, s.AfterClock)
}

func formatAfter(days int, clock time.Duration) string {
	var b strings.Builder
	if days > 0 {
		b.WriteString(strconv.Itoa(days) + "d")
	}
	if h := int(clock / time.Hour); h > 0 {
		b.WriteString(strconv.Itoa(h) + "h")
	}
	if m := int(clock % time.Hour / time.Minute); m > 0 {
		b.WriteString(strconv.Itoa(m) + "m")
	}
	if b.Len() == 0 {
		return "0m"
	}
	return b.String()
}
