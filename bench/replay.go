package bench

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/aheadhq/ahead/tasks"
)

// A replay sends Redis exactly the round trips ahead sent during ingest or
// dispatch, with none of ahead's own work in between: no HTTP, no JSON, no
// CEL, no templates. Its rate is the most ahead could reach with the data
// it keeps, if its code took no time at all, beside the same raw asynq and
// hand-built app.

// trip is one recorded round trip: a command, or a whole pipeline.
type trip [][]any

// recording keeps the round trips of a measured stretch, in the order sent,
// and for dispatch, by the asynq task they were sent for.
type recording struct {
	mu     sync.Mutex
	trips  []trip
	byTask map[string][]trip
}

// add records t. With byTask set, round trips sent outside a task handler
// (asynq's own: dequeue, done, heartbeats) are left out: the replaying
// server sends its own.
func (rc *recording) add(ctx context.Context, t trip) {
	if name, _ := t[0][0].(string); connSetup[strings.ToLower(name)] {
		return
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if rc.byTask == nil {
		rc.trips = append(rc.trips, t)
		return
	}
	if id, ok := asynq.GetTaskID(ctx); ok {
		rc.byTask[id] = append(rc.byTask[id], t)
	}
}

// connSetup names the commands a client sends on a new connection; the
// replaying client sends its own.
var connSetup = map[string]bool{"hello": true, "client": true, "auth": true, "select": true}

// record starts recording what the counted client sends; stop with
// r.trips.rec.Store(nil).
func (r *run) record(byTask bool) *recording {
	rc := &recording{}
	if byTask {
		rc.byTask = map[string][]trip{}
	}
	r.trips.rec.Store(rc)
	return rc
}

// send replays one round trip on rdb. A nil reply is an answer, as it was
// when first sent.
func send(ctx context.Context, rdb *redis.Client, t trip) error {
	var err error
	if len(t) == 1 {
		err = rdb.Do(ctx, t[0]...).Err()
	} else {
		_, err = rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for _, args := range t {
				p.Do(ctx, args...)
			}
			return nil
		})
	}
	if errors.Is(err, redis.Nil) {
		return nil
	}
	return err
}

// replayIngest runs ingest once more, unmeasured, recording every round
// trip; then it sends them again on an empty database, from C clients in
// the order first sent, measured, and checks that they scheduled every
// step again.
func (r *run) replayIngest(ctx context.Context) error {
	if err := r.flush(ctx); err != nil {
		return err
	}
	node, post, err := r.ingestion(ctx, "")
	if err != nil {
		return err
	}
	rc := r.record(false)
	err = post()
	r.trips.rec.Store(nil)
	if stop := node.Stop(); err == nil {
		err = stop
	}
	if err != nil {
		return fmt.Errorf("record ingest: %w", err)
	}
	if err := r.flush(ctx); err != nil {
		return err
	}
	c, err := r.measure(ctx, "", func() error {
		return parallel(ctx, len(rc.trips), r.o.C, func(ctx context.Context, i int) error {
			return send(ctx, r.rdb, rc.trips[i])
		})
	})
	if err != nil {
		return fmt.Errorf("replay ingest: %w", err)
	}
	if s, _, err := r.queued(); err != nil {
		return err
	} else if want := stepsPerRun * r.o.N; s != want {
		return fmt.Errorf("replay ingest: %d step tasks scheduled, want %d", s, want)
	}
	n := float64(r.o.N)
	rate := stepsPerRun * n / c.elapsed.Seconds()
	r.res.add("replay", "ingest_steps_per_sec", rate, 1)
	r.res.add("replay", "ingest_redis_cpu_us_per_event", us(c.redis)/n, 1)
	r.replayRatios(rate, infoIngest, targetIngest)
	return nil
}

// replayDispatch runs dispatch once more, unmeasured, recording the round
// trips of each step task's handler. Then it prepares the same due
// interventions again (their ids follow from the events) and runs a plain
// asynq server of concurrency K on ahead's step queues, measured, whose
// handler sends for each step task the round trips ahead's handler sent.
func (r *run) replayDispatch(ctx context.Context) error {
	if err := r.flush(ctx); err != nil {
		return err
	}
	count, err := r.prepareDue(ctx, "")
	if err != nil {
		return err
	}
	rc := r.record(true)
	err = r.sendDue(ctx, count)
	r.trips.rec.Store(nil)
	if err != nil {
		return fmt.Errorf("record dispatch: %w", err)
	}
	if err := r.flush(ctx); err != nil {
		return err
	}
	if count, err = r.prepareDue(ctx, ""); err != nil {
		return err
	}
	if len(rc.byTask) != count {
		return fmt.Errorf("replay dispatch: recorded %d step tasks, want %d", len(rc.byTask), count)
	}
	var missing atomic.Int64
	queues := map[string]int{}
	for _, q := range r.stepQueues() {
		queues[q] = 1
	}
	c, err := r.serve(ctx, queues, tasks.TypeStep, count, func(ctx context.Context, t *asynq.Task) error {
		id, _ := asynq.GetTaskID(ctx)
		trips, ok := rc.byTask[id]
		if !ok {
			missing.Add(1)
		}
		for _, tr := range trips {
			if err := send(ctx, r.rdb, tr); err != nil {
				return err
			}
		}
		return nil
	})
	// The handler that reads the recording stays reachable after its
	// server shut down; free the recording (about 100 MB at N = 20,000),
	// or every garbage collection of the measurements after this one
	// scans it, and they measure ahead's CPU per event half as large again.
	rc.mu.Lock()
	rc.byTask = nil
	rc.mu.Unlock()
	if err != nil {
		return fmt.Errorf("replay dispatch: %w", err)
	}
	if m := missing.Load(); m > 0 {
		return fmt.Errorf("replay dispatch: %d step tasks had no recorded round trips", m)
	}
	per := float64(count)
	rate := per / c.elapsed.Seconds()
	r.res.add("replay", "dispatch_per_sec", rate, 1)
	r.res.add("replay", "dispatch_redis_cpu_us_per_step", us(c.redis)/per, 1)
	r.replayRatios(rate, infoDispatch, targetDispatch)
	return nil
}

// replayRatios adds to the group "replay" the replayed rate over the
// baseline of each ratio of ts, measured earlier in the round: beside the
// id-only asynq baseline and beside the hand-built app.
func (r *run) replayRatios(rate float64, ts ...Target) {
	for _, t := range ts {
		r.res.add("replay", t.Name, ratio(rate, r.res.baseline(t.Name)), 3)
	}
}
