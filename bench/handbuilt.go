package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync/atomic"
	"text/template"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
)

// The hand-built app is what a team without ahead writes on asynq. For
// each step of each event it enqueues a task due when the step is, whose
// payload carries all that sending needs (contact, name, locale, time
// zone, flow, step, template, event, due time and the event's data), under an id of its
// own so that a step is scheduled once. Its handler renders the message,
// sets a sent-marker so that a task run twice sends once, and sends by
// pushing the message onto an outbox list.
const (
	hbQueue = "handbuilt"
	hbType  = "handbuilt:step"
	// hbSent prefixes the sent-markers, kept for hbSentTTL.
	hbSent    = "handbuilt:sent:"
	hbSentTTL = 30 * 24 * time.Hour
	// hbOutbox is the list messages are sent to; it keeps the newest
	// hbOutboxKeep.
	hbOutbox     = "handbuilt:outbox"
	hbOutboxKeep = 1000
)

// hbMessage is a hand-built task's payload: what the handler needs to
// render and send the step's message without reading anything else.
type hbMessage struct {
	Customer string         `json:"customer_id"`
	Email    string         `json:"email"`
	Phone    string         `json:"phone"`
	Name     string         `json:"name"`
	Locale   string         `json:"locale"`
	TimeZone string         `json:"time_zone"`
	Flow     string         `json:"flow"`
	Step     string         `json:"step_id"`
	Template string         `json:"template"`
	Event    string         `json:"event_id"`
	Due      time.Time      `json:"due_at"`
	Data     map[string]any `json:"data"`
}

// hbTemplate renders a hand-built message, like the bench flow's template.
var hbTemplate = template.Must(template.New("bench").Parse(
	"To: {{.Email}}\nHello {{.Name}}, your {{index .Data \"plan\"}} plan: step {{.Step}} of {{.Flow}}.\n"))

// hbTasks are the hand-built app's n step tasks for the bench events of
// a series that occurred at occurred: two steps an event, as in the bench
// flow, each due After the event.
func hbTasks(n int, series string, occurred time.Time) ([]*asynq.Task, error) {
	steps := [stepsPerRun]string{StepFirst, StepSecond}
	tasks := make([]*asynq.Task, n)
	for i := range tasks {
		ev := event("hb"+series, i/stepsPerRun, occurred)
		m := hbMessage{
			Customer: ev.CustomerID, Email: ev.Customer.Email, Phone: fmt.Sprintf("+316%08d", i/stepsPerRun),
			Name: ev.Customer.Name, Locale: ev.Customer.Locale, TimeZone: ev.Customer.Timezone,
			Flow: FlowName, Step: steps[i%stepsPerRun], Template: "bench",
			Event: ev.ID, Due: ev.OccurredAt.Add(After), Data: ev.Data,
		}
		b, err := json.Marshal(m)
		if err != nil {
			return nil, err
		}
		id := fmt.Sprintf("hb-%s-%s-%s-%s", m.Flow, m.Step, m.Customer, m.Event)
		tasks[i] = asynq.NewTask(hbType, b, asynq.TaskID(id))
	}
	return tasks, nil
}

// handbuiltEnqueue enqueues N hand-built step tasks, due tomorrow, one by
// one from C goroutines, and measures the rate and the memory each task
// takes.
func (r *run) handbuiltEnqueue(ctx context.Context) error {
	tasks, err := hbTasks(r.o.N, "", time.Now())
	if err != nil {
		return err
	}
	return r.enqueueMeasured(ctx, "handbuilt", "handbuilt_bytes_per_task", hbQueue, tasks)
}

// handbuiltProcess enqueues N hand-built step tasks due now and measures
// how fast a server of concurrency K renders and sends them.
func (r *run) handbuiltProcess(ctx context.Context) error {
	tasks, err := hbTasks(r.o.N, "", time.Now().Add(-After))
	if err != nil {
		return err
	}
	var sent atomic.Int64
	if err := r.processMeasured(ctx, "handbuilt", hbQueue, tasks, r.hbSend(&sent)); err != nil {
		return err
	}
	if got := sent.Load(); got != int64(len(tasks)) {
		return fmt.Errorf("sent %d of %d hand-built steps", got, len(tasks))
	}
	return nil
}

// hbSend is the hand-built app's handler: it decodes the payload, renders
// the message, sets the task's sent-marker and, unless it was set already,
// sends the message and counts it in sent.
func (r *run) hbSend(sent *atomic.Int64) asynq.HandlerFunc {
	return func(ctx context.Context, t *asynq.Task) error {
		var m hbMessage
		if err := json.Unmarshal(t.Payload(), &m); err != nil {
			return fmt.Errorf("hand-built step: %w", err)
		}
		var text strings.Builder
		if err := hbTemplate.Execute(&text, &m); err != nil {
			return fmt.Errorf("hand-built step: render: %w", err)
		}
		id, _ := asynq.GetTaskID(ctx)
		first, err := r.rdb.SetNX(ctx, hbSent+id, 1, hbSentTTL).Result()
		if err != nil {
			return fmt.Errorf("hand-built step: mark sent: %w", err)
		}
		if !first {
			return nil
		}
		_, err = r.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			p.LPush(ctx, hbOutbox, text.String())
			p.LTrim(ctx, hbOutbox, 0, hbOutboxKeep-1)
			return nil
		})
		if err != nil {
			return fmt.Errorf("hand-built step: send: %w", err)
		}
		sent.Add(1)
		return nil
	}
}
