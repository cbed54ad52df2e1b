package tasks

import (
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/aheadhq/ahead/engine"
	"github.com/aheadhq/ahead/flows"
	"github.com/aheadhq/ahead/internal/asynqx"
	"github.com/aheadhq/ahead/internal/store"
)

// oldLayout moves every step task of the due indexes back where the
// previous release kept it: an asynq task scheduled in its queue, written
// as that release's Queue.Steps wrote it (asynqx.Queue with ProcessAt in
// the future: asynq:{q}:t:ID with state scheduled, the id in
// asynq:{q}:scheduled scored in Unix seconds). It returns the tasks it
// wrote.
func (b *bundle) oldLayout(t *testing.T) []*asynq.TaskInfo {
	t.Helper()
	var all []*asynq.TaskInfo
	for _, queue := range StepQueues(b.opts.Shards) {
		infos, err := b.queue().Waiting(b.ctx, queue, 0, 10000)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, infos...)
	}
	b.writeOld(t, all)
	return all
}

// writeOld writes tasks as the previous release scheduled them and takes
// them out of the due indexes.
func (b *bundle) writeOld(t *testing.T, tasks []*asynq.TaskInfo) {
	t.Helper()
	for _, ti := range tasks {
		var p StepPayload
		if err := json.Unmarshal(ti.Payload, &p); err != nil {
			t.Fatal(err)
		}
		ok, err := asynqx.Queue(b.ctx, b.rdb, time.Now(), []asynqx.Task{{
			Type: ti.Type, Payload: ti.Payload, ID: ti.ID, Queue: ti.Queue, Retry: ti.MaxRetry, ProcessAt: ti.NextProcessAt,
		}})
		if err != nil || !ok[0] {
			t.Fatalf("schedule %s the old way: %v %v", ti.ID, ok, err)
		}
		if _, err := b.store.RemoveDue(b.ctx, store.Due{Queue: ti.Queue, Task: ti.ID, Customer: p.Customer}); err != nil {
			t.Fatal(err)
		}
	}
}

// oldRecords rewrites the customers' interventions and events as the
// previous release kept them: a hash per intervention and a string with
// an expiry per event, each named in the customer's index of keys with
// the event's routed mark.
func (b *bundle) oldRecords(t *testing.T, customers ...string) {
	t.Helper()
	for _, cus := range customers {
		tag := "ahead:{" + cus + "}:"
		for id, raw := range b.rdb.HGetAll(b.ctx, tag+"ivs").Val() {
			var vals []string
			if err := json.Unmarshal([]byte(raw), &vals); err != nil {
				t.Fatal(err)
			}
			for i, v := range vals {
				if v != "" {
					b.rdb.HSet(b.ctx, tag+"iv:"+id, store.RecordFields[i], v)
				}
			}
			if !slices.Contains([]string{store.Sent, store.Skipped, store.Cancelled, store.Failed, store.HeldOut}, vals[0]) {
				b.rdb.HSet(b.ctx, tag+"pending", id, "")
			}
			b.rdb.HSet(b.ctx, tag+"keys", tag+"iv:"+id, "")
		}
		for id, v := range b.rdb.HGetAll(b.ctx, tag+"evts").Val() {
			exp, raw, ok := strings.Cut(v, "|")
			if id == "" || !ok {
				continue
			}
			ms, _ := strconv.ParseInt(exp, 10, 64)
			b.rdb.Set(b.ctx, tag+"evt:"+id, raw, time.Until(time.UnixMilli(ms)))
			mark := "routed"
			if b.rdb.HExists(b.ctx, tag+"unrouted", id).Val() {
				mark = ""
			}
			b.rdb.HSet(b.ctx, tag+"keys", tag+"evt:"+id, mark)
		}
		b.rdb.Del(b.ctx, tag+"ivs", tag+"evts", tag+"unrouted")
	}
}

// customerOf reads the customer of a step task.
func customerOf(t *testing.T, ti *asynq.TaskInfo) string {
	t.Helper()
	var p StepPayload
	if err := json.Unmarshal(ti.Payload, &p); err != nil {
		t.Fatal(err)
	}
	return p.Customer
}

