// Package asynqx queues many asynq tasks in one Redis round trip, promotes
// due tasks from a due index into their queue in one atomic script
// (Promote), and moves tasks asynq holds as scheduled into a due index
// (the migration's part, migrate.go).
//
// asynq's client queues one task per call and per round trip. Routing a
// batch of events plans many steps at once; asynqx writes their tasks in
// one pipeline, with the same Lua scripts and the same task encoding as
// asynq's own client (hibiken/asynq v0.26: a TaskMessage protobuf in
// asynq:{QUEUE}:t:ID, the ID in the queue's scheduled set or pending list).
// A test checks that asynq's inspector and server read these tasks exactly
// like tasks asynq queued itself, so an asynq upgrade that changes the
// format fails the tests rather than production.
//
// It covers what ahead uses: a task id, a queue, a retry count, a process
// time, the default 30-minute timeout. No uniqueness locks, groups or
// retention.
package asynqx
