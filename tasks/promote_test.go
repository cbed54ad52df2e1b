package tasks

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/redis/go-redis/v9"

	"github.com/aheadhq/ahead/engine"
	"github.com/aheadhq/ahead/internal/metrics"
	"github.com/aheadhq/ahead/internal/redistest"
	"github.com/aheadhq/ahead/internal/store"
)

func TestIntervention(t *testing.T) {
	t.Parallel()
	for task, want := range map[string]string{
		"iv_abc":      "iv_abc",
		"iv_abc-d1":   "iv_abc",
		"iv_abc-d12":  "iv_abc",
		"iv_abc-d":    "iv_abc-d",
		"iv_abc-dx":   "iv_abc-dx",
		"iv_a-d2-d3":  "iv_a-d2",
		"-d1":         "-d1",
		"iv_abc-d1x2": "iv_abc-d1x2",
		"iv_abc-f1":   "iv_abc",
		"iv_abc-f":    "iv_abc-f",
		"iv_abc-x1":   "iv_abc-x1",
	} {
		if got := Intervention(task); got != want {
			t.Errorf("Intervention(%q) = %q, want %q", task, got, want)
		}
	}
}

// scheduled routes a welcome event for cus (two steps, days ahead) and
// returns its interventions' ids, the reassurance (due first) first.
func (b *bundle) scheduled(t *testing.T, cus string) []string {
	t.Helper()
	b.route(t, subscriber("evt_1", cus, "", anna()))
	return []string{
		engine.InterventionID(cus, "evt_1", "welcome", "reassurance"),
		engine.InterventionID(cus, "evt_1", "welcome", "invoice"),
	}
}

// A step task waits in the due index until its due time has passed, to
// the millisecond, and then becomes a pending task that names its
// trigger event.
func TestPromoteNeverEarly(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.scheduled(t, "cus_1")[0]
	iv := b.iv(t, "cus_1", id)
	q := b.queue()
	queues := StepQueues(b.opts.Shards)
	if _, err := q.Task(b.ctx, iv.TaskQueue, "cus_1", id); err != nil {
		t.Fatalf("scheduled task: %v", err)
	}
	if n, err := q.Promote(b.ctx, queues, iv.Due.Add(-time.Millisecond)); err != nil || n != 0 {
		t.Fatalf("a millisecond before due: promoted %d (%v), want none", n, err)
	}
	if _, err := b.insp.GetTaskInfo(iv.TaskQueue, id); err == nil {
		t.Fatal("the task is in its queue before its due time")
	}
	n, err := q.Promote(b.ctx, queues, iv.Due)
	if err != nil || n != 1 {
		t.Fatalf("at due time: promoted %d (%v), want the reassurance step only", n, err)
	}
	ti, err := b.insp.GetTaskInfo(iv.TaskQueue, id)
	if err != nil || ti.State != asynq.TaskStatePending || ti.Type != TypeStep {
		t.Fatalf("promoted task %+v (%v), want a pending step task", ti, err)
	}
	var p StepPayload
	if err := json.Unmarshal(ti.Payload, &p); err != nil || p != (StepPayload{V: 1, Customer: "cus_1", Intervention: id, Event: "evt_1", Occurred: start.UnixMilli()}) {
		t.Errorf("payload %s (%v)", ti.Payload, err)
	}
	if n, _ := b.store.DueCount(b.ctx, queues...); n != 1 {
		t.Errorf("%d tasks left in the due indexes, want the invoice step", n)
	}
	// A second promotion finds nothing more to do.
	if n, err := q.Promote(b.ctx, queues, iv.Due); err != nil || n != 0 {
		t.Errorf("promoted again: %d (%v)", n, err)
	}
	// The promoted task runs the step.
	b.clock.Set(iv.Due)
	if err := b.w.HandleStep(b.ctx, asynq.NewTask(ti.Type, ti.Payload)); err != nil {
		t.Fatal(err)
	}
	if got := b.iv(t, "cus_1", id); got.State != store.Sent {
		t.Errorf("step %s (%s), want sent", got.State, got.Reason)
	}
}

// Promoters on many workers at once queue each due task exactly once, and
// a task cancelled before its time is never queued.
func TestPromoteConcurrently(t *testing.T) {
	t.Parallel()
	b := setup(t)
	const customers = 300
	var due time.Time
	for i := range customers {
		ids := b.scheduled(t, fmt.Sprintf("cus_%03d", i))
		if i == 0 {
			due = b.iv(t, "cus_000", ids[1]).Due
		}
	}
	cancelled := b.iv(t, "cus_007", engine.InterventionID("cus_007", "evt_1", "welcome", "invoice"))
	if _, err := b.w.Cancel(b.ctx, "cus_007", "welcome", "test"); err != nil {
		t.Fatal(err)
	}
	queues := StepQueues(b.opts.Shards)
	var wg sync.WaitGroup
	var mu sync.Mutex
	total := 0
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			q := b.queue()
			for range 3 {
				n, err := q.Promote(context.Background(), queues, due.Add(time.Hour))
				if err != nil {
					t.Error(err)
				}
				mu.Lock()
				total += n
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	want := 2*customers - 2
	if total != want {
		t.Errorf("promoted %d tasks in all, want %d", total, want)
	}
	pending := 0
	seen := map[string]bool{}
	for _, q := range queues {
		infos, err := b.insp.ListPendingTasks(q, asynq.PageSize(2*customers))
		if err != nil {
			t.Fatal(err)
		}
		for _, ti := range infos {
			if seen[ti.ID] {
				t.Errorf("task %s queued twice", ti.ID)
			}
			seen[ti.ID] = true
			pending++
		}
	}
	if pending != want {
		t.Errorf("%d pending step tasks, want %d", pending, want)
	}
	if seen[cancelled.ID] {
		t.Errorf("the cancelled step was queued")
	}
	if n, _ := b.store.DueCount(b.ctx, queues...); n != 0 {
		t.Errorf("%d tasks left in the due indexes", n)
	}
}

// lockedBuffer is a log sink that is safe to read while it is written.
type lockedBuffer struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// While Redis is down the promoter keeps trying every interval, counts
// each failed round, logs the outage once and its end once.
func TestPromoterRidesOutAnOutage(t *testing.T) {
	t.Parallel()
	srv := redistest.StartServer(t, t.TempDir())
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr(), MaxRetries: -1, DialTimeout: 200 * time.Millisecond})
	t.Cleanup(func() { rdb.Close() })
	var logs lockedBuffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		NewQueue(rdb, nil, 2, 0).RunPromoter(ctx, StepQueues(2), 10*time.Millisecond, slog.New(slog.NewTextHandler(&logs, nil)))
	}()
	t.Cleanup(func() { cancel(); <-done })
	errs := func() float64 { return testutil.ToFloat64(metrics.PromoteErrors) }
	before := errs()
	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "failed rounds", func() bool { return errs() >= before+3 })
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "recovery", func() bool { return strings.Contains(logs.String(), "working again") })
	if n := strings.Count(logs.String(), "retrying every poll interval"); n != 1 {
		t.Errorf("the outage was logged %d times, want once:\n%s", n, logs.String())
	}
}

// waitUntil polls cond for up to 20 seconds.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("no %s in 20s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
