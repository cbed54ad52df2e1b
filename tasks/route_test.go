package tasks

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/aheadhq/ahead/engine"
	"github.com/aheadhq/ahead/flows"
	"github.com/aheadhq/ahead/internal/store"
)

func TestRouteSchedulesOneStepTaskPerStep(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.route(t, subscriber("evt_1", "cus_1", "sub_1", anna()))

	ivs, err := b.store.Interventions(b.ctx, "cus_1")
	if err != nil {
		t.Fatal(err)
	}
	if len(ivs) != 2 {
		t.Fatalf("got %d interventions, want 2 (one per step of welcome)", len(ivs))
	}
	// The event happened on Thursday 21 November at 10:12 in Amsterdam
	// (UTC+1 in winter).
	want := map[string]time.Time{
		// Day 2 is Saturday 23 November, 10:12; the window mon-fri
		// 09:00-17:00 moves it to Monday 09:00 local.
		"reassurance": time.Date(2030, 11, 25, 8, 0, 0, 0, time.UTC),
		// Day 4 is Monday 25 November, at 10:00 local.
		"invoice": time.Date(2030, 11, 25, 9, 0, 0, 0, time.UTC),
	}
	tasks := b.tasks(t)
	queue := StepQueue("cus_1", 4)
	for _, iv := range ivs {
		id := engine.InterventionID("cus_1", "evt_1", "welcome", iv.Step)
		if iv.ID != id {
			t.Errorf("step %s: id %s, want InterventionID %s", iv.Step, iv.ID, id)
		}
		if iv.Run != engine.RunID("cus_1", "evt_1", "welcome") {
			t.Errorf("step %s: run %s, want RunID", iv.Step, iv.Run)
		}
		if iv.State != store.Scheduled || iv.Flow != "welcome" || iv.Subject != "sub_1" || iv.EventID != "evt_1" {
			t.Errorf("step %s: state %s flow %s subject %s event %s", iv.Step, iv.State, iv.Flow, iv.Subject, iv.EventID)
		}
		if !iv.Due.Equal(want[iv.Step]) {
			t.Errorf("step %s: due %v, want %v", iv.Step, iv.Due, want[iv.Step].UTC())
		}
		if iv.TaskQueue != queue {
			t.Errorf("step %s: task queue %s, want %s", iv.Step, iv.TaskQueue, queue)
		}
		ti, err := b.task(queue, iv.Customer, iv.ID)
		if err != nil {
			t.Fatalf("step %s: task with the intervention's id in %s: %v", iv.Step, queue, err)
		}
		if ti.State != asynq.TaskStateScheduled || ti.Type != TypeStep || ti.Queue != queue {
			t.Errorf("step %s: task %s %s in %s, want a scheduled %s in %s", iv.Step, ti.State, ti.Type, ti.Queue, TypeStep, queue)
		}
		if !ti.NextProcessAt.Equal(want[iv.Step]) {
			t.Errorf("step %s: task runs at %v, want %v", iv.Step, ti.NextProcessAt.UTC(), want[iv.Step].UTC())
		}
		if ti.MaxRetry != 8 {
			t.Errorf("step %s: task max retry %d, want the default 8", iv.Step, ti.MaxRetry)
		}
		var p StepPayload
		if err := json.Unmarshal(ti.Payload, &p); err != nil || p != (StepPayload{V: 1, Customer: "cus_1", Intervention: iv.ID, Event: iv.EventID, Occurred: start.UnixMilli()}) {
			t.Errorf("step %s: payload %s (%v)", iv.Step, ti.Payload, err)
		}
	}
	if len(tasks) != 2 {
		t.Errorf("got %d step tasks, want 2", len(tasks))
	}
	for _, iv := range ivs {
		es := b.entries(t, "cus_1", iv.ID, store.Scheduled)
		if len(es) != 1 || es[0].Due == nil || !es[0].Due.Equal(iv.Due) || es[0].Reason == "" {
			t.Errorf("step %s: journal %+v, want one scheduled entry with its due time and reason", iv.Step, es)
		}
	}
}

