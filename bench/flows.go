package bench

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Flow names the bench flow and its parts.
const (
	FlowName    = "bench"
	EventType   = "bench.started"
	StepFirst   = "first"
	StepSecond  = "second"
	stepsPerRun = 2
)

// After is how long after the event both steps of the bench flow are due.
// A bench event that occurred After ago is due now; one that occurs now is
// due tomorrow and stays scheduled for the whole run.
const After = 24 * time.Hour

const flowYAML = `# The bench flow: two outbox steps a day after the event, with every guard
# in use, so that the measured path is the one a real flow takes.
flow: bench
description: Two outbox steps a day after the event.
phase: retention
purpose: service
once_per: subject
trigger:
  event: bench.started
  if: 'has(event.data.plan) && event.data.plan != "trial"'
cancel_on:
  - event: bench.stopped
steps:
  - id: first
    after: 1d
    channel: outbox
    template: bench
    skip_if: '"bench.paused" in events_since'
    cancel_on:
      - event: bench.paused
  - id: second
    after: 1d
    channels: [outbox]
    template: bench
    deadline: 2d
    skip_if: 'contacts.exists(c, c.flow == "never-sent")'
`

// policyYAML has quiet hours that never hold during a run (a single hour
// three days away) and a budget that is never used up, so that both guards
// are checked and neither defers a step.
const policyYAML = `quiet_hours:
  - { days: %s, hours: "03:00-04:00" }
budget:
  max: 100
  per: 1d
`

const templateText = `Hello {{.Customer.Name}}, your {{.Event.Data.plan}} plan: step {{.Step.ID}} of {{.Flow.Name}}.
`

// WriteFlows writes the bench flow folder into dir: one flow with two
// outbox steps, a policy and the templates. now picks quiet hours that do
// not fall in the run.
func WriteFlows(dir string, now time.Time) error {
	day := strings.ToLower(now.UTC().Add(72 * time.Hour).Weekday().String()[:3])
	files := map[string]string{
		"bench.yaml":                     flowYAML,
		"policy.yaml":                    fmt.Sprintf(policyYAML, day),
		"templates/bench.outbox.en.tmpl": templateText,
		"templates/bench.outbox.nl.tmpl": templateText,
	}
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return fmt.Errorf("write bench flows: %w", err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			return fmt.Errorf("write bench flows: %w", err)
		}
	}
	return nil
}
