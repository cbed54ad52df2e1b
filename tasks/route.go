package tasks

import (
	"context"
	"encoding/json"

	"github.com/hibiken/asynq"

	"github.com/aheadhq/ahead/engine"
	"github.com/aheadhq/ahead/internal/store"
)

// TypeRoute is the kind of the task that routes one accepted event.
const TypeRoute = "event:route"

// RoutePayload names the event to route. Version 1.
type RoutePayload struct {
	V        int    `json:"v"`
	Customer string `json:"customer_id"`
	Event    string `json:"event_id"`
}

func (p *RoutePayload) version() int { return p.V }

// NewRouteTask returns the task that routes event id of customer, with its
// deterministic task id.
func NewRouteTask(customer, id string) (*asynq.Task, []asynq.Option) {
	b, _ := json.Marshal(RoutePayload{V: 1, Customer: customer, Event: id})
	return asynq.NewTask(TypeRoute, b), []asynq.Option{
		asynq.TaskID(engine.RouteTaskID(customer, id)), asynq.Queue(QueueEvents), asynq.MaxRetry(20),
	}
}

// HandleRoute routes the event the task names (see engine.Engine.Route).
func (w *Worker) HandleRoute(ctx context.Context, t *asynq.Task) error {
	var p RoutePayload
	if err := decode(t, &p); err != nil {
		return err
	}
	return w.Route(ctx, []store.Ref{{Customer: p.Customer, ID: p.Event}})
}