func TestRouteTwiceSchedulesNothingNew(t *testing.T) {
	t.Parallel()
	b := setup(t)
	task := b.post(t, subscriber("evt_1", "cus_1", "", anna()))
	if err := b.w.HandleRoute(b.ctx, task); err != nil {
		t.Fatal(err)
	}
	tasks, journal := b.tasks(t), b.journal(t, "cus_1")
	b.clock.Advance(time.Minute)
	if err := b.w.HandleRoute(b.ctx, task); err != nil {
		t.Fatalf("second route: %v", err)
	}
	again := b.tasks(t)
	if len(again) != len(tasks) || len(tasks) != 2 {
		t.Errorf("got %d step tasks after the second route, %d after the first; want 2", len(again), len(tasks))
	}
	for id, ti := range tasks {
		if a := again[id]; a == nil || !a.NextProcessAt.Equal(ti.NextProcessAt) {
			t.Errorf("task %s changed by the second route", id)
		}
	}
	if got := b.journal(t, "cus_1"); len(got) != len(journal) {
		t.Errorf("journal grew from %d to %d entries on the second route: %+v", len(journal), len(got), got)
	}
	ivs, _ := b.store.Interventions(b.ctx, "cus_1")
	if len(ivs) != 2 {
		t.Errorf("got %d interventions, want 2", len(ivs))
	}
}

func TestRouteRequeuesScheduledStepWhoseTaskIsMissing(t *testing.T) {
	t.Parallel()
	b := setup(t)
	task := b.post(t, subscriber("evt_1", "cus_1", "", anna()))
	if err := b.w.HandleRoute(b.ctx, task); err != nil {
		t.Fatal(err)
	}
	// A route that failed after storing the interventions but before
	// queueing their tasks is retried by asynq.
	id := engine.InterventionID("cus_1", "evt_1", "welcome", "invoice")
	if err := b.queue().Drop(StepQueue("cus_1", 4), "cus_1", id); err != nil {
		t.Fatal(err)
	}
	if err := b.w.HandleRoute(b.ctx, task); err != nil {
		t.Fatal(err)
	}
	if _, ok := b.tasks(t)[id]; !ok {
		t.Errorf("the retried route did not queue the missing task of a scheduled intervention")
	}
}

func TestRouteTriggerIf(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ev := subscriber("evt_trial", "cus_1", "", anna())
	ev.Data = map[string]any{"plan": "trial"}
	b.route(t, ev)
	ivs, err := b.store.Interventions(b.ctx, "cus_1")
	if err != nil {
		t.Fatal(err)
	}
	if len(ivs) != 0 || len(b.tasks(t)) != 0 {
		t.Errorf("a trial started %d interventions and %d tasks; trigger.if excludes trials", len(ivs), len(b.tasks(t)))
	}

	// Without a plan the flow runs.
	ev = subscriber("evt_noplan", "cus_1", "", nil)
	ev.Data = nil
	b.route(t, ev)
	if got := len(b.tasks(t)); got != 2 {
		t.Errorf("an event without a plan scheduled %d tasks, want 2", got)
	}
}

func TestRouteTriggerIfErrorIsJournaled(t *testing.T) {
	t.Parallel()
	b := setup(t)
	// big-order's trigger reads event.data.amount, which this event lacks.
	b.route(t, &flows.Event{ID: "evt_1", Type: "order.placed", CustomerID: "cus_1"})
	if len(b.tasks(t)) != 0 {
		t.Errorf("a failed trigger condition scheduled tasks")
	}
	var found bool
	for _, e := range b.journal(t, "cus_1") {
		if e.Kind == store.KindEvent && e.State == "error" && e.EventID == "evt_1" &&
			strings.Contains(e.Reason, "big-order") && strings.Contains(e.Reason, "trigger.if") {
			found = true
		}
	}
	if !found {
		t.Errorf("journal %+v has no error entry naming the flow and trigger.if", b.journal(t, "cus_1"))
	}
	// A retried route finds the entry there and does not write it again.
	if again := b.reroute(t, "cus_1", "evt_1"); len(again) > 0 {
		t.Errorf("the retried route journaled again: %+v", again)
	}

	b.route(t, &flows.Event{ID: "evt_2", Type: "order.placed", CustomerID: "cus_1", Data: map[string]any{"amount": 250}})
	if got := len(b.tasks(t)); got != 1 {
		t.Errorf("an order of 250 scheduled %d tasks, want 1", got)
	}
}

