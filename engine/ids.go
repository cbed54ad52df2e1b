package engine

import (
	"crypto/sha256"
	"encoding/hex"
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

// RouteTaskID is the task id of routing one event.
func RouteTaskID(customer, event string) string {
	return digest("ev_", 24, customer, event)
}