// upgraded is a store as the previous release left it: welcome runs of
// four customers and a big order of a fifth, with step tasks scheduled in
// asynq. cus_2's reassurance was deferred once (task -d1), cus_3's run was
// cancelled and cus_4 was erased, each leaving its tasks behind.
type upgraded struct {
	live      []*store.Intervention // the interventions still to send
	cancelled []string              // cus_3's intervention ids
	old       []*asynq.TaskInfo     // every step task in the old layout
}

func (b *bundle) upgraded(t *testing.T) *upgraded {
	t.Helper()
	u := &upgraded{}
	for _, cus := range []string{"cus_1", "cus_2", "cus_3", "cus_4"} {
		b.scheduled(t, cus)
	}
	// cus_5's thank-you is due an hour after its order, to the millisecond:
	// asynq's scheduled set kept it to the second only.
	b.clock.Set(start.Add(250 * time.Millisecond))
	b.route(t, &flows.Event{ID: "evt_1", Type: "order.placed", CustomerID: "cus_5", Customer: anna(), Data: map[string]any{"amount": 150}})
	// cus_2's reassurance comes due and is deferred by its window.
	reassure := engine.InterventionID("cus_2", "evt_1", "welcome", "reassurance")
	iv := b.iv(t, "cus_2", reassure)
	if _, err := b.store.RemoveDue(b.ctx, store.Due{Queue: iv.TaskQueue, Task: reassure, Customer: "cus_2"}); err != nil {
		t.Fatal(err) // as its promotion did
	}
	b.clock.Set(iv.Due.Add(9 * time.Hour))
	task, _ := NewStepTask("cus_2", reassure, reassure)
	if err := b.w.HandleStep(b.ctx, task); err != nil {
		t.Fatal(err)
	}
	if iv := b.iv(t, "cus_2", reassure); iv.TaskID != reassure+"-d1" || iv.State != store.Scheduled {
		t.Fatalf("cus_2's reassurance %s as task %s (%s), want deferred", iv.State, iv.TaskID, iv.Reason)
	}
	b.clock.Set(start)
	// The step tasks of all four, in the old layout; then the cancel and the
	// erasure, which leave theirs behind (as a cancel that could not
	// remove its task did).
	u.old = b.oldLayout(t)
	if _, err := b.w.Cancel(b.ctx, "cus_3", "welcome", "test"); err != nil {
		t.Fatal(err)
	}
	if err := b.w.Erase(b.ctx, "cus_4"); err != nil {
		t.Fatal(err)
	}
	var again []*asynq.TaskInfo
	for _, ti := range u.old {
		if c := customerOf(t, ti); c == "cus_3" || c == "cus_4" {
			again = append(again, ti)
		}
	}
	b.writeOld(t, again)
	for _, cus := range []string{"cus_1", "cus_2"} {
		for _, step := range []string{"reassurance", "invoice"} {
			u.live = append(u.live, b.iv(t, cus, engine.InterventionID(cus, "evt_1", "welcome", step)))
		}
	}
	u.live = append(u.live, b.iv(t, "cus_5", engine.InterventionID("cus_5", "evt_1", "big-order", "thanks")))
	for _, step := range []string{"reassurance", "invoice"} {
		u.cancelled = append(u.cancelled, engine.InterventionID("cus_3", "evt_1", "welcome", step))
	}
	return u
}

