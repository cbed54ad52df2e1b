// Package flows owns the flow model: what a flow is, how flow files are
// loaded and validated, how trigger and cancel expressions (CEL) are
// evaluated, and when each step of a run is due.
//
// A flow folder holds one or more YAML files (*.yaml, *.yml), each with one or
// more flow documents separated by "---". LoadDir reads them strictly: an
// unknown key, a bad duration, an unknown channel, template or time zone, or
// CEL that does not compile is an error that names file, line and field, and
// every problem is reported at once.
//
// Two files of a flow folder are not flows: policy.yaml holds the rules
// for every flow (quiet hours, the contact budget; see Policy) and
// queues.yaml the contact-centre callback queues (see Queue).
//
// Trigger and cancel conditions are CEL expressions over two maps, event and
// customer (see Vars). Selecting a key that is not there is an error, so
// optional data is guarded with has(): `has(event.data.plan) &&
// event.data.plan != "trial"`.
//
// Step.Due implements the time promises of ahead: calendar days on the
// customer's wall clock, `at` times of day, delivery windows and the late
// limit, with a human-readable reason for every shift. Step.Anchor gives
// the instant a step counts from: the event's occurred_at, or the date its
// `from` expression finds in the event. Simulate runs an event through a
// Set and reports the interventions it would schedule.
//
// The package is pure: it must not import Redis, asynq task code, HTTP
// handlers or any channel implementation, and it never reads the clock
// itself; callers pass the current time in.
package flows
