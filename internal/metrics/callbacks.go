package metrics

import "github.com/prometheus/client_golang/prometheus"

// Callback queue metrics. The gauges are set by the callback sweep, which
// every worker runs (default every 15s); the counters and the histogram
// count what this process recorded.
var (
	// CallbackDepth is the number of callbacks still to be worked, by
	// queue and state: queued, claimed, and callable (queued and callable
	// now: queue open, customer's window open, due, before its deadline).
	CallbackDepth = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "ahead_callback_queue_depth", Help: "Callbacks still to be worked, by queue and state (queued, claimed, callable).",
	}, []string{"queue", "state"})
	// CallbackOldest is how long the oldest callable callback of a queue
	// has been due; 0 when none is callable.
	CallbackOldest = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "ahead_callback_oldest_callable_age_seconds", Help: "Time since the oldest callable callback of a queue became due; 0 when none is callable.",
	}, []string{"queue"})
	// CallbackReach is the share of a queue's ended callbacks whose result
	// is reached.
	CallbackReach = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "ahead_callback_reach_ratio", Help: "Share of a queue's ended callbacks that reached the customer (0 to 1).",
	}, []string{"queue"})
	// CallbackOutcomes counts recorded call outcomes.
	CallbackOutcomes = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "ahead_callback_outcomes_total", Help: "Call outcomes recorded, by queue and outcome.",
	}, []string{"queue", "outcome"})
	// CallbackEnded counts callbacks that ended, by result: reached,
	// declined, wrong_number, exhausted, expired.
	CallbackEnded = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "ahead_callbacks_ended_total", Help: "Callbacks that ended, by queue and result.",
	}, []string{"queue", "result"})
	// CallbackAttempts observes the calls made for a callback when it ends.
	CallbackAttempts = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "ahead_callback_attempts", Help: "Calls made per callback, observed when it ends.",
		Buckets: []float64{0, 1, 2, 3, 4, 5, 7, 10},
	}, []string{"queue"})
)

func init() {
	Registry.MustRegister(CallbackDepth, CallbackOldest, CallbackReach, CallbackOutcomes, CallbackEnded, CallbackAttempts)
}
