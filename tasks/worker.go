package tasks

import (
	"encoding/json"
	"fmt"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/aheadhq/ahead/engine"
)

// Worker serves ahead's task kinds on asynq with the engine.
type Worker struct {
	*engine.Engine
}

// Options configure a Worker: the engine's options, and the asynq queue
// on Redis that New gives the engine.
type Options struct {
	engine.Options
	// Redis holds the task queue.
	Redis redis.UniversalClient
	// Shards is the number of step queues.
	Shards int
	// MaxRetry bounds the tries of a transient failure (default 8).
	MaxRetry int
}

// New returns a worker whose engine serves catalog and queues its tasks
// on asynq in o.Redis, unless o.Queue names another queue.
func New(o Options, catalog *engine.Catalog) *Worker {
	if o.Queue == nil {
		o.Queue = NewQueue(o.Redis, o.Clock, o.Shards, o.MaxRetry)
	}
	return NewWorker(engine.New(o.Options, catalog))
}

// NewWorker returns the task handlers of e.
func NewWorker(e *engine.Engine) *Worker { return &Worker{Engine: e} }

// Mux returns the asynq handler for every task kind, with the middleware
// that counts and times every run.
func (w *Worker) Mux() *asynq.ServeMux {
	mux := asynq.NewServeMux()
	mux.Use(measure)
	mux.HandleFunc(TypeRoute, w.HandleRoute)
	mux.HandleFunc(TypeStep, w.HandleStep)
	return mux
}

// payload is a task payload that carries its version.
type payload interface{ version() int }

// decode reads a task's payload; a payload that cannot be read, or of a
// version this build does not know, is never retried.
func decode(t *asynq.Task, v payload) error {
	if err := json.Unmarshal(t.Payload(), v); err != nil {
		return fmt.Errorf("decode %s payload: %v: %w", t.Type(), err, asynq.SkipRetry)
	}
	if v.version() != 1 {
		return fmt.Errorf("decode %s payload: unknown version %d: %w", t.Type(), v.version(), asynq.SkipRetry)
	}
	return nil
}
