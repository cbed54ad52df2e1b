package tasks

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/aheadhq/ahead/internal/metrics"
)

func TestMeasureCountsResults(t *testing.T) {
	t.Parallel()
	kind := "test:measure"
	// The counters are the process's: count what this run adds, so that
	// the test holds when run again (go test -count).
	before := map[string]float64{}
	for _, result := range []string{"done", "retry", "dropped"} {
		before[result] = testutil.ToFloat64(metrics.Tasks.WithLabelValues(kind, result))
	}
	errs := []error{nil, errors.New("timeout"), fmt.Errorf("bad payload: %w", asynq.SkipRetry), nil}
	for _, want := range errs {
		h := measure(asynq.HandlerFunc(func(context.Context, *asynq.Task) error { return want }))
		if got := h.ProcessTask(context.Background(), asynq.NewTask(kind, nil)); got != want {
			t.Fatalf("measure returned %v, want %v", got, want)
		}
	}
	for result, want := range map[string]float64{"done": 2, "retry": 1, "dropped": 1} {
		if got := testutil.ToFloat64(metrics.Tasks.WithLabelValues(kind, result)) - before[result]; got != want {
			t.Errorf("ahead_tasks_total{kind=%q,result=%q} = %v, want %v", kind, result, got, want)
		}
	}
}
