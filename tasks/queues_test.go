package tasks

import (
	"fmt"
	"testing"
)

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