func TestCancelIf(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.route(t, &flows.Event{ID: "evt_late", Type: "order.late", CustomerID: "cus_1", Subject: "ord_1"})
	id := engine.InterventionID("cus_1", "evt_late", "late-order", "status")

	// late-order's cancel_on[1].if reads event.data.status, which this
	// event lacks: nothing is cancelled, and the journal says why.
	b.route(t, &flows.Event{ID: "evt_upd_1", Type: "order.updated", CustomerID: "cus_1", Subject: "ord_1"})
	if iv := b.iv(t, "cus_1", id); iv.State != store.Scheduled {
		t.Errorf("after a failed cancel condition: %s, want scheduled", iv.State)
	}
	var found bool
	for _, e := range b.journal(t, "cus_1") {
		if e.EventID == "evt_upd_1" && e.State == "error" && strings.Contains(e.Reason, "cancel_on[1].if") {
			found = true
		}
	}
	if !found {
		t.Errorf("journal %+v has no error entry for the failed cancel condition", b.journal(t, "cus_1"))
	}

	b.route(t, &flows.Event{ID: "evt_upd_2", Type: "order.updated", CustomerID: "cus_1", Subject: "ord_1", Data: map[string]any{"status": "packed"}})
	if iv := b.iv(t, "cus_1", id); iv.State != store.Scheduled {
		t.Errorf("after a false cancel condition: %s, want scheduled", iv.State)
	}
	b.route(t, &flows.Event{ID: "evt_upd_3", Type: "order.updated", CustomerID: "cus_1", Subject: "ord_1", Data: map[string]any{"status": "delivered"}})
	if iv := b.iv(t, "cus_1", id); iv.State != store.Cancelled {
		t.Errorf("after a true cancel condition: %s, want cancelled", iv.State)
	}
}

func TestRouteTimeZone(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		profile  string // customer's zone
		fallback string // worker's default zone
		want     time.Time
	}{
		// Day 4 at 10:00 local time.
		{"profile", "Europe/Amsterdam", "America/New_York", time.Date(2030, 11, 25, 9, 0, 0, 0, time.UTC)},
		{"default", "", "America/New_York", time.Date(2030, 11, 25, 15, 0, 0, 0, time.UTC)},
		{"utc", "", "", time.Date(2030, 11, 25, 10, 0, 0, 0, time.UTC)},
		// A zone this system does not know counts as missing.
		{"unknown zone", "Mars/Olympus_Mons", "America/New_York", time.Date(2030, 11, 25, 15, 0, 0, 0, time.UTC)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, func(o *Options) { o.Timezone = tc.fallback })
			c := anna()
			c.Timezone = tc.profile
			b.route(t, subscriber("evt_1", "cus_1", "", c))
			iv := b.iv(t, "cus_1", engine.InterventionID("cus_1", "evt_1", "welcome", "invoice"))
			if !iv.Due.Equal(tc.want) {
				t.Errorf("due %v, want %v", iv.Due, tc.want)
			}
		})
	}
}

func TestRouteTooLate(t *testing.T) {
	t.Parallel()
	b := setup(t)
	// Both steps were due on 25 November; it is now 30 November.
	b.clock.Set(time.Date(2030, 11, 30, 12, 0, 0, 0, time.UTC))
	ev := subscriber("evt_1", "cus_1", "", anna())
	ev.OccurredAt = start
	b.route(t, ev)
	for _, step := range []string{"reassurance", "invoice"} {
		iv := b.iv(t, "cus_1", engine.InterventionID("cus_1", "evt_1", "welcome", step))
		if iv.State != store.Skipped || !strings.Contains(iv.Reason, "too late") {
			t.Errorf("step %s: state %s reason %q, want skipped as too late", step, iv.State, iv.Reason)
		}
		if es := b.entries(t, "cus_1", iv.ID, store.Skipped); len(es) != 1 || !strings.Contains(es[0].Reason, "too late") {
			t.Errorf("step %s: journal %+v, want one skipped entry saying too late", step, es)
		}
	}
	if n := len(b.tasks(t)); n != 0 {
		t.Errorf("got %d step tasks for steps that are too late", n)
	}
	pending, _ := b.store.PendingOf(b.ctx, "cus_1")
	if len(pending) != 0 {
		t.Errorf("skipped interventions are pending: %v", pending)
	}
}

