package e2e

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/aheadhq/ahead/flows"
	"github.com/aheadhq/ahead/internal/redistest"
	"github.com/aheadhq/ahead/internal/smtptest"
	"github.com/aheadhq/ahead/internal/store"
)

// clusterKeys lists the keys matching pattern on every master of the
// cluster, with the address of the master that holds each.
func clusterKeys(t *testing.T, rdb *redis.ClusterClient, pattern string) map[string]string {
	t.Helper()
	out := map[string]string{}
	ch := make(chan [2]string, 1024)
	done := make(chan struct{})
	go func() {
		for kv := range ch {
			out[kv[0]] = kv[1]
		}
		close(done)
	}()
	err := rdb.ForEachMaster(context.Background(), func(ctx context.Context, m *redis.Client) error {
		it := m.Scan(ctx, 0, pattern, 1000).Iterator()
		for it.Next(ctx) {
			ch <- [2]string{it.Val(), m.Options().Addr}
		}
		return it.Err()
	})
	close(ch)
	<-done
	if err != nil {
		t.Fatalf("scan the cluster for %s: %v", pattern, err)
	}
	return out
}

// waitFor polls cond every 100ms until it holds or limit passes.
func waitFor(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not after %s", what, limit)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// The end-to-end flow on a Redis Cluster of three masters: events are
// routed, steps are scheduled and sent, a later event cancels what is
// pending, and erasing a customer removes every key of theirs. The step
// queues spread over the masters; each customer's keys stay in one slot.
func TestClusterEndToEnd(t *testing.T) {
	rdb := redistest.Cluster(t)
	const shards = 8
	s := setup{cluster: redistest.ClusterAddrs(t), smtp: smtptest.Start(t), concurrency: 8, shards: shards, flows: "cluster"}
	serve := s.start(t, "serve", "serve")
	ctx := context.Background()
	st := store.New(rdb)

	now := time.Now()
	subs := []*flows.Event{
		event("subscription.created", "cus_anna", "evt_anna_1", now),
		event("subscription.created", "cus_bob", "evt_bob_1", now),
		event("subscription.created", "cus_carla", "evt_carla_1", now),
	}
	// The orders shipped 59 seconds ago: their details, due a minute
	// after, wait a second in the due indexes, spread over the masters,
	// until the promoters queue them.
	var ships []*flows.Event
	for i := range 100 {
		cus := fmt.Sprintf("cus_c%03d", i)
		ships = append(ships, event("order.shipped", cus, "evt_"+cus, now.Add(-59*time.Second)))
	}
	call := event("support.requested", "cus_dave", "evt_dave_1", now)
	call.Customer.Phone = "+31612345678"
	post(t, serve, append(append(slices.Clone(subs), ships...), call))

	hello := interventions(subs, "welcome", "hello")
	checkIn := interventions(subs, "welcome", "check-in")
	shipped := interventions(ships, "shipped", "notice", "details")
	calls := interventions([]*flows.Event{call}, "call", "call")
	s.smtp.WaitFor(t, len(hello)+len(shipped), 2*time.Minute)
	for id, iv := range waitFinal(t, st, slices.Concat(hello, shipped, calls), time.Minute) {
		if iv.State != store.Sent {
			t.Errorf("intervention %s is %s (%s), want sent", id, iv.State, iv.Reason)
		}
	}
	waitFor(t, time.Minute, "check-ins scheduled", func() bool { return len(scheduledTasks(t, rdb, shards)) == len(checkIn) })
	for _, p := range checkIn {
		iv, err := st.Intervention(ctx, p.customer, p.id)
		if err != nil || iv.State != store.Scheduled {
			t.Fatalf("check-in of %s: %+v, %v; want scheduled", p.customer, iv, err)
		}
	}

	// The callback waits in its queue.
	var cbs struct {
		Callbacks []struct {
			Customer string `json:"customer_id"`
		} `json:"callbacks"`
	}
	getJSON(t, serve.url()+"/v1/callbacks?queue=retention", &cbs)
	if len(cbs.Callbacks) != 1 || cbs.Callbacks[0].Customer != "cus_dave" {
		t.Errorf("callbacks in retention = %+v, want one for cus_dave", cbs.Callbacks)
	}

	// Step tasks spread over the shard queues, and the queues over the masters.
	insp := asynq.NewInspectorFromRedisClient(rdb)
	masters := map[string]bool{}
	used := 0
	for _, q := range stepQueues(shards) {
		qi, err := insp.GetQueueInfo(q)
		if err != nil || qi.ProcessedTotal+qi.Scheduled == 0 {
			continue
		}
		used++
		m, err := rdb.MasterForKey(ctx, "asynq:{"+q+"}:pending")
		if err != nil {
			t.Fatal(err)
		}
		masters[m.Options().Addr] = true
	}
	if used < 2 || len(masters) < 2 {
		t.Errorf("step tasks used %d queues on %d masters, want them spread over several of each", used, len(masters))
	}

	// Every key of a customer lives in one slot.
	for _, cus := range []string{"cus_anna", "cus_bob", "cus_carla", "cus_dave", "cus_c000"} {
		keys := clusterKeys(t, rdb, "ahead:{"+cus+"}:*")
		if len(keys) < 4 {
			t.Errorf("customer %s has %d keys, want at least profile, journal, events, interventions: %v", cus, len(keys), keys)
		}
		slots := map[int64]bool{}
		for k := range keys {
			n, err := rdb.ClusterKeySlot(ctx, k).Result()
			if err != nil {
				t.Fatal(err)
			}
			slots[n] = true
		}
		if len(slots) != 1 {
			t.Errorf("keys of %s lie in %d slots, want one: %v", cus, len(slots), keys)
		}
	}

	// A cancelling event cancels bob's check-in and removes its task.
	post(t, serve, []*flows.Event{event("subscription.cancelled", "cus_bob", "evt_bob_2", time.Now())})
	bob := checkIn[1]
	waitFor(t, time.Minute, "bob's check-in cancelled", func() bool {
		iv, err := st.Intervention(ctx, bob.customer, bob.id)
		return err == nil && iv.State == store.Cancelled
	})
	waitFor(t, 30*time.Second, "bob's check-in task removed", func() bool {
		_, ok := scheduledTasks(t, rdb, shards)[bob.id]
		return !ok
	})

	// Erasing carla removes every key of hers and her scheduled task.
	req, _ := http.NewRequest(http.MethodDelete, serve.url()+"/v1/customers/cus_carla", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("erase cus_carla: status %d", resp.StatusCode)
	}
	if keys := clusterKeys(t, rdb, "ahead:{cus_carla}:*"); len(keys) != 0 {
		t.Errorf("keys of an erased customer remain: %v", keys)
	}
	if _, ok := scheduledTasks(t, rdb, shards)[checkIn[2].id]; ok {
		t.Errorf("the erased customer's check-in task is still scheduled")
	}

	// Anna's check-in is untouched, and her timeline tells the story.
	if _, ok := scheduledTasks(t, rdb, shards)[checkIn[0].id]; !ok {
		t.Errorf("anna's check-in task is gone")
	}
	var tl struct {
		Interventions []struct{ Step, State string } `json:"interventions"`
	}
	getJSON(t, serve.url()+"/v1/customers/cus_anna/timeline", &tl)
	got := map[string]string{}
	for _, iv := range tl.Interventions {
		got[iv.Step] = iv.State
	}
	if got["hello"] != store.Sent || got["check-in"] != store.Scheduled {
		t.Errorf("anna's timeline shows %v, want hello sent and check-in scheduled", got)
	}

	// A second status change joins the pending update (a script that
	// reaches the intervention through the debounce slot, in one slot).
	first := event("application.status_changed", "cus_erik", "evt_erik_1", time.Now())
	post(t, serve, []*flows.Event{first})
	update := interventions([]*flows.Event{first}, "status", "update")[0]
	waitFor(t, time.Minute, "erik's update scheduled", func() bool {
		iv, err := st.Intervention(ctx, update.customer, update.id)
		return err == nil && iv.State == store.Scheduled
	})
	post(t, serve, []*flows.Event{event("application.status_changed", "cus_erik", "evt_erik_2", time.Now())})
	waitFor(t, time.Minute, "erik's second change joins the update", func() bool {
		iv, err := st.Intervention(ctx, update.customer, update.id)
		return err == nil && iv.EventID == "evt_erik_2"
	})
	if ivs, err := st.Interventions(ctx, "cus_erik"); err != nil || len(ivs) != 1 {
		t.Errorf("erik has %d interventions (%v), want the one update", len(ivs), err)
	}

	// Erasing dave removes his callback from its queue.
	req, _ = http.NewRequest(http.MethodDelete, serve.url()+"/v1/customers/cus_dave", nil)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("erase cus_dave: status %d", resp.StatusCode)
	}
	cbs.Callbacks = nil
	getJSON(t, serve.url()+"/v1/callbacks?queue=retention", &cbs)
	if len(cbs.Callbacks) != 0 {
		t.Errorf("callbacks of an erased customer remain: %+v", cbs.Callbacks)
	}
	if keys := clusterKeys(t, rdb, "ahead:{cus_dave}:*"); len(keys) != 0 {
		t.Errorf("keys of an erased customer remain: %v", keys)
	}

	// Every message arrived once.
	counts := received(t, s.smtp.Messages())
	for _, p := range slices.Concat(hello, shipped) {
		if counts[p.id] != 1 {
			t.Errorf("intervention %s arrived %d times, want once", p.id, counts[p.id])
		}
	}
	if len(counts) != len(hello)+len(shipped) {
		t.Errorf("%d interventions arrived, want %d", len(counts), len(hello)+len(shipped))
	}
}
