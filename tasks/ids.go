package tasks

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash/fnv"
)

func digest(prefix string, n int, parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return prefix + hex.EncodeToString(h.Sum(nil))[:n]
}

// RunID is the id of the run of flow started by event for customer.
func RunID(customer, event, flow string) string {
	return digest("run_", 20, customer, event, flow)
}

// InterventionID is the id of one step of that run. It doubles as the
// step task's asynq task id, so a repeated event schedules nothing new.
func InterventionID(customer, event, flow, step string) string {
	return digest("iv_", 24, customer, event, flow, step)
}

// RouteTaskID is the asynq task id of routing one event.
func RouteTaskID(customer, event string) string {
	return digest("ev_", 24, customer, event)
}

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
	if shards < 1 {
		shards = 1
	}
	for i := 0; i < shards; i++ {
		q[fmt.Sprintf("steps-%d", i)] = 6
	}
	return q
}
