// Package bench measures ahead beside two baselines on plain asynq on the
// same Redis, in one run: the hand-built app a team without ahead would
// write (tasks that carry their message's data, a handler that renders,
// marks sent and sends), whose ratios have targets, and id-only tasks with
// a handler that does nothing, for comparison. It measures how fast events
// become scheduled steps, how fast due interventions are sent, how much
// Redis memory one scheduled intervention takes, and how late (or early) a
// step runs beside its due time. `ahead bench` prints the figures.
//
// Bench owns the Redis database it is given: it must be empty at the start,
// and bench flushes it between measurements and at the end. It runs ahead
// through a Starter, so that the API and the worker it measures are the
// ones `ahead serve` runs. It asserts nothing about speed; it reports.
package bench
