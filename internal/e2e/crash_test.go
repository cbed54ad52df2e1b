package e2e

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/aheadhq/ahead/flows"
	"github.com/aheadhq/ahead/internal/redistest"
	"github.com/aheadhq/ahead/internal/smtptest"
	"github.com/aheadhq/ahead/internal/store"
	"github.com/aheadhq/ahead/tasks"
)

// recoverAfter is how long after a worker dies its tasks can be handed out
// again: asynq leases a task for 30s and takes it back once the lease has
// been expired for another 30s (allowing for clock skew). A worker that
// starts checks at once, so one started this long after the kill recovers
// every task of the dead one.
const recoverAfter = 61 * time.Second

// stepQueues are the step queues of a setup with shards shards.
func stepQueues(shards int) []string { return tasks.StepQueues(shards) }

// queueTotals sums the tasks of the step queues by state.
func queueTotals(t *testing.T, rdb redis.UniversalClient, shards int) asynq.QueueInfo {
	t.Helper()
	insp := asynq.NewInspectorFromRedisClient(rdb)
	known, err := insp.Queues()
	if err != nil {
		t.Fatalf("list queues: %v", err)
	}
	var sum asynq.QueueInfo
	for _, q := range stepQueues(shards) {
		if !slices.Contains(known, q) {
			continue
		}
		qi, err := insp.GetQueueInfo(q)
		if err != nil {
			t.Fatalf("read queue %s: %v", q, err)
		}
		sum.Pending += qi.Pending
		sum.Active += qi.Active
		sum.Scheduled += qi.Scheduled
		sum.Retry += qi.Retry
		sum.Archived += qi.Archived
	}
	return sum
}

// A worker killed with SIGKILL in the middle of sending loses nothing:
// another worker goes on, and after the killed one is started again every
// intervention has reached its customer. A try that died before its
// channel's point of no return (SMTP: the final "." of DATA) is tried
// again; only one that died past it ends failed as interrupted, and its
// message had left. So no customer goes without their message, and none
// gets one twice more often than tries died past that point.
//
// With a server slow to greet, the killed worker's sends die before the
// point; with a server slow to accept a message after its final dot, they
// die past it.
func TestWorkerKilledWhileSending(t *testing.T) {
	for _, tc := range []struct {
		name string
		opt  smtptest.Option
	}{
		{"slow greeting", smtptest.WithGreetingDelay(200 * time.Millisecond)},
		{"slow data", smtptest.WithDataDelay(200 * time.Millisecond)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := killWhileSending(t, tc.opt)
			t.Logf("%s: %d interventions, %d claimed again after the kill, %d tries past the point of no return (interrupted); lost %d, duplicates %d",
				tc.name, c.total, c.again, c.past, c.lost, c.twice)
			if c.lost != 0 {
				t.Errorf("%d customers never got their message", c.lost)
			}
			if c.twice > c.past {
				t.Errorf("%d messages arrived twice, more than the %d tries past the point of no return", c.twice, c.past)
			}
			if c.again == 0 {
				t.Errorf("no intervention was claimed again: the killed worker had nothing in flight")
			}
			switch tc.name {
			case "slow greeting":
				if c.retried == 0 {
					t.Errorf("no try that died before the point of no return was sent by a later one")
				}
			case "slow data":
				if c.past == 0 {
					t.Errorf("no try died past the point of no return: the kill missed the slow end of DATA")
				}
			}
		})
	}
}

// crashCounts is what killWhileSending measured.
type crashCounts struct {
	total   int // interventions
	again   int // claimed more than once
	retried int // claimed more than once and sent
	past    int // ended failed as interrupted: a try died past the point of no return
	lost    int // never reached the customer
	twice   int // reached the customer more than once
}

