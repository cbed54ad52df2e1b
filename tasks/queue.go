package tasks

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/aheadhq/ahead/engine"
	"github.com/aheadhq/ahead/internal/asynqx"
	"github.com/aheadhq/ahead/internal/clock"
	"github.com/aheadhq/ahead/internal/store"
)

// Queue is the engine's task queue on asynq (see engine.Queue).
type Queue struct {
	rdb       redis.UniversalClient
	client    *asynq.Client
	inspector *asynq.Inspector
	clock     clock.Clock
	shards    int
	maxRetry  int
}

// NewQueue returns the asynq task queue on rdb: step tasks spread over
// shards step queues, retried up to maxRetry times (default 8), and due at
// their intervention's due time on clk.
func NewQueue(rdb redis.UniversalClient, clk clock.Clock, shards, maxRetry int) *Queue {
	if clk == nil {
		clk = clock.Real{}
	}
	if maxRetry <= 0 {
		maxRetry = 8
	}
	return &Queue{
		rdb: rdb, client: asynq.NewClientFromRedisClient(rdb), inspector: asynq.NewInspectorFromRedisClient(rdb),
		clock: clk, shards: max(shards, 1), maxRetry: maxRetry,
	}
}

// StepQueue names the step queue shard of customer.
func (q *Queue) StepQueue(customer string) string { return StepQueue(customer, q.shards) }

// Steps queues the step tasks of ivs in one round trip.
func (q *Queue) Steps(ctx context.Context, ivs []*store.Intervention, fresh bool) error {
	ts := make([]asynqx.Task, len(ivs))
	for i, iv := range ivs {
		id := iv.TaskID
		if id == "" {
			id = iv.ID
		}
		p := StepPayload{V: 1, Customer: iv.Customer, Intervention: iv.ID, Event: iv.EventID}
		if !iv.Occurred.IsZero() {
			p.Occurred = iv.Occurred.UnixMilli()
		}
		b, _ := json.Marshal(p)
		ts[i] = asynqx.Task{Type: TypeStep, Payload: b, ID: id, Queue: iv.TaskQueue, Retry: q.maxRetry, ProcessAt: q.clock.Wall(iv.Due), New: fresh && id == iv.ID}
	}
	_, err := asynqx.Queue(ctx, q.rdb, time.Now(), ts)
	return err
}

// Route queues the task that routes an event; one queued already is fine.
func (q *Queue) Route(ctx context.Context, customer, event string) error {
	t, opts := NewRouteTask(customer, event)
	if _, err := q.client.EnqueueContext(ctx, t, opts...); err != nil && !conflict(err) {
		return err
	}
	return nil
}

// Drop removes a queued task, whatever its state.
func (q *Queue) Drop(queue, id string) error {
	err := q.inspector.DeleteTask(queue, id)
	if err != nil && !errors.Is(err, asynq.ErrTaskNotFound) && !errors.Is(err, asynq.ErrQueueNotFound) {
		return err
	}
	return nil
}

// DropRoute removes the route task of an event.
func (q *Queue) DropRoute(customer, event string) error {
	return q.Drop(QueueEvents, engine.RouteTaskID(customer, event))
}

// conflict reports an enqueue refused because the task id is taken.
func conflict(err error) bool {
	return errors.Is(err, asynq.ErrTaskIDConflict) || errors.Is(err, asynq.ErrDuplicateTask)
}
