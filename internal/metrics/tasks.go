package metrics

import "github.com/prometheus/client_golang/prometheus"

var (
	// Tasks counts the task runs a worker finished, by kind and result:
	// done, retry (a transient failure, tried again later) or dropped (a
	// failure no retry cures).
	Tasks = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "ahead_tasks_total", Help: "Task runs finished, by kind (event:route, step:run) and result (done, retry, dropped).",
	}, []string{"kind", "result"})
	// TaskSeconds is how long task runs take, by kind.
	TaskSeconds = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "ahead_task_seconds", Help: "Time a task run takes, by kind.",
		Buckets: []float64{.001, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
	}, []string{"kind"})
)

func init() { Registry.MustRegister(Tasks, TaskSeconds) }
