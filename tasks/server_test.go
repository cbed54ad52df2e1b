package tasks

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/aheadhq/ahead/channels"
	"github.com/aheadhq/ahead/engine"
	"github.com/aheadhq/ahead/flows"
	"github.com/aheadhq/ahead/internal/store"
)

// serve runs a real asynq server on the bundle's worker, with retries
// after 10ms, and a promoter that looks for due steps every 20ms, until
// the test ends.
func serve(t *testing.T, b *bundle) {
	t.Helper()
	srv := asynq.NewServerFromRedisClient(b.rdb, asynq.Config{
		Concurrency:              4,
		Queues:                   Queues(b.opts.Shards),
		RetryDelayFunc:           func(int, error, *asynq.Task) time.Duration { return 10 * time.Millisecond },
		DelayedTaskCheckInterval: 20 * time.Millisecond,
		TaskCheckInterval:        20 * time.Millisecond,
		ShutdownTimeout:          time.Second,
		LogLevel:                 asynq.FatalLevel,
	})
	if err := srv.Start(b.w.Mux()); err != nil {
		t.Fatalf("start asynq server: %v", err)
	}
	t.Cleanup(srv.Shutdown)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		b.queue().RunPromoter(ctx, StepQueues(b.opts.Shards), 20*time.Millisecond, slog.New(slog.NewTextHandler(io.Discard, nil)))
	}()
	t.Cleanup(func() { cancel(); <-done })
}

// enqueue posts ev and queues its route task as the API does.
func (b *bundle) enqueue(t *testing.T, ev *flows.Event) {
	t.Helper()
	task := b.post(t, ev)
	_, opts := NewRouteTask(ev.CustomerID, ev.ID)
	if _, err := b.client.EnqueueContext(b.ctx, task, opts...); err != nil {
		t.Fatalf("enqueue route: %v", err)
	}
}