// killWhileSending sends 400 emails with two workers of concurrency 8 to an
// SMTP server with opt, kills the first worker with SIGKILL while it
// sends, starts it again once its tasks can be handed out again, and
// counts what became of every intervention.
func killWhileSending(t *testing.T, opt smtptest.Option) crashCounts {
	const runs = 200 // two steps each: 400 interventions
	url, rdb := redisURL(t)
	s := setup{redisURL: url, smtp: smtptest.Start(t, opt), concurrency: 8, shards: 4}
	api := s.start(t, "api", "api")
	// The victim sends alone until it is killed, so that the sends in
	// flight at the kill are its own.
	victim := s.start(t, "worker 1", "worker")

	// Every step comes due at the same moment, once all are scheduled, so
	// that the workers are busy sending when one of them is killed.
	due := time.Now().Add(10 * time.Second)
	evs := make([]*flows.Event, runs)
	for i := range evs {
		cus := fmt.Sprintf("cus_k%05d", i)
		evs[i] = event("order.shipped", cus, "evt_"+cus, due)
	}
	post(t, api, evs)
	ivs := interventions(evs, "shipped", "notice", "details")
	st := store.New(rdb)
	ctx := context.Background()
	waitCreated(t, st, ivs, 2*time.Minute)

	s.smtp.WaitFor(t, len(ivs)/5, 3*time.Minute) // sending is under way
	victim.kill()
	killed := time.Now()
	if done := len(s.smtp.Messages()); done >= len(ivs) {
		t.Fatalf("all %d messages were sent before the kill", done)
	}
	s.start(t, "worker 2", "worker")
	time.Sleep(time.Until(killed.Add(recoverAfter)))
	victim.restart()

	got := waitFinal(t, st, ivs, 4*time.Minute)
	time.Sleep(2 * time.Second) // let a stray second copy arrive
	counts := received(t, s.smtp.Messages())
	c := crashCounts{total: len(ivs)}
	for _, p := range ivs {
		iv, n := got[p.id], counts[p.id]
		if iv.Attempts > 1 {
			c.again++
		}
		if n == 0 {
			c.lost++
		}
		if n > 1 {
			c.twice++
		}
		switch iv.State {
		case store.Sent:
			if iv.Attempts > 1 {
				c.retried++
			}
			if n == 0 {
				t.Errorf("intervention %s is sent but never arrived", p.id)
			}
		case store.Failed:
			if !strings.HasPrefix(iv.Reason, "an earlier try stopped after") {
				t.Errorf("intervention %s failed: %s; want sent, or failed only when interrupted past the point of no return", p.id, iv.Reason)
			} else {
				c.past++
			}
			if n == 0 {
				t.Errorf("intervention %s failed as interrupted but its message never left", p.id)
			}
			if !journaled(ctx, t, st, p, store.Failed) {
				t.Errorf("failed intervention %s has no failed entry with a reason in the journal", p.id)
			}
		default:
			t.Errorf("intervention %s ended %s (%s), want sent or failed", p.id, iv.State, iv.Reason)
		}
	}
	if q := queueTotals(t, rdb, s.shards); q.Pending+q.Active+q.Scheduled+q.Retry+q.Archived != 0 {
		t.Errorf("step queues still hold tasks: %+v", q)
	}
	return c
}

