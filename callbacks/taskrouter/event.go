package taskrouter

import (
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/aheadhq/ahead/callbacks"
	"github.com/aheadhq/ahead/flows"
)

// Kinds of Action.
const (
	// Ignore: the event changes nothing in ahead.
	Ignore = "ignore"
	// Take: a worker accepted the Task's reservation; the callback is
	// theirs (Queues.Take).
	Take = "take"
	// Record: the Task ended with an outcome (Queues.Record).
	Record = "record"
	// Unoffer: the Task ended without an outcome (it timed out or was
	// canceled outside ahead); the callback is offered again when it is
	// still callable.
	Unoffer = "unoffer"
)

// Action is what one TaskRouter event means for a callback.
type Action struct {
	Kind     string
	Callback string // callback id, from the Task's attributes
	Task     string // the Task's SID
	// Agent is "taskrouter:" and the worker's name, for Take.
	Agent string
	// Outcome is set for Record.
	Outcome callbacks.Outcome
	// Why explains an Ignore or Unoffer, for logs.
	Why string
}

// taskAttributes are the attributes Map reads back from a Task.
type taskAttributes struct {
	Type        string `json:"type"`
	CallbackID  string `json:"callback_id"`
	Outcome     string `json:"outcome"`
	Note        string `json:"note"`
	RequestedAt string `json:"requested_at"`
}

// Map reads one TaskRouter event callback (the posted form) and says what
// it means:
//
//   - reservation.accepted: Take, for "taskrouter:" + WorkerName.
//   - task.completed: Record the outcome the desk set in the Task's
//     attributes ("outcome", "note", "requested_at"), else reached.
//   - task.canceled: Record the attributes' outcome when there is one,
//     else Unoffer (TaskRouter's timeout, or a cancel outside ahead).
//   - anything else, and Tasks that are not ahead's callbacks: Ignore.
func Map(form url.Values) Action {
	a := Action{Kind: Ignore, Task: form.Get("TaskSid")}
	var attrs taskAttributes
	if err := json.Unmarshal([]byte(form.Get("TaskAttributes")), &attrs); err != nil || attrs.Type != "callback" || attrs.CallbackID == "" {
		a.Why = "not a callback task"
		return a
	}
	a.Callback = attrs.CallbackID
	outcome := func(def string) (callbacks.Outcome, bool) {
		o := callbacks.Outcome{Outcome: strings.TrimSpace(attrs.Outcome), Note: attrs.Note, Task: a.Task}
		if o.Outcome == "" {
			o.Outcome = def
		}
		if attrs.RequestedAt != "" {
			t, err := time.Parse(time.RFC3339, attrs.RequestedAt)
			if err != nil {
				return o, false
			}
			o.RequestedAt = t
		}
		return o, o.Outcome != "" && slices.Contains(flows.Outcomes, o.Outcome)
	}
	switch event := form.Get("EventType"); event {
	case "reservation.accepted":
		name := form.Get("WorkerName")
		if name == "" {
			name = form.Get("WorkerSid")
		}
		a.Kind, a.Agent = Take, "taskrouter:"+name
	case "task.completed":
		o, ok := outcome(flows.OutcomeReached)
		if !ok {
			a.Why = "the task's outcome or requested_at is not valid"
			return a
		}
		a.Kind, a.Outcome = Record, o
	case "task.canceled":
		if o, ok := outcome(""); ok {
			a.Kind, a.Outcome = Record, o
			return a
		}
		a.Kind, a.Why = Unoffer, "task canceled: "+form.Get("TaskCanceledReason")
	default:
		a.Why = "event " + event + " changes nothing"
	}
	return a
}
