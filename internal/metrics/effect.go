package metrics

import "github.com/prometheus/client_golang/prometheus"

// Effect measurement metrics.
var (
	// GoalReached counts runs of a flow that reached the flow's goal (the
	// first goal event in their window), by arm: treatment or control.
	GoalReached = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "ahead_goal_reached_total", Help: "Runs that reached their flow's goal within its window, by flow and arm (treatment, control).",
	}, []string{"flow", "arm"})
	// Entrants counts runs of measured flows (with a goal or a holdout) as
	// they start, by arm.
	Entrants = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "ahead_flow_entrants_total", Help: "Runs of flows with a goal or holdout, counted as they start, by flow and arm (treatment, control).",
	}, []string{"flow", "arm"})
)

func init() {
	Registry.MustRegister(GoalReached, Entrants)
}