func TestRouteLateWithinLimitRunsNow(t *testing.T) {
	t.Parallel()
	b := setup(t)
	// Monday 25 November 13:00 in Amsterdam: reassurance was due at 09:00
	// and invoice at 10:00, both within the late limit of 24h, and the
	// window is open.
	now := time.Date(2030, 11, 25, 12, 0, 0, 0, time.UTC)
	b.clock.Set(now)
	ev := subscriber("evt_1", "cus_1", "", anna())
	ev.OccurredAt = start
	b.route(t, ev)
	tasks := b.tasks(t)
	for _, step := range []string{"reassurance", "invoice"} {
		iv := b.iv(t, "cus_1", engine.InterventionID("cus_1", "evt_1", "welcome", step))
		if iv.State != store.Scheduled || !iv.Due.Equal(now) {
			t.Errorf("step %s: %s due %v, want scheduled now (%v)", step, iv.State, iv.Due, now)
		}
		if !strings.Contains(iv.Reason, "already passed") {
			t.Errorf("step %s: reason %q does not say the due time passed", step, iv.Reason)
		}
		ti := tasks[iv.ID]
		if ti == nil || !ti.NextProcessAt.Equal(now) {
			t.Errorf("step %s: task %+v, want one due now", step, ti)
		}
	}
}

func TestRouteEventGone(t *testing.T) {
	t.Parallel()
	b := setup(t)
	task, _ := NewRouteTask("cus_1", "evt_never_stored")
	if err := b.w.HandleRoute(b.ctx, task); err != nil {
		t.Errorf("routing an erased event: %v, want nil", err)
	}
}

func TestRouteBadPayload(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, payload := range []string{`{`, `{"v":2,"customer_id":"c","event_id":"e"}`} {
		err := b.w.HandleRoute(b.ctx, asynq.NewTask(TypeRoute, []byte(payload)))
		if !errors.Is(err, asynq.SkipRetry) {
			t.Errorf("payload %s: %v, want an error that skips retries", payload, err)
		}
		err = b.w.HandleStep(b.ctx, asynq.NewTask(TypeStep, []byte(payload)))
		if !errors.Is(err, asynq.SkipRetry) {
			t.Errorf("step payload %s: %v, want an error that skips retries", payload, err)
		}
	}
}

func TestCancel(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.route(t, subscriber("evt_a", "cus_1", "sub_a", anna()))
	b.route(t, subscriber("evt_b", "cus_1", "sub_b", nil))
	b.route(t, subscriber("evt_x", "cus_2", "sub_a", anna()))
	if n := len(b.tasks(t)); n != 6 {
		t.Fatalf("got %d step tasks, want 6", n)
	}
	b.clock.Advance(time.Hour)
	b.route(t, &flows.Event{ID: "evt_stop_a", Type: "subscription.cancelled", CustomerID: "cus_1", Subject: "sub_a"})

	tasks := b.tasks(t)
	check := func(cus, event, state string) {
		t.Helper()
		for _, step := range []string{"reassurance", "invoice"} {
			id := engine.InterventionID(cus, event, "welcome", step)
			iv := b.iv(t, cus, id)
			_, queued := tasks[id]
			switch state {
			case store.Cancelled:
				if iv.State != store.Cancelled || !strings.Contains(iv.Reason, "evt_stop_a") {
					t.Errorf("%s %s: %s %q, want cancelled by evt_stop_a", event, step, iv.State, iv.Reason)
				}
				if queued {
					t.Errorf("%s %s: cancelled, but its task is still queued", event, step)
				}
				if es := b.entries(t, cus, id, store.Cancelled); len(es) != 1 || es[0].EventID != "evt_stop_a" {
					t.Errorf("%s %s: journal %+v, want one cancelled entry", event, step, es)
				}
			default:
				if iv.State != store.Scheduled || !queued {
					t.Errorf("%s %s: %s (queued %v), want scheduled and queued", event, step, iv.State, queued)
				}
			}
		}
	}
	check("cus_1", "evt_a", store.Cancelled)
	check("cus_1", "evt_b", store.Scheduled) // another subject
	check("cus_2", "evt_x", store.Scheduled) // another customer
	pending, _ := b.store.PendingOf(b.ctx, "cus_1")
	if len(pending) != 2 {
		t.Errorf("cus_1 has %d pending interventions, want the 2 of sub_b", len(pending))
	}

	// The step task of a cancelled intervention sends nothing.
	for _, step := range []string{"reassurance", "invoice"} {
		if err := b.step("cus_1", engine.InterventionID("cus_1", "evt_a", "welcome", step)); err != nil {
			t.Errorf("step %s after cancel: %v", step, err)
		}
	}
	if n := len(b.sms.messages()) + len(b.email.messages()); n != 0 {
		t.Errorf("%d messages sent for cancelled interventions", n)
	}
	if iv := b.iv(t, "cus_1", engine.InterventionID("cus_1", "evt_a", "welcome", "invoice")); iv.State != store.Cancelled {
		t.Errorf("state %s after the step ran, want cancelled", iv.State)
	}
}

