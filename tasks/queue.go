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

// Queue is the engine's task queue on asynq (see engine.Queue). A step
// task that is not due yet waits in its queue's due index (see
// store.Due); Promote moves it into the queue when its time comes, so
// that asynq holds a step task only from then until it is done.
type Queue struct {
	rdb       redis.UniversalClient
	due       *store.DueStore
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
		rdb: rdb, due: store.New(rdb).DueStore, client: asynq.NewClientFromRedisClient(rdb), inspector: asynq.NewInspectorFromRedisClient(rdb),
		clock: clk, shards: max(shards, 1), maxRetry: maxRetry,
	}
}

// StepQueue names the step queue shard of customer.
func (q *Queue) StepQueue(customer string) string { return StepQueue(customer, q.shards) }

// Steps queues the step tasks of ivs in one round trip: those due now in
// their queue, the others in its due index. fresh says the interventions
// were created just now, so that their tasks cannot exist yet.
func (q *Queue) Steps(ctx context.Context, ivs []*store.Intervention, fresh bool) error {
	now := time.Now()
	var ts []asynqx.Task
	var due []store.Due
	for _, iv := range ivs {
		at := q.clock.Wall(iv.Due)
		if at.After(now) {
			due = append(due, store.Due{Queue: iv.TaskQueue, Task: iv.Task(), Customer: iv.Customer, At: at})
			continue
		}
		t := stepTask(iv.TaskQueue, iv.Task(), iv.Customer, iv.ID, store.Trigger{Event: iv.EventID, Occurred: iv.Occurred}, q.maxRetry)
		t.New = fresh && t.ID == iv.ID
		ts = append(ts, t)
	}
	if err := q.due.AddDue(ctx, due); err != nil {
		return err
	}
	_, err := asynqx.Queue(ctx, q.rdb, now, ts)
	return err
}

// stepTask returns the step task of intervention id of customer, with
// task id task in queue.
func stepTask(queue, task, customer, id string, tr store.Trigger, maxRetry int) asynqx.Task {
	p := StepPayload{V: 1, Customer: customer, Intervention: id, Event: tr.Event}
	if !tr.Occurred.IsZero() {
		p.Occurred = tr.Occurred.UnixMilli()
	}
	b, _ := json.Marshal(p)
	return asynqx.Task{Type: TypeStep, Payload: b, ID: task, Queue: queue, Retry: maxRetry}
}

// Route queues the task that routes an event; one queued already is fine.
func (q *Queue) Route(ctx context.Context, customer, event string) error {
	t, opts := NewRouteTask(customer, event)
	if _, err := q.client.EnqueueContext(ctx, t, opts...); err != nil && !conflict(err) {
		return err
	}
	return nil
}

// Drop removes a step task of customer, whatever its state: from the due
// index or, when it is not waiting there, from its queue. A task taken
// out of the due index was not queued since it was put in; should a
// retried route have put it back while its task was queued, that task
// finds its intervention ended.
func (q *Queue) Drop(queue, customer, id string) error {
	waited, err := q.due.RemoveDue(context.Background(), store.Due{Queue: queue, Task: id, Customer: customer})
	if err != nil || waited {
		return err
	}
	return q.delete(queue, id)
}

// DropRoute removes the route task of an event.
func (q *Queue) DropRoute(customer, event string) error {
	return q.delete(QueueEvents, engine.RouteTaskID(customer, event))
}

// delete removes a queued task; one that is gone is no error.
func (q *Queue) delete(queue, id string) error {
	err := q.inspector.DeleteTask(queue, id)
	if err != nil && !errors.Is(err, asynq.ErrTaskNotFound) && !errors.Is(err, asynq.ErrQueueNotFound) {
		return err
	}
	return nil
}

// conflict reports an enqueue refused because the task id is taken.
func conflict(err error) bool {
	return errors.Is(err, asynq.ErrTaskIDConflict) || errors.Is(err, asynq.ErrDuplicateTask)
}

// Task returns step task id of customer in queue: one that waits in the
// due index is scheduled at its due time, with the payload its promotion
// will give it. It returns asynq.ErrTaskNotFound when the task is in
// neither.
func (q *Queue) Task(ctx context.Context, queue, customer, id string) (*asynq.TaskInfo, error) {
	d := store.Due{Queue: queue, Task: id, Customer: customer}
	at, ok, err := q.due.DueAt(ctx, d)
	if err != nil {
		return nil, err
	}
	if !ok {
		ti, err := q.inspector.GetTaskInfo(queue, id)
		if errors.Is(err, asynq.ErrQueueNotFound) {
			return nil, asynq.ErrTaskNotFound
		}
		return ti, err
	}
	d.At = at
	out, err := q.infos(ctx, []store.Due{d})
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

// Waiting returns up to limit step tasks of queue that wait in its due
// index, from offset, the earliest first (see Task).
func (q *Queue) Waiting(ctx context.Context, queue string, offset, limit int) ([]*asynq.TaskInfo, error) {
	due, err := q.due.Dues(ctx, queue, offset, limit)
	if err != nil {
		return nil, err
	}
	return q.infos(ctx, due)
}

// infos describes tasks in a due index as asynq does its tasks.
func (q *Queue) infos(ctx context.Context, due []store.Due) ([]*asynq.TaskInfo, error) {
	ts, err := q.build(ctx, due)
	if err != nil {
		return nil, err
	}
	out := make([]*asynq.TaskInfo, len(due))
	for i, d := range due {
		t := ts[i]
		out[i] = &asynq.TaskInfo{ID: d.Task, Queue: d.Queue, Type: t.Type, Payload: t.Payload,
			State: asynq.TaskStateScheduled, NextProcessAt: d.At, MaxRetry: q.maxRetry}
	}
	return out, nil
}

// Queues lists the queues asynq knows (for metrics.DueReader).
func (q *Queue) Queues() ([]string, error) { return q.inspector.Queues() }

// GetQueueInfo reads a queue's counts from asynq (for metrics.DueReader).
func (q *Queue) GetQueueInfo(queue string) (*asynq.QueueInfo, error) {
	return q.inspector.GetQueueInfo(queue)
}

// Due counts the step tasks that wait in queue's due index; the events
// queue has none.
func (q *Queue) Due(queue string) (int64, bool, error) {
	if queue == QueueEvents {
		return 0, false, nil
	}
	n, err := q.due.DueCount(context.Background(), queue)
	return n, true, err
}
