package flows

import (
	"fmt"
	"time"
)

// Planned is one intervention an event would schedule.
type Planned struct {
	Flow     string   `json:"flow"`
	Step     string   `json:"step"`
	Channels []string `json:"channels"`
	// Due is when the step would run, in UTC.
	Due time.Time `json:"due"`
	// DueLocal is Due in RFC 3339 with the offset of the customer's zone.
	DueLocal string `json:"due_local"`
	Timezone string `json:"timezone"`
	Reason   string `json:"reason"`
	// Arm is the customer's arm of the flow: treatment, or control when
	// the flow's holdout would hold the step back.
	Arm string `json:"arm"`
	// Skipped reports a step that would be skipped: too late, or its from
	// cannot be evaluated for the event.
	Skipped bool `json:"skipped,omitempty"`
}

// Simulate returns the interventions ev would schedule at now: every step of
// every flow it triggers, flows by name and steps in flow order. Due times
// are computed in the customer's zone: ev.Customer.Timezone, else defaultTZ,
// else UTC, and counted from each step's Anchor. An event without
// occurred_at occurred at now.
func Simulate(s *Set, ev *Event, now time.Time, defaultTZ string) ([]Planned, error) {
	tz := ""
	if ev.Customer != nil {
		tz = ev.Customer.Timezone
	}
	loc, err := Location(tz, defaultTZ)
	if err != nil {
		return nil, fmt.Errorf("simulate event %s: %w", ev.ID, err)
	}
	if ev.OccurredAt.IsZero() {
		e := *ev
		e.OccurredAt = now
		ev = &e
	}
	flows, err := s.Triggered(ev, ev.Customer)
	if err != nil {
		return nil, fmt.Errorf("simulate event %s: %w", ev.ID, err)
	}
	out := []Planned{}
	for _, f := range flows {
		for _, st := range f.Steps {
			from, err := st.Anchor(ev, ev.Customer, loc)
			p := Plan{At: now, Late: true}
			if err != nil {
				p.Reason = "skipped: " + err.Error()
			} else {
				p = st.Due(from, now, loc, f.StepLateLimit(st))
			}
			out = append(out, Planned{
				Flow:     f.Name,
				Step:     st.ID,
				Channels: st.Channels,
				Due:      p.At.UTC(),
				DueLocal: p.At.In(loc).Format(time.RFC3339),
				Timezone: loc.String(),
				Reason:   p.Reason,
				Skipped:  p.Late,
				Arm:      f.Arm(ev.CustomerID),
			})
		}
	}
	return out, nil
}

// Location returns the time zone for a customer: tz, else defaultTZ, else
// UTC. A zone that does not load is an error; so is "Local", which would
// depend on the host.
func Location(tz, defaultTZ string) (*time.Location, error) {
	name := tz
	if name == "" {
		name = defaultTZ
	}
	if name == "" {
		return time.UTC, nil
	}
	if name == "Local" {
		return nil, fmt.Errorf("load time zone %q: use an IANA name such as Europe/Amsterdam", name)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("load time zone %q: %w", name, err)
	}
	return loc, nil
}
