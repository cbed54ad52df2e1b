// Package store keeps ahead's own state in Redis: customer profiles, the
// events received (one hash per customer, events.go), the interventions
// with their states (one hash of records per customer, record.go), the
// journal (timeline, with the entries made from state in timeline.go),
// the due indexes of the step queues (due.go), the callback queues, the
// outbox, the goal windows and effect counters of measured flows
// (effect.go), and the move from an earlier layout (layout.go).
//
// Every key of one customer carries that customer's hash tag
// (ahead:{cus_123}:…), so a customer's keys live in one Redis Cluster slot and
// the state changes that must be atomic (is it cancelled? mark it sent) run as
// one Lua script or MULTI on that slot. A due index shares its step
// queue's tag instead, so that promoting a step is one script with asynq's
// keys. The package knows nothing of asynq's formats,
// flows' scheduling rules or channels' providers; it stores and answers.
package store
