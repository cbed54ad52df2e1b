package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Registry holds every ahead metric and the Go and process collectors.
var Registry = prometheus.NewRegistry()

var (
	// Events counts posted events by result: accepted, duplicate, invalid.
	Events = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "ahead_events_total", Help: "Events posted to the API, by result.",
	}, []string{"result"})
	// Interventions counts interventions reaching a state, by channel.
	Interventions = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "ahead_interventions_total", Help: "Interventions reaching a state (scheduled, sent, skipped, cancelled, failed, fallback, retrying), by channel.",
	}, []string{"state", "channel"})
	// Promoted counts step tasks the promoter moved from a due index into
	// their queue.
	Promoted = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "ahead_steps_promoted_total", Help: "Step tasks moved from a due index into their queue once due.",
	})
	// PromoteErrors counts promotion rounds that failed (Redis unreachable).
	PromoteErrors = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "ahead_promote_errors_total", Help: "Promotion rounds that failed, for instance while Redis was unreachable.",
	})
	// Lag observes how late a step ran after its due time.
	Lag = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "ahead_dispatch_lag_seconds", Help: "Time from an intervention's due time to its dispatch.",
		Buckets: []float64{.05, .1, .25, .5, 1, 2, 5, 10, 30, 60, 300},
	})
)

func init() {
	Registry.MustRegister(Events, Interventions, Lag, Promoted, PromoteErrors,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
}
