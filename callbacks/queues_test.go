package callbacks_test

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aheadhq/ahead/callbacks"
	"github.com/aheadhq/ahead/internal/store"
)

func TestClaimOrderAndCallable(t *testing.T) {
	t.Parallel()
	b := setup(t, tuesday10)
	b.add("ams_9", "retention", "call", "cus_ams", "Europe/Amsterdam", local(t, "2026-11-24 09:00"), 0)
	b.add("ny_8", "retention", "call", "cus_ny", "America/New_York", local(t, "2026-11-24 08:00"), 0)
	b.add("vip_930", "retention", "call", "cus_vip", "Europe/Amsterdam", local(t, "2026-11-24 09:30"), 5)
	b.add("ams_11", "retention", "call", "cus_late", "Europe/Amsterdam", local(t, "2026-11-24 11:00"), 0)

	// At 10:00 the customer in New York is asleep and one is not due yet.
	var got []string
	for range 3 {
		if cb := b.claim("retention", "ann"); cb != nil {
			got = append(got, cb.ID)
		}
	}
	if want := []string{"vip_930", "ams_9"}; !slices.Equal(got, want) {
		t.Fatalf("claimed at 10:00: %v, want %v", got, want)
	}
	cb := b.get("vip_930")
	if cb.State != store.CallbackClaimed || cb.Agent != "ann" || !cb.LeaseUntil.Equal(tuesday10.Add(10*time.Minute)) {
		t.Errorf("claimed callback %+v; want ann's with the queue's 10m lease", cb)
	}
	entries := b.journal("cus_vip")
	if len(entries) != 1 || entries[0].State != "claimed" || entries[0].Reason != "claimed by ann until 2026-11-24 10:10 CET" || entries[0].Queue != "retention" {
		t.Errorf("journal = %+v", entries)
	}

	for _, id := range []string{"vip_930", "ams_9"} {
		if _, err := b.q.Record(b.ctx, id, "ann", callbacks.Outcome{Outcome: "reached"}); err != nil {
			t.Fatal(err)
		}
	}

	// At 15:30 it is 09:30 in New York.
	b.clk.Set(local(t, "2026-11-24 15:30"))
	got = nil
	for range 3 {
		if cb := b.claim("retention", "bob"); cb != nil {
			got = append(got, cb.ID)
		}
	}
	if want := []string{"ny_8", "ams_11"}; !slices.Equal(got, want) {
		t.Fatalf("claimed at 15:30: %v, want %v", got, want)
	}
}

func TestClaimQueueClosed(t *testing.T) {
	t.Parallel()
	b := setup(t, local(t, "2026-11-24 17:00"))
	b.add("a", "retention", "", "cus_1", "Europe/Amsterdam", local(t, "2026-11-24 09:00"), 0)
	if cb := b.claim("retention", "ann"); cb != nil {
		t.Fatalf("claimed %s after closing time", cb.ID)
	}
	b.clk.Set(local(t, "2026-12-25 10:00")) // a holiday
	if cb := b.claim("retention", "ann"); cb != nil {
		t.Fatalf("claimed %s on a holiday", cb.ID)
	}
	b.clk.Set(local(t, "2026-11-25 09:00"))
	if cb := b.claim("retention", "ann"); cb == nil {
		t.Fatal("nothing claimed in opening hours")
	}
	if _, err := b.q.Claim(b.ctx, "sales", "ann", 0); !errors.Is(err, callbacks.ErrUnknownQueue) {
		t.Errorf("claim from an undefined queue: %v", err)
	}
}

