// Package engine decides what happens to an event and to a step. It owns
// intake (one path for posted events and the events ahead raises itself),
// routing and planning (which flows an event starts or cancels, and when
// each step is due in the customer's time zone), the step run with its
// guards (one file each: deadline, skip_if, quiet hours, window, budget,
// consent, holdout), sending over the channels with fallback, provider
// delivery reports, inbound messages, cancellation, erasure, the typed
// Profile, and the measurement of a flow's effect: arms of its holdout,
// goal events counted per run (goal.go) and the report (report.go).
//
// The engine hands work to a task queue through the Queue interface and
// never names the queue's technology: it must not import asynq, net/http
// or the HTTP API. It reaches Redis only through internal/store.
package engine
