package store_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aheadhq/ahead/internal/store"
)

func newCallback(queue, id string, priority int, due time.Time) *store.Callback {
	return &store.Callback{
		ID: id, Queue: queue, Customer: "cus_1", Name: "Anna", Phone: "+31612345678",
		TalkingPoint: "Confirm the plan.", Flow: "welcome", Step: "call", Intervention: id,
		Due: due, Priority: priority, Created: t0,
	}
}

func TestAddCallbackOnce(t *testing.T) {
	t.Parallel()
	st, _ := setup(t)
	ctx := context.Background()
	cb := newCallback("retention", "iv_1", 0, t0.Add(time.Hour))
	cb.Window, cb.Timezone, cb.Deadline = "mon-fri 09:00-17:00", "Europe/Amsterdam", t0.Add(72*time.Hour)
	added, err := st.AddCallback(ctx, cb)
	if err != nil || !added {
		t.Fatalf("first add = %v, %v", added, err)
	}
	again := newCallback("retention", "iv_1", 9, t0)
	again.Name = "Someone else"
	added, err = st.AddCallback(ctx, again)
	if err != nil || added {
		t.Fatalf("second add = %v, %v; want not added", added, err)
	}
	got, err := st.Callbacks(ctx, "retention", "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatalf("%d callbacks, want 1", len(got))
	}
	want := newCallback("retention", "iv_1", 0, t0.Add(time.Hour))
	want.State = store.CallbackQueued
	want.Window, want.Timezone, want.Deadline = "mon-fri 09:00-17:00", "Europe/Amsterdam", t0.Add(72*time.Hour)
	if !reflect.DeepEqual(got[0], want) {
		t.Fatalf("stored\n got %+v\nwant %+v", got[0], want)
	}
}

