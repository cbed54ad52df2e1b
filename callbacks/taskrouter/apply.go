package taskrouter

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aheadhq/ahead/callbacks"
)

// Apply carries out what a TaskRouter event means for the callback
// queues: a worker took the Task's callback (under lease), a call's
// outcome, or a Task that no longer offers its callback. Events that mean
// nothing to ahead are passed over. An error that Moot reports is an event
// that no longer applies: the callback is gone or held by someone else.
func Apply(ctx context.Context, q *callbacks.Queues, a Action, lease time.Duration) error {
	switch a.Kind {
	case Take:
		cb, err := q.Find(ctx, a.Callback)
		if err != nil {
			return err
		}
		if cb.TaskSID != a.Task {
			return fmt.Errorf("task %s no longer offers callback %s: %w", a.Task, a.Callback, callbacks.ErrNotHolder)
		}
		_, err = q.Take(ctx, a.Callback, a.Agent, lease)
		return err
	case Record:
		_, err := q.Record(ctx, a.Callback, "", a.Outcome)
		return err
	case Unoffer:
		return q.Unoffer(ctx, a.Callback, a.Task, a.Why)
	}
	return nil
}

// Moot reports whether an error of Apply says the event no longer applies:
// an unknown callback, one held by someone else, or an outcome it refuses.
func Moot(err error) bool {
	var inv *callbacks.InvalidError
	return errors.Is(err, callbacks.ErrNotFound) || errors.Is(err, callbacks.ErrNotHolder) || errors.As(err, &inv)
}
