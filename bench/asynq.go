package bench

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hibiken/asynq"
)

// rawQueue and rawType are the queue and kind of the raw asynq tasks.
const (
	rawQueue = "bench"
	rawType  = "bench:noop"
)

// rawPayload is shaped like ahead's step payload, so that the raw task and
// ahead's step task carry as much.
func rawPayload(i int) []byte {
	h := sha256.Sum256([]byte(strconv.Itoa(i)))
	b, _ := json.Marshal(struct {
		V            int    `json:"v"`
		Customer     string `json:"customer_id"`
		Intervention string `json:"intervention_id"`
	}{1, fmt.Sprintf("cus_raw_%07d", i), "iv_" + hex.EncodeToString(h[:])[:24]})
	return b
}

// parallel runs fn(i) for i in [0, n) on c goroutines and returns the
// first error.
func parallel(ctx context.Context, n, c int, fn func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var next atomic.Int64
	var once sync.Once
	var first error
	var wg sync.WaitGroup
	for range c {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				if err := fn(ctx, i); err != nil {
					once.Do(func() { first = err; cancel() })
					return
				}
			}
		})
	}
	wg.Wait()
	if first == nil && ctx.Err() != nil {
		return ctx.Err()
	}
	return first
}

// rawTasks are the N raw tasks.
func (r *run) rawTasks() []*asynq.Task {
	tasks := make([]*asynq.Task, r.o.N)
	for i := range tasks {
		tasks[i] = asynq.NewTask(rawType, rawPayload(i))
	}
	return tasks
}

// asynqEnqueue enqueues N scheduled tasks one by one from C goroutines, as
// an application on plain asynq would, and measures the rate and the
// memory each task takes.
func (r *run) asynqEnqueue(ctx context.Context) error {
	return r.enqueueMeasured(ctx, "asynq", "asynq_bytes_per_task", rawQueue, r.rawTasks())
}

// enqueueMeasured enqueues tasks due tomorrow into queue on an empty
// database, as enqueue does, and adds to group the rate, round trips and
// CPU time per task, and to the group "memory" the figure mem: the Redis
// memory each task takes.
func (r *run) enqueueMeasured(ctx context.Context, group, mem, queue string, tasks []*asynq.Task) error {
	if err := r.flush(ctx); err != nil {
		return err
	}
	before, err := usedMemory(ctx, r.admin)
	if err != nil {
		return err
	}
	c, err := r.enqueue(ctx, queue, tasks)
	if err != nil {
		return err
	}
	after, err := usedMemory(ctx, r.admin)
	if err != nil {
		return err
	}
	n := float64(len(tasks))
	r.res.add(group, "enqueue_per_sec", n/c.elapsed.Seconds(), 1)
	r.res.add(group, "enqueue_roundtrips_per_task", float64(c.trips)/n, 2)
	r.res.add(group, "enqueue_client_cpu_us_per_task", us(c.self)/n, 1)
	r.res.add(group, "enqueue_redis_cpu_us_per_task", us(c.redis)/n, 1)
	r.res.add("memory", mem, float64(after-before)/n, 0)
	return nil
}

// asynqEnqueueBeside enqueues N scheduled raw tasks, as asynqEnqueue does,
// into the first step queue, which holds its share of the preload: raw
// asynq meets a scheduled set as large as each of ahead's.
func (r *run) asynqEnqueueBeside(ctx context.Context) error {
	c, err := r.enqueue(ctx, r.stepQueues()[0], r.rawTasks())
	if err != nil {
		return err
	}
	n := float64(r.o.N)
	r.res.add("preload", "asynq_enqueue_per_sec", n/c.elapsed.Seconds(), 1)
	r.res.add("preload", "asynq_enqueue_redis_cpu_us_per_task", us(c.redis)/n, 1)
	return nil
}