func TestCallbacksOrderAndFilter(t *testing.T) {
	t.Parallel()
	st, _ := setup(t)
	ctx := context.Background()
	add := func(cb *store.Callback) {
		t.Helper()
		if _, err := st.AddCallback(ctx, cb); err != nil {
			t.Fatal(err)
		}
	}
	add(newCallback("retention", "late", 0, t0.Add(2*time.Hour)))
	add(newCallback("retention", "urgent", 5, t0.Add(5*time.Hour)))
	add(newCallback("retention", "early", 0, t0.Add(time.Hour)))
	add(newCallback("retention", "low", -3, t0))
	add(newCallback("retention", "lowest", -500, t0)) // clamped to -100
	claimed := newCallback("retention", "claimed", 0, t0)
	claimed.State = store.CallbackClaimed
	add(claimed)
	for i, end := range []time.Time{t0.Add(-time.Hour), t0} {
		done := newCallback("retention", fmt.Sprintf("done%d", i), 0, t0)
		done.State, done.Ended = store.CallbackDone, end
		add(done)
	}
	add(newCallback("billing", "other-queue", 0, t0))

	ids := func(queue, state string, limit int) string {
		t.Helper()
		cbs, err := st.Callbacks(ctx, queue, state, limit)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, c := range cbs {
			out = append(out, c.ID)
		}
		return fmt.Sprint(out)
	}
	for _, tc := range []struct {
		state string
		limit int
		want  string
	}{
		{"", 0, "[urgent claimed early late low lowest done1 done0]"},
		{store.CallbackQueued, 0, "[urgent early late low lowest]"},
		{store.CallbackClaimed, 0, "[claimed]"},
		{store.CallbackDone, 0, "[done1 done0]"},
		{store.CallbackQueued, 2, "[urgent early]"},
		{"", 7, "[urgent claimed early late low lowest done1]"},
	} {
		if got := ids("retention", tc.state, tc.limit); got != tc.want {
			t.Errorf("state %q limit %d = %s, want %s", tc.state, tc.limit, got, tc.want)
		}
	}
	if got, want := ids("nobody", "", 0), "[]"; got != want {
		t.Errorf("unknown queue = %s, want %s", got, want)
	}
	open, err := st.OpenCallbacks(ctx, "retention", 1, 3)
	if err != nil || len(open) != 3 || open[0].ID != "claimed" || open[2].ID != "late" {
		t.Errorf("OpenCallbacks(1, 3) = %v, %v", open, err)
	}
	queues, err := st.Queues(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(queues) != "[billing retention]" {
		t.Errorf("Queues = %v, want [billing retention]", queues)
	}
}

func TestFindCallback(t *testing.T) {
	t.Parallel()
	st, _ := setup(t)
	ctx := context.Background()
	for _, q := range []string{"billing", "retention", "sales"} {
		if _, err := st.AddCallback(ctx, newCallback(q, "cb_"+q, 0, t0)); err != nil {
			t.Fatal(err)
		}
	}
	cb, err := st.FindCallback(ctx, "cb_retention")
	if err != nil || cb.Queue != "retention" || cb.ID != "cb_retention" {
		t.Fatalf("FindCallback = %+v, %v", cb, err)
	}
	if _, err := st.FindCallback(ctx, "cb_nope"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("FindCallback of an unknown id: %v, want ErrNotFound", err)
	}
	if _, err := st.Callback(ctx, "billing", "cb_retention"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Callback in the wrong queue: %v, want ErrNotFound", err)
	}
}

func TestClaimCallback(t *testing.T) {
	t.Parallel()
	st, _ := setup(t)
	ctx := context.Background()
	add := func(cb *store.Callback) {
		t.Helper()
		if _, err := st.AddCallback(ctx, cb); err != nil {
			t.Fatal(err)
		}
	}
	add(newCallback("retention", "future", 0, t0.Add(time.Minute)))
	expired := newCallback("retention", "expired", 0, t0.Add(-4*24*time.Hour))
	expired.Deadline = t0
	add(expired)
	add(newCallback("retention", "due", 0, t0.Add(-time.Hour)))
	ids := []string{"future", "expired", "due", "gone"}

	cb, err := st.ClaimCallback(ctx, "retention", ids, "ann", t0, t0.Add(15*time.Minute))
	if err != nil || cb == nil {
		t.Fatalf("claim = %v, %v", cb, err)
	}
	if cb.ID != "due" || cb.State != store.CallbackClaimed || cb.Agent != "ann" || !cb.LeaseUntil.Equal(t0.Add(15*time.Minute)) || !cb.Claimed.Equal(t0) || cb.Version != 1 {
		t.Fatalf("claimed %+v", cb)
	}
	// Nothing else is free: one is not due, one is past its deadline, one is leased.
	if cb, err := st.ClaimCallback(ctx, "retention", ids, "bob", t0.Add(30*time.Second), t0.Add(30*time.Minute)); err != nil || cb != nil {
		t.Fatalf("second claim = %+v, %v; want none", cb, err)
	}
	// Once the lease runs out, another agent may take it.
	cb, err = st.ClaimCallback(ctx, "retention", []string{"due"}, "bob", t0.Add(15*time.Minute), t0.Add(30*time.Minute))
	if err != nil || cb == nil || cb.Agent != "bob" || cb.Version != 2 {
		t.Fatalf("claim after the lease = %+v, %v", cb, err)
	}
	if cb, err := st.ClaimCallback(ctx, "retention", nil, "bob", t0, t0); err != nil || cb != nil {
		t.Fatalf("claim of no ids = %+v, %v", cb, err)
	}
}

// TestClaimCallbackConcurrent hands 20 callbacks to 50 agents claiming at
// once: each callback goes out exactly once.
func TestClaimCallbackConcurrent(t *testing.T) {
	t.Parallel()
	st, _ := setup(t)
	ctx := context.Background()
	var ids []string
	for i := range 20 {
		id := fmt.Sprintf("cb_%02d", i)
		ids = append(ids, id)
		if _, err := st.AddCallback(ctx, newCallback("retention", id, 0, t0.Add(-time.Duration(i)*time.Minute))); err != nil {
			t.Fatal(err)
		}
	}
	var (
		mu  sync.Mutex
		got = map[string][]string{} // callback → agents
		wg  sync.WaitGroup
	)
	start := make(chan struct{})
	for a := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			agent := fmt.Sprintf("agent_%02d", a)
			<-start
			cb, err := st.ClaimCallback(ctx, "retention", ids, agent, t0, t0.Add(time.Hour))
			if err != nil {
				t.Error(err)
				return
			}
			if cb != nil {
				mu.Lock()
				got[cb.ID] = append(got[cb.ID], agent)
				mu.Unlock()
			}
		}()
	}
	close(start)
	wg.Wait()
	if len(got) != 20 {
		t.Errorf("%d callbacks handed out, want 20", len(got))
	}
	for id, agents := range got {
		if len(agents) != 1 {
			t.Errorf("%s went to %v", id, agents)
		}
		cb, err := st.Callback(ctx, "retention", id)
		if err != nil || cb.Agent != agents[0] {
			t.Errorf("%s is held by %q, handed to %v", id, cb.Agent, agents)
		}
	}
}

