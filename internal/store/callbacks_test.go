package store_test

import (
	"context"
	"fmt"
	"reflect"
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
	claimed := newCallback("retention", "claimed", 0, t0)
	claimed.State = store.CallbackClaimed
	add(claimed)
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
	if got, want := ids("retention", "", 0), "[urgent claimed early late low]"; got != want {
		t.Errorf("all = %s, want %s", got, want)
	}
	if got, want := ids("retention", store.CallbackQueued, 0), "[urgent early late low]"; got != want {
		t.Errorf("queued = %s, want %s", got, want)
	}
	if got, want := ids("retention", store.CallbackClaimed, 0), "[claimed]"; got != want {
		t.Errorf("claimed = %s, want %s", got, want)
	}
	if got, want := ids("retention", store.CallbackQueued, 2), "[urgent early]"; got != want {
		t.Errorf("queued, limit 2 = %s, want %s", got, want)
	}
	if got, want := ids("nobody", "", 0), "[]"; got != want {
		t.Errorf("unknown queue = %s, want %s", got, want)
	}
	queues, err := st.Queues(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(queues) != "[billing retention]" {
		t.Errorf("Queues = %v, want [billing retention]", queues)
	}
}
