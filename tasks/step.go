package tasks

import (
	"context"
	"encoding/json"
	"time"

	"github.com/hibiken/asynq"

	"github.com/aheadhq/ahead/engine"
)

// TypeStep is the kind of the task that runs one intervention at its due time.
const TypeStep = "step:run"

// StepPayload names the intervention to run. Version 1.
type StepPayload struct {
	V            int    `json:"v"`
	Customer     string `json:"customer_id"`
	Intervention string `json:"intervention_id"`
	// Event is the intervention's trigger event when the task was queued,
	// so that the step's state is read with its claim, and Occurred its
	// occurred_at in Unix milliseconds, so that the events since are read
	// too. Tasks without them read these after the claim.
	Event    string `json:"event_id,omitempty"`
	Occurred int64  `json:"occurred_ms,omitempty"`
}

func (p *StepPayload) version() int { return p.V }

// NewStepTask returns the task that runs intervention id of customer with
// the task id taskID: the intervention id, with a suffix for each time the
// step was deferred.
func NewStepTask(customer, id, taskID string) (*asynq.Task, []asynq.Option) {
	b, _ := json.Marshal(StepPayload{V: 1, Customer: customer, Intervention: id})
	return asynq.NewTask(TypeStep, b), []asynq.Option{asynq.TaskID(taskID)}
}

// HandleStep runs the intervention the task names (see
// engine.Engine.RunStep), telling the engine which try this is.
func (w *Worker) HandleStep(ctx context.Context, t *asynq.Task) error {
	var p StepPayload
	if err := decode(t, &p); err != nil {
		return err
	}
	ref := engine.StepRef{Customer: p.Customer, Intervention: p.Intervention, Event: p.Event}
	if p.Occurred != 0 {
		ref.Occurred = time.UnixMilli(p.Occurred)
	}
	if n, ok := asynq.GetRetryCount(ctx); ok {
		max, _ := asynq.GetMaxRetry(ctx)
		ctx = engine.WithTry(ctx, engine.Try{N: n, Max: max})
	}
	return w.RunStep(ctx, ref)
}
