package tasks

import (
	"fmt"
	"strings"
	"testing"
)

func TestIDsAreDeterministicAndDistinct(t *testing.T) {
	t.Parallel()
	a := InterventionID("cus_1", "evt_1", "welcome", "invoice")
	if a != InterventionID("cus_1", "evt_1", "welcome", "invoice") {
		t.Fatal("InterventionID differs between calls")
	}
	if !strings.HasPrefix(a, "iv_") || len(a) != len("iv_")+24 {
		t.Errorf("InterventionID %q, want iv_ and 24 hex digits", a)
	}
	seen := map[string]string{a: "base"}
	for name, id := range map[string]string{
		"customer": InterventionID("cus_2", "evt_1", "welcome", "invoice"),
		"event":    InterventionID("cus_1", "evt_2", "welcome", "invoice"),
		"flow":     InterventionID("cus_1", "evt_1", "welcome2", "invoice"),
		"step":     InterventionID("cus_1", "evt_1", "welcome", "reassurance"),
		// Parts are separated, so shifting text between them changes the id.
		"shifted": InterventionID("cus_1", "evt_1", "welcomei", "nvoice"),
	} {
		if prev, ok := seen[id]; ok {
			t.Errorf("%s gives the same id as %s", name, prev)
		}
		seen[id] = name
	}
	if RunID("cus_1", "evt_1", "welcome") == RunID("cus_1", "evt_1", "other") {
		t.Error("RunID ignores the flow")
	}
	if RouteTaskID("cus_1", "evt_1") == RouteTaskID("cus_2", "evt_1") {
		t.Error("RouteTaskID ignores the customer")
	}
}

func TestStepQueue(t *testing.T) {
	t.Parallel()
	for _, shards := range []int{0, 1} {
		if q := StepQueue("cus_1", shards); q != "steps-0" {
			t.Errorf("StepQueue with %d shards: %s, want steps-0", shards, q)
		}
	}
	queues := Queues(8)
	if len(queues) != 9 || queues[QueueEvents] == 0 {
		t.Fatalf("Queues(8) = %v, want events and 8 step queues", queues)
	}
	used := map[string]int{}
	for i := range 1000 {
		cus := fmt.Sprintf("cus_%d", i)
		q := StepQueue(cus, 8)
		if q != StepQueue(cus, 8) {
			t.Fatalf("StepQueue(%s) differs between calls", cus)
		}
		if _, ok := queues[q]; !ok {
			t.Fatalf("StepQueue(%s) = %s, not served by Queues(8)", cus, q)
		}
		used[q]++
	}
	for q, n := range used {
		if n < 60 {
			t.Errorf("queue %s got %d of 1000 customers; the shards are uneven", q, n)
		}
	}
	if len(used) != 8 {
		t.Errorf("1000 customers used %d of 8 queues", len(used))
	}
	if q := Queues(0); len(q) != 2 {
		t.Errorf("Queues(0) = %v, want events and steps-0", q)
	}
}
