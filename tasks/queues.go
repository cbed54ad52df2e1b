package tasks

import (
	"fmt"
	"hash/fnv"
)

// QueueEvents is the asynq queue of event:route tasks.
const QueueEvents = "events"

// StepQueue returns the step queue shard of a customer: step tasks spread
// over shards queues so that a Redis Cluster spreads the load.
func StepQueue(customer string, shards int) string {
	if shards <= 1 {
		return "steps-0"
	}
	h := fnv.New32a()
	h.Write([]byte(customer))
	return fmt.Sprintf("steps-%d", h.Sum32()%uint32(shards))
}

// Queues returns the asynq queues a worker serves, with their priorities.
func Queues(shards int) map[string]int {
	q := map[string]int{QueueEvents: 4}
	for _, s := range StepQueues(shards) {
		q[s] = 6
	}
	return q
}

// StepQueues returns the names of the step queues.
func StepQueues(shards int) []string {
	out := make([]string, max(shards, 1))
	for i := range out {
		out[i] = fmt.Sprintf("steps-%d", i)
	}
	return out
}
