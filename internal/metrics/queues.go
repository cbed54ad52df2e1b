package metrics

import (
	"slices"
	"sync"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
)

// QueueReader reads asynq's queues; *asynq.Inspector is one.
type QueueReader interface {
	Queues() ([]string, error)
	GetQueueInfo(queue string) (*asynq.QueueInfo, error)
}

// DueReader is a QueueReader that also counts the step tasks waiting in
// a queue's due index for their time: they are reported in state "due",
// for the queues that have one (ok).
type DueReader interface {
	QueueReader
	Due(queue string) (n int64, ok bool, err error)
}

var (
	queueTasksDesc = prometheus.NewDesc("ahead_queue_tasks",
		"Tasks in an asynq queue by state (due: waiting in the queue's due index; pending, active, scheduled, retry, archived), read from Redis at each scrape.",
		[]string{"queue", "state"}, nil)
	queueLatencyDesc = prometheus.NewDesc("ahead_queue_latency_seconds",
		"How long the oldest pending task of an asynq queue has waited, read from Redis at each scrape.",
		[]string{"queue"}, nil)
	queueErrorDesc = prometheus.NewDesc("ahead_queue_read_errors_total",
		"Scrapes that could not read the asynq queues from Redis.", nil, nil)
)

// queueCollector reports the depth of asynq's queues when /metrics is
// scraped. It reads nothing until WatchQueues names the queues.
type queueCollector struct {
	mu     sync.Mutex
	reader QueueReader
	queues []string
	errors float64
}

var queueDepths = &queueCollector{}

// WatchQueues makes /metrics report the depth of queues, read through r at
// each scrape: ahead_queue_tasks{queue,state} and
// ahead_queue_latency_seconds{queue}. A queue that holds no task yet
// reports zeros. Calling it again replaces the queues watched.
func WatchQueues(r QueueReader, queues []string) {
	queueDepths.mu.Lock()
	defer queueDepths.mu.Unlock()
	queueDepths.reader = r
	queueDepths.queues = slices.Sorted(slices.Values(queues))
}

func (c *queueCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- queueTasksDesc
	ch <- queueLatencyDesc
	ch <- queueErrorDesc
}

func (c *queueCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.reader == nil {
		return
	}
	if err := c.collect(ch); err != nil {
		c.errors++
	}
	ch <- prometheus.MustNewConstMetric(queueErrorDesc, prometheus.CounterValue, c.errors)
}

// collect reports every watched queue, or nothing when Redis cannot be read.
func (c *queueCollector) collect(ch chan<- prometheus.Metric) error {
	known, err := c.reader.Queues()
	if err != nil {
		return err
	}
	var out []prometheus.Metric
	for _, q := range c.queues {
		var qi asynq.QueueInfo
		if slices.Contains(known, q) {
			info, err := c.reader.GetQueueInfo(q)
			if err != nil {
				return err
			}
			qi = *info
		}
		type count struct {
			state string
			n     int64
		}
		states := []count{{"pending", int64(qi.Pending)}, {"active", int64(qi.Active)}, {"scheduled", int64(qi.Scheduled)},
			{"retry", int64(qi.Retry)}, {"archived", int64(qi.Archived)}}
		if d, ok := c.reader.(DueReader); ok {
			n, ok, err := d.Due(q)
			if err != nil {
				return err
			}
			if ok {
				states = append(states, count{"due", n})
			}
		}
		for _, s := range states {
			out = append(out, prometheus.MustNewConstMetric(queueTasksDesc, prometheus.GaugeValue, float64(s.n), q, s.state))
		}
		out = append(out, prometheus.MustNewConstMetric(queueLatencyDesc, prometheus.GaugeValue, qi.Latency.Seconds(), q))
	}
	for _, m := range out {
		ch <- m
	}
	return nil
}

func init() {
	Registry.MustRegister(queueDepths)
}