func TestClaimLeaseRunsOut(t *testing.T) {
	t.Parallel()
	b := setup(t, tuesday10)
	b.add("a", "retention", "call", "cus_1", "Europe/Amsterdam", local(t, "2026-11-24 09:00"), 0)
	if cb, err := b.q.Claim(b.ctx, "retention", "ann", 5*time.Minute); err != nil || cb == nil || !cb.LeaseUntil.Equal(tuesday10.Add(5*time.Minute)) {
		t.Fatalf("claim = %+v, %v", cb, err)
	}
	b.clk.Advance(4 * time.Minute)
	if cb := b.claim("retention", "bob"); cb != nil {
		t.Fatalf("bob claimed %s while ann's lease holds", cb.ID)
	}
	b.clk.Advance(time.Minute)
	cb := b.claim("retention", "bob")
	if cb == nil || cb.Agent != "bob" {
		t.Fatalf("after the lease ran out bob got %+v", cb)
	}
	// ann's outcome comes too late.
	if _, err := b.q.Record(b.ctx, "a", "ann", callbacks.Outcome{Outcome: "reached"}); !errors.Is(err, callbacks.ErrNotHolder) {
		t.Errorf("outcome of the agent whose lease ran out: %v, want ErrNotHolder", err)
	}
}

// TestClaimConcurrent: 50 agents claim at once from a queue of 20.
func TestClaimConcurrent(t *testing.T) {
	t.Parallel()
	b := setup(t, tuesday10)
	for i := range 20 {
		b.add(fmt.Sprintf("cb_%02d", i), "retention", "call", fmt.Sprintf("cus_%02d", i), "Europe/Amsterdam", local(t, "2026-11-24 09:00").Add(time.Duration(i)*time.Minute), 0)
	}
	var (
		mu    sync.Mutex
		wg    sync.WaitGroup
		got   = map[string][]string{}
		none  int
		start = make(chan struct{})
	)
	for a := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			agent := fmt.Sprintf("agent_%02d", a)
			cb, err := b.q.Claim(b.ctx, "retention", agent, 0)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			if cb == nil {
				none++
				return
			}
			got[cb.ID] = append(got[cb.ID], agent)
		}()
	}
	close(start)
	wg.Wait()
	if len(got) != 20 || none != 30 {
		t.Errorf("%d callbacks handed out and %d agents got none; want 20 and 30", len(got), none)
	}
	for id, agents := range got {
		if len(agents) != 1 {
			t.Errorf("%s handed to %v", id, agents)
		}
		if cb := b.get(id); cb.Agent != agents[0] {
			t.Errorf("%s held by %s, handed to %s", id, cb.Agent, agents[0])
		}
	}
}

func TestTake(t *testing.T) {
	t.Parallel()
	b := setup(t, local(t, "2026-11-24 20:00")) // the queue is closed
	b.add("a", "retention", "call", "cus_1", "Europe/Amsterdam", local(t, "2026-11-24 09:00"), 0)
	cb, err := b.q.Take(b.ctx, "a", "taskrouter:alice", time.Hour)
	if err != nil || cb.Agent != "taskrouter:alice" || !cb.LeaseUntil.Equal(local(t, "2026-11-24 21:00")) {
		t.Fatalf("Take = %+v, %v", cb, err)
	}
	if again, err := b.q.Take(b.ctx, "a", "taskrouter:alice", time.Hour); err != nil || again.Version != cb.Version {
		t.Errorf("Take again by the holder = %+v, %v", again, err)
	}
	if _, err := b.q.Take(b.ctx, "a", "bob", time.Hour); !errors.Is(err, callbacks.ErrNotHolder) {
		t.Errorf("Take of a held callback: %v", err)
	}
	if _, err := b.q.Take(b.ctx, "nope", "bob", time.Hour); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Take of an unknown callback: %v", err)
	}
}

func TestNames(t *testing.T) {
	t.Parallel()
	b := setup(t, tuesday10)
	b.add("a", "legacy", "", "cus_1", "UTC", tuesday10, 0)
	names, err := b.q.Names(b.ctx)
	if err != nil || !slices.Equal(names, []string{"always", "legacy", "offered", "retention"}) {
		t.Errorf("Names = %v, %v", names, err)
	}
}
