// Package tasks holds ahead's asynq task types and their handlers: routing
// an event into runs (event:route) and running one step of a run
// (step:run). One file per task type holds its kind string, payload,
// constructor and handler.
//
// Kind strings are stable and payloads carry a version and references only
// (customer id, event id, intervention id), never personal data. Every
// handler is safe to run more than once for the same task: intervention ids
// and task ids are derived from the event, the flow and the step, and the
// sent-marker is written before the handler returns (and so before asynq
// acknowledges the task).
package tasks
