package metrics_test

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	dto "github.com/prometheus/client_model/go"

	"github.com/aheadhq/ahead/internal/metrics"
	"github.com/aheadhq/ahead/internal/redistest"
	"github.com/aheadhq/ahead/internal/store"
	"github.com/aheadhq/ahead/tasks"
)

func TestMain(m *testing.M) { os.Exit(redistest.Main(m)) }

// gather returns the value of every sample of family name, keyed by its
// labels as name=value pairs in name order, joined with ",".
func gather(t *testing.T, name string) map[string]float64 {
	t.Helper()
	fams, err := metrics.Registry.Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	out := map[string]float64{}
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			key := ""
			for i, l := range m.GetLabel() {
				if i > 0 {
					key += ","
				}
				key += l.GetName() + "=" + l.GetValue()
			}
			out[key] = value(m)
		}
	}
	return out
}

func value(m *dto.Metric) float64 {
	switch {
	case m.GetGauge() != nil:
		return m.GetGauge().GetValue()
	case m.GetCounter() != nil:
		return m.GetCounter().GetValue()
	}
	return 0
}

// The queue metrics are process-wide, so these tests do not run in parallel.
func TestQueueDepths(t *testing.T) {
	rdb := redistest.New(t)
	client := asynq.NewClientFromRedisClient(rdb)
	for range 3 {
		if _, err := client.Enqueue(asynq.NewTask("t", nil), asynq.Queue("steps-0"), asynq.ProcessIn(time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := client.Enqueue(asynq.NewTask("t", nil), asynq.Queue("steps-0")); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := client.Enqueue(asynq.NewTask("t", nil), asynq.Queue("events")); err != nil {
			t.Fatal(err)
		}
	}
	metrics.WatchQueues(asynq.NewInspectorFromRedisClient(rdb), []string{"events", "steps-0", "steps-1"})
	t.Cleanup(func() { metrics.WatchQueues(nil, nil) })

	got := gather(t, "ahead_queue_tasks")
	want := map[string]float64{
		"queue=steps-0,state=scheduled": 3, "queue=steps-0,state=pending": 1, "queue=steps-0,state=active": 0,
		"queue=steps-0,state=retry": 0, "queue=steps-0,state=archived": 0,
		"queue=events,state=pending": 2, "queue=events,state=scheduled": 0,
		"queue=steps-1,state=pending": 0, "queue=steps-1,state=scheduled": 0, // no task yet: zeros
	}
	for k, v := range want {
		if n, ok := got[k]; !ok || n != v {
			t.Errorf("ahead_queue_tasks{%s} = %v (present %t), want %v", k, n, ok, v)
		}
	}
	if len(got) != 15 {
		t.Errorf("got %d queue samples, want 15 (3 queues × 5 states): %v", len(got), got)
	}
	lat := gather(t, "ahead_queue_latency_seconds")
	if lat["queue=events"] < 0 || len(lat) != 3 {
		t.Errorf("ahead_queue_latency_seconds = %v, want one sample per queue", lat)
	}
}

// Through the task queue, the steps waiting in a due index are reported
// in state "due".
func TestQueueDepthsDue(t *testing.T) {
	rdb := redistest.New(t)
	st := store.New(rdb)
	at := time.Now().Add(time.Hour)
	if err := st.AddDue(context.Background(), []store.Due{
		{Queue: "steps-1", Task: "iv_1", Customer: "cus_1", At: at},
		{Queue: "steps-1", Task: "iv_2", Customer: "cus_2", At: at},
	}); err != nil {
		t.Fatal(err)
	}
	metrics.WatchQueues(tasks.NewQueue(rdb, nil, 2, 0), []string{"events", "steps-0", "steps-1"})
	t.Cleanup(func() { metrics.WatchQueues(nil, nil) })
	got := gather(t, "ahead_queue_tasks")
	if got["queue=steps-1,state=due"] != 2 || got["queue=steps-0,state=due"] != 0 || len(got) != 17 {
		t.Errorf("ahead_queue_tasks = %v, want 2 due in steps-1, 0 in steps-0, 6 states per step queue, 5 for events", got)
	}
}

type brokenReader struct{}

func (brokenReader) Queues() ([]string, error) { return nil, errors.New("redis down") }
func (brokenReader) GetQueueInfo(string) (*asynq.QueueInfo, error) {
	return nil, errors.New("redis down")
}

func TestQueueDepthsRedisDown(t *testing.T) {
	metrics.WatchQueues(brokenReader{}, []string{"events"})
	t.Cleanup(func() { metrics.WatchQueues(nil, nil) })
	before := gather(t, "ahead_queue_read_errors_total")[""]
	if got := gather(t, "ahead_queue_tasks"); len(got) != 0 {
		t.Errorf("queue samples while Redis is down: %v", got)
	}
	after := gather(t, "ahead_queue_read_errors_total")[""]
	if after < before+2 {
		t.Errorf("read errors went from %v to %v over two scrapes, want +2", before, after)
	}
}

func TestQueueDepthsUnwatched(t *testing.T) {
	metrics.WatchQueues(nil, nil)
	if got := gather(t, "ahead_queue_tasks"); len(got) != 0 {
		t.Errorf("queue samples without watched queues: %v", got)
	}
}

func TestCountOutcome(t *testing.T) {
	metrics.CountOutcome("skipped", "renewal", "sms", metrics.ReasonTooLate)
	metrics.CountOutcome("failed", "renewal", "email", "SMTP said 550 mailbox unknown")
	metrics.CountOutcomes("cancelled", "renewal", "", metrics.ReasonErased, 2)
	got := gather(t, "ahead_intervention_outcomes_total")
	if got["channel=sms,flow=renewal,reason=too_late,state=skipped"] < 1 {
		t.Errorf("too_late not counted: %v", got)
	}
	if got["channel=email,flow=renewal,reason=other,state=failed"] < 1 {
		t.Errorf("a free-text reason was not counted as other: %v", got)
	}
	if got["channel=,flow=renewal,reason=erased,state=cancelled"] < 2 {
		t.Errorf("two erasures not counted: %v", got)
	}
}
