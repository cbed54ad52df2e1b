// Package tasks is ahead's asynq layer: the task kinds with their
// payloads and constructors (event:route routes one accepted event,
// step:run runs one intervention at its due time), thin handlers that
// decode a task and call the engine, the engine's Queue on asynq with the
// due indexes a step waits in until its time and the promoter that moves
// due steps into their queue (promote.go), the migration of step tasks an
// earlier version scheduled in asynq (migrate.go), and the queue names and
// shards a worker serves.
//
// Kind strings are stable and payloads carry a version and references only
// (customer id, event id, intervention id), never personal data. A payload
// that cannot be read, or of an unknown version, is never retried. Every
// handler is safe to run more than once for the same task: task ids are
// derived from the event, the flow and the step. The package holds no
// business rules: those are the engine's.
package tasks