func TestSaveCallback(t *testing.T) {
	t.Parallel()
	st, _ := setup(t)
	ctx := context.Background()
	for _, id := range []string{"a", "b"} {
		if _, err := st.AddCallback(ctx, newCallback("retention", id, 0, t0)); err != nil {
			t.Fatal(err)
		}
	}
	cb, err := st.ClaimCallback(ctx, "retention", []string{"a"}, "ann", t0, t0.Add(time.Hour))
	if err != nil || cb == nil {
		t.Fatal(cb, err)
	}
	stale := *cb
	// A retry later today: back in the queue, behind b.
	cb.State, cb.Agent, cb.Outcome, cb.Attempts = store.CallbackQueued, "", "no_answer", 1
	cb.Due, cb.LeaseUntil, cb.Claimed = t0.Add(2*time.Hour), time.Time{}, time.Time{}
	if err := st.SaveCallback(ctx, cb); err != nil {
		t.Fatal(err)
	}
	if cb.Version != 2 {
		t.Errorf("version %d after save, want 2", cb.Version)
	}
	stale.Outcome = "reached"
	if err := st.SaveCallback(ctx, &stale); !errors.Is(err, store.ErrCallbackChanged) {
		t.Fatalf("saving a stale copy: %v, want ErrCallbackChanged", err)
	}
	got, _ := st.Callback(ctx, "retention", "a")
	if got.Outcome != "no_answer" || got.Agent != "" || !got.LeaseUntil.IsZero() || got.Attempts != 1 || !got.Due.Equal(t0.Add(2*time.Hour)) {
		t.Errorf("stored %+v", got)
	}
	list, _ := st.Callbacks(ctx, "retention", "", 0)
	if len(list) != 2 || list[0].ID != "b" || list[1].ID != "a" {
		t.Errorf("order after retry = %v", list)
	}
	// The lease fields are cleared, so the claim script sees it as queued and due later.
	if c, _ := st.ClaimCallback(ctx, "retention", []string{"a"}, "bob", t0.Add(time.Hour), t0.Add(2*time.Hour)); c != nil {
		t.Errorf("claimed before its new due time: %+v", c)
	}

	// Ending it counts it once, by result.
	got.State, got.Result, got.Ended = store.CallbackDone, "reached", t0.Add(3*time.Hour)
	if err := st.SaveCallback(ctx, got); err != nil {
		t.Fatal(err)
	}
	got.Note = "fixed a typo"
	if err := st.SaveCallback(ctx, got); err != nil {
		t.Fatal(err)
	}
	stats, err := st.CallbackStats(ctx, "retention")
	if err != nil || stats.Ended != 1 || !reflect.DeepEqual(stats.ByResult, map[string]int64{"reached": 1}) {
		t.Errorf("stats = %+v, %v", stats, err)
	}
	if done, _ := st.Callbacks(ctx, "retention", store.CallbackDone, 0); len(done) != 1 || done[0].ID != "a" {
		t.Errorf("done = %v", done)
	}
	if open, _ := st.OpenCallbacks(ctx, "retention", 0, 10); len(open) != 1 || open[0].ID != "b" {
		t.Errorf("open = %v", open)
	}

	gone := newCallback("retention", "gone", 0, t0)
	if err := st.SaveCallback(ctx, gone); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("saving an unknown callback: %v, want ErrNotFound", err)
	}
}

