package engine

import (
	"context"

	"github.com/aheadhq/ahead/internal/store"
)

// Queue is the task queue the engine hands work to: a task per event to
// route and per step to run. The tasks package implements it on asynq.
type Queue interface {
	// StepQueue names the queue that holds a customer's step tasks.
	StepQueue(customer string) string
	// Steps queues the step tasks of ivs, each to run at its due time and
	// never before, in one round trip. fresh says the interventions were created just now,
	// so their tasks cannot exist yet.
	Steps(ctx context.Context, ivs []*store.Intervention, fresh bool) error
	// Route queues the task that routes a stored event of customer.
	Route(ctx context.Context, customer, event string) error
	// Drop removes a step task of customer, whatever its state, waiting
	// for its time or queued; a task that is gone already is no error.
	Drop(queue, customer, id string) error
	// DropRoute removes the route task of an event of customer.
	DropRoute(customer, event string) error
}