// TestMigrate upgrades a store the previous release left: Unmigrated
// counts its step tasks, Migrate moves the live ones into the due indexes
// at their due time to the millisecond and removes the others, a second
// Migrate changes nothing, and every live step is then sent exactly once.
func TestMigrate(t *testing.T) {
	t.Parallel()
	b := setup(t)
	u := b.upgraded(t)
	q := b.queue()
	// The records in the previous release's layout too: they move first.
	b.oldRecords(t, "cus_1", "cus_2", "cus_3", "cus_4", "cus_5")
	if v, err := b.store.LayoutOf(b.ctx); err != nil || v != "" {
		t.Fatalf("layout before the migration %q, %v", v, err)
	}
	if r, err := b.store.Migrate(b.ctx); err != nil || r.Customers != 4 || r.Interventions != 7 || r.Events != 4 {
		t.Fatalf("layout migration %+v, %v; want 4 customers, 7 interventions, 4 events", r, err)
	}
	// A task of another kind in a step queue's scheduled set stays where it is.
	other, err := asynqx.Queue(b.ctx, b.rdb, time.Now(), []asynqx.Task{{Type: "other:kind", ID: "other_1", Queue: "steps-1", ProcessAt: start}})
	if err != nil || !other[0] {
		t.Fatal(other, err)
	}
	// A queue of an earlier shard count is migrated too.
	if err := b.rdb.SAdd(b.ctx, "asynq:queues", "steps-9", "events").Err(); err != nil {
		t.Fatal(err)
	}
	queues, err := q.KnownStepQueues(b.ctx)
	if err != nil || !slices.Equal(queues, []string{"steps-0", "steps-1", "steps-2", "steps-3", "steps-9"}) {
		t.Fatalf("step queues %v (%v)", queues, err)
	}
	if n, err := q.Unmigrated(b.ctx, queues); err != nil || n != int64(len(u.old)) {
		t.Fatalf("Unmigrated = %d (%v), want %d", n, err, len(u.old))
	}
	if n, _ := b.store.DueCount(b.ctx, queues...); n != 0 {
		t.Fatalf("%d tasks in the due indexes before the migration", n)
	}

	m, err := q.Migrate(b.ctx, queues)
	if err != nil {
		t.Fatal(err)
	}
	var got Migrated
	for _, d := range m {
		got.Moved += d.Moved
		got.Ended += d.Ended
		got.Erased += d.Erased
		got.Unreadable += d.Unreadable
		got.Queued += d.Queued
	}
	if want := (Migrated{Moved: len(u.live), Ended: 2, Erased: 2}); got != want || m.Tasks() != len(u.old) {
		t.Errorf("migration %+v, want %+v", m, want)
	}
	if n, err := q.Unmigrated(b.ctx, queues); err != nil || n != 0 {
		t.Errorf("Unmigrated = %d (%v) after the migration", n, err)
	}
	for _, ti := range u.old {
		if n := b.rdb.Exists(b.ctx, "asynq:{"+ti.Queue+"}:t:"+ti.ID).Val(); n != 0 {
			t.Errorf("the asynq task %s is still there", ti.ID)
		}
		if n := b.rdb.ZCard(b.ctx, "asynq:{"+ti.Queue+"}:scheduled").Val(); n != 0 && ti.Queue != "steps-1" {
			t.Errorf("%d tasks left in the scheduled set of %s", n, ti.Queue)
		}
	}
	if ti, err := b.insp.GetTaskInfo("steps-1", "other_1"); err != nil || ti.State != asynq.TaskStateScheduled {
		t.Errorf("the task of another kind: %+v (%v), want it scheduled still", ti, err)
	}
	due := b.dues(t, queues)
	if len(due) != len(u.live) {
		t.Errorf("due indexes hold %v, want the %d live steps", due, len(u.live))
	}
	for _, iv := range u.live {
		d := store.Due{Queue: iv.TaskQueue, Task: iv.TaskID, Customer: iv.Customer}
		if at, ok := due[d.Member()]; !ok || !at.Equal(iv.Due) {
			t.Errorf("%s waits in the due index of %s at %v (%v), want %v", iv.TaskID, iv.TaskQueue, at, ok, iv.Due)
		}
	}

	// Again: nothing to do, nothing changes.
	if m, err := q.Migrate(b.ctx, queues); err != nil || len(m) != 0 {
		t.Errorf("second migration %+v (%v), want nothing", m, err)
	}
	if again := b.dues(t, queues); !maps.Equal(again, due) {
		t.Errorf("due indexes changed by the second migration:\n%v\n%v", due, again)
	}

	// Every live step is sent once, at its time; the cancelled ones never.
	b.runAll(t, u.live)
	sent := b.sentByIntervention()
	for _, iv := range u.live {
		if got := b.iv(t, iv.Customer, iv.ID); got.State != store.Sent || sent[iv.ID] != 1 {
			t.Errorf("%s of %s: %s (%s), sent %d times, want sent once", iv.ID, iv.Customer, got.State, got.Reason, sent[iv.ID])
		}
	}
	for _, id := range u.cancelled {
		if got := b.iv(t, "cus_3", id); got.State != store.Cancelled || sent[id] != 0 {
			t.Errorf("cancelled %s: %s, sent %d times", id, got.State, sent[id])
		}
	}
}