func TestCancelWithoutSubjectCancelsEveryRunOfTheFlow(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.route(t, subscriber("evt_a", "cus_1", "sub_a", anna()))
	b.route(t, subscriber("evt_b", "cus_1", "", nil))
	b.route(t, &flows.Event{ID: "evt_late", Type: "order.late", CustomerID: "cus_1", Subject: "ord_1"})
	b.route(t, &flows.Event{ID: "evt_stop", Type: "subscription.cancelled", CustomerID: "cus_1"})
	pending, _ := b.store.PendingOf(b.ctx, "cus_1")
	if len(pending) != 1 || pending[engine.InterventionID("cus_1", "evt_late", "late-order", "status")].Flow != "late-order" {
		t.Errorf("pending after cancel %v, want only late-order's step (another flow)", pending)
	}
	if n := len(b.tasks(t)); n != 1 {
		t.Errorf("got %d step tasks after cancel, want 1", n)
	}
}

func TestCancelWithSubjectCancelsRunWithoutSubject(t *testing.T) {
	t.Parallel()
	b := setup(t)
	// The producer sent no subject with the start, but one with the end:
	// the run is about the customer, so the end stops it.
	b.route(t, subscriber("evt_a", "cus_1", "", anna()))
	b.route(t, &flows.Event{ID: "evt_stop", Type: "subscription.cancelled", CustomerID: "cus_1", Subject: "sub_a"})
	for _, step := range []string{"reassurance", "invoice"} {
		if iv := b.iv(t, "cus_1", engine.InterventionID("cus_1", "evt_a", "welcome", step)); iv.State != store.Cancelled {
			t.Errorf("step %s: %s, want cancelled", step, iv.State)
		}
	}
}

func TestCancelLeavesSentAlone(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.route(t, subscriber("evt_a", "cus_1", "", anna()))
	sent := engine.InterventionID("cus_1", "evt_a", "welcome", "reassurance")
	if err := b.step("cus_1", sent); err != nil {
		t.Fatal(err)
	}
	b.route(t, &flows.Event{ID: "evt_stop", Type: "subscription.cancelled", CustomerID: "cus_1"})
	if iv := b.iv(t, "cus_1", sent); iv.State != store.Sent {
		t.Errorf("sent step is %s after cancel", iv.State)
	}
	if iv := b.iv(t, "cus_1", engine.InterventionID("cus_1", "evt_a", "welcome", "invoice")); iv.State != store.Cancelled {
		t.Errorf("pending step is %s after cancel, want cancelled", iv.State)
	}
	if es := b.entries(t, "cus_1", sent, store.Cancelled); len(es) != 0 {
		t.Errorf("journal has a cancelled entry for a sent step: %+v", es)
	}
}

func TestRouteCancelsThenStartsAgain(t *testing.T) {
	t.Parallel()
	// A flow cancelled by the same event type that starts it is restarted:
	// the old run is cancelled and a new one scheduled.
	b := setup(t)
	set, err := flows.Parse("restart.yaml", []byte(`
flow: reminder
trigger: { event: cart.updated }
cancel_on: [ { event: cart.updated } ]
steps:
  - { id: nudge, after: 1h, channel: sms, template: reassurance }
`), b.w.Catalog().Templates)
	if err != nil {
		t.Fatal(err)
	}
	b.w.SetCatalog(&engine.Catalog{Flows: set, Templates: b.w.Catalog().Templates})
	b.route(t, &flows.Event{ID: "evt_1", Type: "cart.updated", CustomerID: "cus_1"})
	b.clock.Advance(10 * time.Minute)
	b.route(t, &flows.Event{ID: "evt_2", Type: "cart.updated", CustomerID: "cus_1"})
	if iv := b.iv(t, "cus_1", engine.InterventionID("cus_1", "evt_1", "reminder", "nudge")); iv.State != store.Cancelled {
		t.Errorf("first run: %s, want cancelled", iv.State)
	}
	second := b.iv(t, "cus_1", engine.InterventionID("cus_1", "evt_2", "reminder", "nudge"))
	if second.State != store.Scheduled || !second.Due.Equal(b.clock.Now().Add(time.Hour)) {
		t.Errorf("second run: %s due %v, want scheduled an hour from now", second.State, second.Due)
	}
	if tasks := b.tasks(t); len(tasks) != 1 || tasks[second.ID] == nil {
		t.Errorf("tasks %v, want only the second run's", tasks)
	}
}