func TestPruneCallbacks(t *testing.T) {
	t.Parallel()
	st, rdb := setup(t)
	ctx := context.Background()
	for i, end := range []time.Time{t0.Add(-40 * 24 * time.Hour), t0.Add(-31 * 24 * time.Hour), t0.Add(-time.Hour)} {
		cb := newCallback("retention", fmt.Sprintf("done%d", i), 0, t0)
		cb.State, cb.Ended = store.CallbackDone, end
		if _, err := st.AddCallback(ctx, cb); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := st.AddCallback(ctx, newCallback("retention", "open", 0, t0.Add(-50*24*time.Hour))); err != nil {
		t.Fatal(err)
	}
	n, err := st.PruneCallbacks(ctx, "retention", t0.Add(-30*24*time.Hour))
	if err != nil || n != 2 {
		t.Fatalf("pruned %d, %v; want 2", n, err)
	}
	list, _ := st.Callbacks(ctx, "retention", "", 0)
	var ids []string
	for _, c := range list {
		ids = append(ids, c.ID)
	}
	if !slices.Equal(ids, []string{"open", "done2"}) {
		t.Errorf("left %v", ids)
	}
	refs, _ := rdb.SMembers(ctx, "ahead:{cus_1}:callbacks").Result()
	slices.Sort(refs)
	if !slices.Equal(refs, []string{"retention|done2", "retention|open"}) {
		t.Errorf("customer refs = %v", refs)
	}
}

func TestEraseRemovesClaimedAndEndedCallbacks(t *testing.T) {
	t.Parallel()
	st, rdb := setup(t)
	ctx := context.Background()
	for _, id := range []string{"cb_a", "cb_b"} {
		cb := newCallback("retention", id, 0, t0)
		cb.Customer = "cus_gone"
		if _, err := st.AddCallback(ctx, cb); err != nil {
			t.Fatal(err)
		}
	}
	cb, _ := st.ClaimCallback(ctx, "retention", []string{"cb_a"}, "ann", t0, t0.Add(time.Hour))
	cb.State, cb.Result, cb.Ended = store.CallbackDone, "reached", t0
	if err := st.SaveCallback(ctx, cb); err != nil {
		t.Fatal(err)
	}
	if _, err := st.ClaimCallback(ctx, "retention", []string{"cb_b"}, "ann", t0, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := st.Erase(ctx, "cus_gone"); err != nil {
		t.Fatal(err)
	}
	keys, _ := rdb.Keys(ctx, "*").Result()
	for _, k := range keys {
		if strings.Contains(k, "cus_gone") || strings.Contains(k, "cb_a") || strings.Contains(k, "cb_b") {
			t.Errorf("key %s survived erasure", k)
		}
		if typ, _ := rdb.Type(ctx, k).Result(); typ == "zset" {
			members, _ := rdb.ZRange(ctx, k, 0, -1).Result()
			if len(members) > 0 {
				t.Errorf("%s still lists %v", k, members)
			}
		}
	}
	if _, err := st.FindCallback(ctx, "cb_a"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("FindCallback after erasure: %v", err)
	}
}

func TestSweepTurn(t *testing.T) {
	t.Parallel()
	st, _ := setup(t)
	ctx := context.Background()
	if ok, err := st.SweepTurn(ctx, "retention", "w1", time.Minute); err != nil || !ok {
		t.Fatalf("first turn = %v, %v", ok, err)
	}
	if ok, _ := st.SweepTurn(ctx, "retention", "w2", time.Minute); ok {
		t.Error("second worker got the turn within the ttl")
	}
	if ok, _ := st.SweepTurn(ctx, "billing", "w2", time.Minute); !ok {
		t.Error("another queue's turn was taken")
	}
}
