package tasks

import (
	"context"
	"errors"
	"time"

	"github.com/hibiken/asynq"

	"github.com/aheadhq/ahead/internal/metrics"
)

// Result names how a task run ended, as ahead_tasks_total counts it.
func Result(err error) string {
	switch {
	case err == nil:
		return "done"
	case errors.Is(err, asynq.SkipRetry):
		return "dropped"
	}
	return "retry"
}

// measure counts every task run by kind and result, and times it.
func measure(next asynq.Handler) asynq.Handler {
	return asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
		start := time.Now()
		err := next.ProcessTask(ctx, t)
		metrics.TaskSeconds.WithLabelValues(t.Type()).Observe(time.Since(start).Seconds())
		metrics.Tasks.WithLabelValues(t.Type(), Result(err)).Inc()
		return err
	})
}