// TestMigrateWhileOldWorkersRun lets a worker of the previous release
// queue a step task while Migrate reads its queue: Migrate leaves that one
// to the worker and moves the others, and each step is sent once.
func TestMigrateWhileOldWorkersRun(t *testing.T) {
	t.Parallel()
	b := setup(t)
	u := b.upgraded(t)
	q := b.queue()
	queues := StepQueues(b.opts.Shards)
	first := u.live[0] // cus_1's reassurance
	var fired atomic.Bool
	b.rdb.AddHook(hook{after: func(c redis.Cmder) {
		args := c.Args()
		if c.Name() == "zrange" && len(args) > 1 && args[1] == "asynq:{"+first.TaskQueue+"}:scheduled" && fired.CompareAndSwap(false, true) {
			// What asynq's forwarder does with a task that is due.
			key := "asynq:{" + first.TaskQueue + "}:t:" + first.TaskID
			b.rdb.ZRem(b.ctx, "asynq:{"+first.TaskQueue+"}:scheduled", first.TaskID)
			b.rdb.HSet(b.ctx, key, "state", "pending", "pending_since", time.Now().UnixNano())
			b.rdb.LPush(b.ctx, "asynq:{"+first.TaskQueue+"}:pending", first.TaskID)
		}
	}})
	m, err := q.Migrate(b.ctx, queues)
	if err != nil || !fired.Load() {
		t.Fatalf("migrate: %v (forwarded: %v)", err, fired.Load())
	}
	queued, moved := 0, 0
	for _, d := range m {
		queued += d.Queued
		moved += d.Moved
	}
	if queued != 1 || moved != len(u.live)-1 {
		t.Errorf("migration %+v, want one task left to the old worker and %d moved", m, len(u.live)-1)
	}
	if _, ok := b.dues(t, queues)[store.Due{Task: first.TaskID, Customer: first.Customer}.Member()]; ok {
		t.Errorf("the task the old worker queued is in the due index too")
	}
	b.runAll(t, u.live)
	sent := b.sentByIntervention()
	for _, iv := range u.live {
		if sent[iv.ID] != 1 {
			t.Errorf("%s sent %d times, want once", iv.ID, sent[iv.ID])
		}
	}
}

// dues returns every member of the due indexes of queues with its time.
func (b *bundle) dues(t *testing.T, queues []string) map[string]time.Time {
	t.Helper()
	out := map[string]time.Time{}
	for _, queue := range queues {
		ds, err := b.store.Dues(b.ctx, queue, 0, 10000)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range ds {
			out[d.Member()] = d.At
		}
	}
	return out
}

// runAll promotes every due step task, once all of ivs are due, and runs
// each pending step task once, at its intervention's due time, the
// earliest first.
func (b *bundle) runAll(t *testing.T, ivs []*store.Intervention) {
	t.Helper()
	var last time.Time
	for _, iv := range ivs {
		if iv.Due.After(last) {
			last = iv.Due
		}
	}
	queues := StepQueues(b.opts.Shards)
	if _, err := b.queue().Promote(b.ctx, queues, last.Add(time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	var pending []*asynq.TaskInfo
	for _, queue := range queues {
		infos, err := b.insp.ListPendingTasks(queue, asynq.PageSize(1000))
		if err != nil && !errors.Is(err, asynq.ErrQueueNotFound) {
			t.Fatal(err)
		}
		pending = append(pending, infos...)
	}
	at := func(ti *asynq.TaskInfo) time.Time {
		return b.iv(t, customerOf(t, ti), Intervention(ti.ID)).Due
	}
	slices.SortFunc(pending, func(x, y *asynq.TaskInfo) int { return at(x).Compare(at(y)) })
	for _, ti := range pending {
		b.clock.Set(at(ti))
		if err := b.w.HandleStep(b.ctx, asynq.NewTask(ti.Type, ti.Payload)); err != nil {
			t.Errorf("step task %s: %v", ti.ID, err)
		}
		if err := b.insp.DeleteTask(ti.Queue, ti.ID); err != nil {
			t.Fatal(err)
		}
	}
}

// sentByIntervention counts the messages sent, by intervention.
func (b *bundle) sentByIntervention() map[string]int {
	out := map[string]int{}
	for _, f := range []*fake{b.sms, b.email} {
		for _, m := range f.messages() {
			out[m.ID]++
		}
	}
	return out
}