// await polls until the intervention reaches a final state.
func (b *bundle) await(t *testing.T, cus, id string) *store.Intervention {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		iv, err := b.store.Intervention(b.ctx, cus, id)
		if err == nil && store.Final(iv.State) {
			return iv
		}
		if time.Now().After(deadline) {
			t.Fatalf("intervention %s did not end in time (%+v, %v)", id, iv, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// lateOrder is an order.late event; its flow's step is due at once.
func lateOrder(id, cus string) *flows.Event {
	return &flows.Event{ID: id, Type: "order.late", CustomerID: cus, Subject: "ord_1", Customer: anna()}
}

func TestServerRetriesTransientFailure(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *Options) { o.MaxRetry = 3 })
	// asynq runs on real time: the event happens now, so its step is due now.
	b.clock.Set(time.Now())
	b.sms.fail = func(_ *channels.Message, call int) error {
		if call <= 2 {
			return channels.Transient(channels.SMS, "503", errors.New("service unavailable"))
		}
		return nil
	}
	b.enqueue(t, lateOrder("evt_1", "cus_1"))
	serve(t, b)
	id := engine.InterventionID("cus_1", "evt_1", "late-order", "status")
	iv := b.await(t, "cus_1", id)
	if iv.State != store.Sent || iv.Channel != channels.SMS || iv.Attempts != 3 {
		t.Errorf("intervention %s via %s after %d attempts, want sent via sms after 3", iv.State, iv.Channel, iv.Attempts)
	}
	if len(b.sms.messages()) != 1 || b.sms.tries() != 3 {
		t.Errorf("sms sent %d in %d tries, want 1 in 3", len(b.sms.messages()), b.sms.tries())
	}
	rs := b.entries(t, "cus_1", id, "retrying")
	if len(rs) != 2 || !strings.Contains(rs[0].Reason, "try 1 failed") || !strings.Contains(rs[1].Reason, "try 2 failed") {
		t.Errorf("retrying entries %+v, want tries 1 and 2", rs)
	}
	if len(b.email.messages()) != 0 {
		t.Errorf("transient failures fell back to email")
	}
}

func TestServerGivesUpAfterMaxRetry(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *Options) { o.MaxRetry = 2 })
	b.clock.Set(time.Now())
	b.sms.failWith(channels.Transient(channels.SMS, "20429", errors.New("too many requests")))
	b.enqueue(t, lateOrder("evt_1", "cus_1"))
	serve(t, b)
	id := engine.InterventionID("cus_1", "evt_1", "late-order", "status")
	iv := b.await(t, "cus_1", id)
	if iv.State != store.Failed || iv.Code != "20429" || !strings.Contains(iv.Reason, "gave up after 3 tries") || !strings.Contains(iv.Reason, "too many requests") {
		t.Errorf("intervention %s code %s reason %q, want failed after 3 tries with the provider's code", iv.State, iv.Code, iv.Reason)
	}
	if b.sms.tries() != 3 {
		t.Errorf("sms tried %d times, want 3 (MaxRetry 2)", b.sms.tries())
	}
	if len(b.email.messages()) != 0 {
		t.Errorf("transient failures fell back to email")
	}
	if n := len(b.entries(t, "cus_1", id, "retrying")); n != 2 {
		t.Errorf("got %d retrying entries, want 2", n)
	}
	if n := len(b.entries(t, "cus_1", id, store.Failed)); n != 1 {
		t.Errorf("got %d failed entries, want 1", n)
	}
	// The handler's last error skips retries, so asynq archives the task.
	queue := StepQueue("cus_1", b.opts.Shards)
	deadline := time.Now().Add(60 * time.Second)
	for {
		ti, err := b.insp.GetTaskInfo(queue, id)
		if err == nil && ti.State == asynq.TaskStateArchived {
			if ti.Retried != 2 || !strings.Contains(ti.LastErr, "too many requests") {
				t.Errorf("archived task retried %d times, last error %q", ti.Retried, ti.LastErr)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("step task not archived: %+v %v", ti, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestServerRoutesAndSends(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.clock.Set(time.Now())
	b.enqueue(t, lateOrder("evt_1", "cus_1"))
	// The same event queued again is one task: its id is deterministic.
	task, opts := NewRouteTask("cus_1", "evt_1")
	if _, err := b.client.EnqueueContext(b.ctx, task, opts...); !errors.Is(err, asynq.ErrTaskIDConflict) {
		t.Errorf("second route task: %v, want a task id conflict", err)
	}
	serve(t, b)
	iv := b.await(t, "cus_1", engine.InterventionID("cus_1", "evt_1", "late-order", "status"))
	if iv.State != store.Sent {
		t.Fatalf("intervention %s (%s), want sent", iv.State, iv.Reason)
	}
	msgs := b.sms.messages()
	if len(msgs) != 1 || msgs[0].Text != "Je bestelling ord_1 is later dan beloofd." {
		t.Errorf("messages %+v", msgs)
	}
}

// A step due a moment from now waits in the due index, and the promoter
// hands it to the server once its due time has passed: it is sent at its
// due time or after, never before.
func TestServerSendsAtDueTimeNotBefore(t *testing.T) {
	t.Parallel()
	b := setup(t)
	var mu sync.Mutex
	var sentAt []time.Time
	b.sms.fail = func(*channels.Message, int) error {
		mu.Lock()
		sentAt = append(sentAt, time.Now())
		mu.Unlock()
		return nil
	}
	serve(t, b)
	due := time.Now().Add(400 * time.Millisecond).Truncate(time.Millisecond)
	// The fake clock stands at the due time: the late order's step is due
	// at once on it, which is 400ms from now on the wall clock.
	b.clock.Set(due)
	b.enqueue(t, lateOrder("evt_1", "cus_1"))
	id := engine.InterventionID("cus_1", "evt_1", "late-order", "status")
	iv := b.await(t, "cus_1", id)
	if iv.State != store.Sent {
		t.Fatalf("intervention %s (%s), want sent", iv.State, iv.Reason)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(sentAt) != 1 || sentAt[0].Before(due) {
		t.Errorf("sent at %v, due %v: want one send at or after its due time", sentAt, due)
	}
}
