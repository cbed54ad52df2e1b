package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/aheadhq/ahead/engine"
	"github.com/aheadhq/ahead/tasks"
)

// The lean layout is ahead's store layout cut to the least a step needs,
// written here with plain pipelined commands and none of ahead's code, to
// measure what it costs Redis: the ceiling of any record ahead could keep,
// as the replay is the ceiling of the records it keeps. Per
// customer: the profile hash as ahead writes it; one hash of the
// customer's events, each its JSON with its receipt but without the
// customer block the profile holds; one hash of compact intervention
// records (flow, version, step, trigger event, due and plan time in ms,
// state, the plan's rule), from which the pending index and the
// "scheduled" entries would be made and whose plan reason would be made
// again from the flow version; the skip_if and once_per keys as ahead
// writes them. Per step: its member in its queue's due index. Its key
// names are ahead's with "lean:" for "ahead:".

// leanVersion stands for a flow version, as long as ahead's.
const leanVersion = "95d5a780382a33f6"

// leanEvent is what the lean layout keeps of an event.
type leanEvent struct {
	ID         string         `json:"id"`
	Type       string         `json:"type"`
	OccurredAt time.Time      `json:"occurred_at"`
	Subject    string         `json:"subject,omitempty"`
	Data       map[string]any `json:"data,omitempty"`
	ReceivedNS int64          `json:"received_ns"`
}

// leanWrite queues the lean layout's writes for bench event i.
func (r *run) leanWrite(ctx context.Context, p redis.Pipeliner, i int, now time.Time) error {
	ev := event("lean", i, now)
	cus := "lean:{" + ev.CustomerID + "}:"
	b, err := json.Marshal(leanEvent{ID: ev.ID, Type: ev.Type, OccurredAt: ev.OccurredAt,
		Subject: ev.Subject, Data: ev.Data, ReceivedNS: now.UnixNano()})
	if err != nil {
		return err
	}
	prof := engine.ProfileFields(ev.Customer)
	fields := make([]any, 0, 2*len(prof))
	for k, v := range prof {
		fields = append(fields, k, v)
	}
	p.HSet(ctx, cus+"profile", fields...)
	p.HSet(ctx, cus+"events", ev.ID, b)
	p.ZAdd(ctx, cus+"recent", redis.Z{Score: float64(ev.OccurredAt.UnixMilli()), Member: ev.Type + "|" + ev.ID})
	p.HSetNX(ctx, cus+"entered", FlowName+"|"+ev.Subject, "run_"+ev.ID)
	due := strconv.FormatInt(ev.OccurredAt.Add(After).UnixMilli(), 36)
	at := strconv.FormatInt(now.UnixMilli(), 36)
	queue := tasks.StepQueue(ev.CustomerID, r.o.Shards)
	for _, step := range [stepsPerRun]string{StepFirst, StepSecond} {
		id := engine.InterventionID(ev.CustomerID, ev.ID, FlowName, step)
		rec := FlowName + "|" + leanVersion + "|" + step + "|" + ev.ID + "|" + due + "|s|" + at + "|after"
		p.HSet(ctx, cus+"ivs", id, rec)
		p.ZAdd(ctx, "lean:{"+queue+"}:due", redis.Z{Score: float64(ev.OccurredAt.Add(After).UnixMilli()), Member: id + "|" + ev.CustomerID})
	}
	return nil
}

// lean writes the lean layout for N bench events, in pipelines of B
// events from C goroutines, measured: the rate, the memory per step, and
// each beside the hand-built app.
func (r *run) lean(ctx context.Context) error {
	if err := r.flush(ctx); err != nil {
		return err
	}
	before, err := usedMemory(ctx, r.admin)
	if err != nil {
		return err
	}
	now := time.Now()
	batches := (r.o.N + r.o.Batch - 1) / r.o.Batch
	c, err := r.measure(ctx, "", func() error {
		return parallel(ctx, batches, r.o.C, func(ctx context.Context, b int) error {
			_, err := r.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
				for i := b * r.o.Batch; i < min((b+1)*r.o.Batch, r.o.N); i++ {
					if err := r.leanWrite(ctx, p, i, now); err != nil {
						return err
					}
				}
				return nil
			})
			return err
		})
	})
	if err != nil {
		return fmt.Errorf("lean layout: %w", err)
	}
	after, err := usedMemory(ctx, r.admin)
	if err != nil {
		return err
	}
	steps := float64(stepsPerRun * r.o.N)
	rate := steps / c.elapsed.Seconds()
	bytes := float64(after-before) / steps
	r.res.add("lean", "steps_per_sec", rate, 1)
	r.res.add("lean", "bytes_per_step", bytes, 0)
	r.res.add("lean", "redis_cpu_us_per_event", us(c.redis)/float64(r.o.N), 1)
	r.res.add("lean", "ingest_vs_handbuilt_enqueue", ratio(rate, r.res.Get("handbuilt", "enqueue_per_sec")), 3)
	r.res.add("lean", "memory_vs_handbuilt", ratio(bytes, r.res.Get("memory", "handbuilt_bytes_per_task")), 3)
	return nil
}