// enqueue enqueues tasks due tomorrow into queue, one by one from C
// goroutines, measured.
func (r *run) enqueue(ctx context.Context, queue string, tasks []*asynq.Task) (*cost, error) {
	c, err := r.measure(ctx, "", func() error {
		return r.enqueueAll(ctx, tasks, asynq.Queue(queue), asynq.ProcessIn(After))
	})
	if err != nil {
		return nil, fmt.Errorf("enqueue: %w", err)
	}
	return c, nil
}

// enqueueAll enqueues tasks with opts, one by one from C goroutines, as an
// application on plain asynq does.
func (r *run) enqueueAll(ctx context.Context, tasks []*asynq.Task, opts ...asynq.Option) error {
	client := asynq.NewClientFromRedisClient(r.rdb)
	return parallel(ctx, len(tasks), r.o.C, func(ctx context.Context, i int) error {
		_, err := client.EnqueueContext(ctx, tasks[i], opts...)
		return err
	})
}

// asynqProcess enqueues N tasks and measures how fast a server of
// concurrency K runs them with a handler that does nothing.
func (r *run) asynqProcess(ctx context.Context) error {
	return r.processMeasured(ctx, "asynq", rawQueue, r.rawTasks(), func(context.Context, *asynq.Task) error { return nil })
}

// processMeasured enqueues tasks due now into queue on an empty database,
// unmeasured, then measures how fast a server of concurrency K runs them
// all with handle, and adds to group the rate, round trips and CPU time
// per task. The tasks are all of one type.
func (r *run) processMeasured(ctx context.Context, group, queue string, tasks []*asynq.Task, handle asynq.HandlerFunc) error {
	if err := r.flush(ctx); err != nil {
		return err
	}
	if err := r.enqueueAll(ctx, tasks, asynq.Queue(queue)); err != nil {
		return fmt.Errorf("enqueue: %w", err)
	}
	c, err := r.serve(ctx, map[string]int{queue: 1}, tasks[0].Type(), len(tasks), handle)
	if err != nil {
		return err
	}
	per := float64(len(tasks))
	r.res.add(group, "process_per_sec", per/c.elapsed.Seconds(), 1)
	r.res.add(group, "process_roundtrips_per_task", float64(c.trips)/per, 2)
	r.res.add(group, "process_worker_cpu_us_per_task", us(c.self)/per, 1)
	r.res.add(group, "process_redis_cpu_us_per_task", us(c.redis)/per, 1)
	return nil
}

// serve runs an asynq server of concurrency K on queues, with handle for
// tasks of type typ, measured from its start until handle has returned
// nil n times.
func (r *run) serve(ctx context.Context, queues map[string]int, typ string, n int, handle asynq.HandlerFunc) (*cost, error) {
	var done atomic.Int64
	all := make(chan struct{})
	mux := asynq.NewServeMux()
	mux.HandleFunc(typ, func(ctx context.Context, t *asynq.Task) error {
		if err := handle(ctx, t); err != nil {
			return err
		}
		if done.Add(1) == int64(n) {
			close(all)
		}
		return nil
	})
	srv := asynq.NewServerFromRedisClient(r.rdb, asynq.Config{
		Concurrency: r.o.K, Queues: queues,
		DelayedTaskCheckInterval: r.o.Poll, Logger: quiet{}, LogLevel: asynq.FatalLevel,
	})
	defer srv.Shutdown()
	return r.measure(ctx, "", func() error {
		if err := srv.Start(mux); err != nil {
			return fmt.Errorf("start server: %w", err)
		}
		select {
		case <-all:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(timeout(n)):
			return fmt.Errorf("ran %d of %d tasks in %s", done.Load(), n, timeout(n))
		}
	})
}

// timeout bounds a measurement of n items: generous, for a loaded machine.
func timeout(n int) time.Duration {
	return time.Minute + time.Duration(n)*5*time.Millisecond
}

// quiet drops asynq's log lines.
type quiet struct{}

func (quiet) Debug(...any) {}
func (quiet) Info(...any)  {}
func (quiet) Warn(...any)  {}
func (quiet) Error(...any) {}
func (quiet) Fatal(...any) {}