// waitCreated waits until every planned intervention exists.
func waitCreated(t *testing.T, st *store.Store, ivs []planned, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		got, err := states(context.Background(), st, ivs)
		if err == nil && len(got) == len(ivs) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("not every intervention was created after %s: %v", limit, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// journaled reports whether the customer's journal has an entry in state
// for the intervention, with a reason.
func journaled(ctx context.Context, t *testing.T, st *store.Store, p planned, state string) bool {
	t.Helper()
	entries, err := st.Timeline(ctx, p.customer, 0)
	if err != nil {
		t.Fatalf("journal of %s: %v", p.customer, err)
	}
	for _, e := range entries {
		if e.Intervention == p.id && e.State == state && e.Reason != "" {
			return true
		}
	}
	return false
}

// scheduledTasks lists the step tasks that wait for their time, in a due
// index or as asynq scheduled tasks: task id to the time it is due.
func scheduledTasks(t *testing.T, rdb redis.UniversalClient, shards int) map[string]time.Time {
	t.Helper()
	insp := asynq.NewInspectorFromRedisClient(rdb)
	known, err := insp.Queues()
	if err != nil {
		t.Fatalf("list queues: %v", err)
	}
	out := map[string]time.Time{}
	q := tasks.NewQueue(rdb, nil, shards, 0)
	for _, name := range stepQueues(shards) {
		for off := 0; ; off += 1000 {
			list, err := q.Waiting(context.Background(), name, off, 1000)
			if err != nil {
				t.Fatalf("list due tasks of %s: %v", name, err)
			}
			for _, ti := range list {
				out[ti.ID] = ti.NextProcessAt
			}
			if len(list) < 1000 {
				break
			}
		}
	}
	for _, q := range stepQueues(shards) {
		if !slices.Contains(known, q) {
			continue
		}
		for page := 1; ; page++ {
			list, err := insp.ListScheduledTasks(q, asynq.PageSize(1000), asynq.Page(page))
			if err != nil {
				t.Fatalf("list scheduled tasks of %s: %v", q, err)
			}
			for _, ti := range list {
				out[ti.ID] = ti.NextProcessAt
			}
			if len(list) < 1000 {
				break
			}
		}
	}
	return out
}

// Redis restarted on its append-only file still holds every scheduled
// intervention: its asynq task due at the same second, its state and its
// place in the customer's pending index. After the restart, the steps that
// come due are sent.
func TestRedisRestartKeepsScheduledWork(t *testing.T) {
	srv := redistest.StartServer(t, t.TempDir(), "--appendonly", "yes", "--appendfsync", "everysec", "--save", "")
	rdb := redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", srv.Port)})
	t.Cleanup(func() { rdb.Close() })
	s := setup{redisURL: srv.URL(), smtp: smtptest.Start(t), concurrency: 8, shards: 4}
	serve := s.start(t, "serve", "serve")

	now := time.Now()
	soonDue := now.Add(15 * time.Second)
	var later, soon []*flows.Event
	for i := range 300 {
		cus := fmt.Sprintf("cus_l%04d", i)
		later = append(later, event("subscription.renewed", cus, "evt_"+cus, now))
	}
	for i := range 20 {
		cus := fmt.Sprintf("cus_s%04d", i)
		// The reminder, a day after the event, comes due in 15 seconds.
		soon = append(soon, event("subscription.renewed", cus, "evt_"+cus, soonDue.Add(-24*time.Hour)))
	}
	post(t, serve, append(slices.Clone(later), soon...))
	ivs := interventions(append(slices.Clone(later), soon...), "renewal", "reminder", "thanks")

	st := store.New(rdb)
	ctx := context.Background()
	deadline := time.Now().Add(time.Minute)
	for len(scheduledTasks(t, rdb, s.shards)) < len(ivs) {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d step tasks scheduled after a minute", len(scheduledTasks(t, rdb, s.shards)), len(ivs))
		}
		time.Sleep(100 * time.Millisecond)
	}
	before, err := states(ctx, st, ivs)
	if err != nil {
		t.Fatal(err)
	}
	tasksBefore := scheduledTasks(t, rdb, s.shards)
	serve.stop()

	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}

	after, err := states(ctx, st, ivs)
	if err != nil {
		t.Fatalf("interventions after the restart: %v", err)
	}
	tasksAfter := scheduledTasks(t, rdb, s.shards)
	pending := map[string]map[string]store.Pending{}
	for _, p := range ivs {
		if pending[p.customer] == nil {
			if pending[p.customer], err = st.PendingOf(ctx, p.customer); err != nil {
				t.Fatal(err)
			}
		}
		b, a := before[p.id], after[p.id]
		if a.State != store.Scheduled || !a.Due.Equal(b.Due) {
			t.Errorf("intervention %s after the restart: %s due %s, want scheduled due %s", p.id, a.State, a.Due, b.Due)
		}
		if _, ok := pending[p.customer][p.id]; !ok {
			t.Errorf("intervention %s is not in the pending index of %s after the restart", p.id, p.customer)
		}
		at, ok := tasksAfter[p.id]
		if !ok {
			t.Errorf("step task %s is not scheduled after the restart", p.id)
			continue
		}
		if !at.Equal(tasksBefore[p.id]) || at.Unix() != b.Due.Unix() {
			t.Errorf("step task %s due %s after the restart, was %s; intervention due %s", p.id, at, tasksBefore[p.id], b.Due)
		}
	}
	if len(tasksAfter) != len(ivs) {
		t.Errorf("%d step tasks scheduled after the restart, want %d", len(tasksAfter), len(ivs))
	}

	// The work goes on: the reminders that come due are sent.
	serve.restart()
	s.smtp.WaitFor(t, len(soon), time.Minute+time.Until(soonDue))
	waitFinal(t, st, interventions(soon, "renewal", "reminder"), 30*time.Second)
	counts := received(t, s.smtp.Messages())
	for _, p := range interventions(soon, "renewal", "reminder") {
		if counts[p.id] != 1 {
			t.Errorf("reminder %s arrived %d times after the restart, want once", p.id, counts[p.id])
		}
	}
	if len(counts) != len(soon) {
		t.Errorf("%d interventions arrived, want the %d reminders that came due", len(counts), len(soon))
	}
}
