package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/aheadhq/ahead/callbacks"
	"github.com/aheadhq/ahead/channels"
	"github.com/aheadhq/ahead/channels/outbox"
	"github.com/aheadhq/ahead/engine"
	"github.com/aheadhq/ahead/internal/store"
	"github.com/aheadhq/ahead/tasks"
)

var ams = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		panic(err)
	}
	return loc
}()

// thursday is 10:12 in Amsterdam on a Thursday: no quiet hours.
var thursday = time.Date(2030, 11, 21, 10, 12, 0, 0, ams)

// setupGuards starts the API with a worker on the flows of
// ../../tasks/testdata/guards (quiet hours 21:00-08:00 and Sundays, at
// most 3 contacts per 7 days, 2 hours apart). Email and SMS go to the
// outbox; calls to the callback queues.
func setupGuards(t *testing.T) *env {
	t.Helper()
	cat, err := engine.Load("../../tasks/testdata/guards")
	if err != nil {
		t.Fatal(err)
	}
	e := setupWorker(t, cat, func(o *tasks.Options) {
		chs := map[string]channels.Channel{channels.Callback: callbacks.New(o.Store, o.Clock)}
		for _, name := range []string{channels.Email, channels.SMS} {
			chs[name] = outbox.New(name, o.Store, o.Clock)
		}
		o.Channels, o.Locale, o.Formality, o.Shards = chs, "nl", "informal", 4
	})
	e.clock.Set(thursday)
	return e
}

// evJSON is an event of typ for cus about subject as the API takes it,
// with Anna's profile under the given email address and phone number.
func evJSON(id, typ, cus, subject, email, phone string) string {
	ev := map[string]any{
		"id": id, "type": typ, "customer_id": cus,
		"customer": map[string]any{"name": "Anna", "email": email, "phone": phone, "timezone": "Europe/Amsterdam"},
	}
	if subject != "" {
		ev["subject"] = subject
	}
	b, _ := json.Marshal(ev)
	return string(b)
}

// send posts and routes an event.
func (e *env) send(id, typ, cus, subject, email, phone string) {
	e.t.Helper()
	if a, _ := e.post(evJSON(id, typ, cus, subject, email, phone)); a != 1 {
		e.t.Fatalf("event %s not accepted", id)
	}
	e.route(cus, id)
}

// runStep runs an intervention's step task as a worker would, and removes
// the task from its queue as asynq does when a task is done.
func (e *env) runStep(cus, id string) {
	e.t.Helper()
	iv, err := e.store.Intervention(context.Background(), cus, id)
	if err != nil {
		e.t.Fatal(err)
	}
	task, _ := tasks.NewStepTask(cus, id, iv.TaskID)
	if err := e.worker.HandleStep(context.Background(), task); err != nil {
		e.t.Fatalf("step %s: %v", id, err)
	}
	if err := e.queue().Drop(iv.TaskQueue, cus, iv.TaskID); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) state(cus, id string) *store.Intervention {
	e.t.Helper()
	iv, err := e.store.Intervention(context.Background(), cus, id)
	if err != nil {
		e.t.Fatal(err)
	}
	return iv
}

type cancelled struct {
	Cancelled     int      `json:"cancelled"`
	Interventions []string `json:"interventions"`
}

func TestCancelCustomer(t *testing.T) {
	t.Parallel()
	e := setupGuards(t)
	ctx := context.Background()
	for _, cus := range []string{"cus_1", "cus_2"} {
		e.send("evt_inv", "invoice.created", cus, "inv_1", "anna@example.nl", "+31612345678")
		e.send("evt_plan", "plan.changed", cus, "", "anna@example.nl", "+31612345678")
	}
	// A notice on Saturday night is deferred to Monday 08:00.
	e.clock.Set(time.Date(2030, 11, 23, 22, 0, 0, 0, ams))
	e.send("evt_n", "notice.due", "cus_1", "", "anna@example.nl", "+31612345678")
	notice := engine.InterventionID("cus_1", "evt_n", "notice", "now")
	e.runStep("cus_1", notice)
	deferred := e.state("cus_1", notice)
	if deferred.State != store.Scheduled || deferred.TaskID != notice+"-d1" {
		t.Fatalf("notice %s with task %s, want deferred", deferred.State, deferred.TaskID)
	}
	if _, err := e.task(deferred.TaskQueue, "cus_1", deferred.TaskID); err != nil {
		t.Fatalf("deferred task: %v", err)
	}
	id := func(cus, ev, flow, step string) string { return engine.InterventionID(cus, ev, flow, step) }
	invoice := []string{id("cus_1", "evt_inv", "invoice", "explain"), id("cus_1", "evt_inv", "invoice", "remind")}
	plan := []string{id("cus_1", "evt_plan", "plan", "confirm"), id("cus_1", "evt_plan", "plan", "follow-up")}

	// Bad requests change nothing.
	for _, c := range []struct{ body, want string }{
		{`{"flow":"nope"}`, `flow: unknown flow "nope"`},
		{`{"flw":"invoice"}`, "flw: unknown field"},
		{`{"flow":7}`, "flow: must be a string, got number"},
		{`{"reason":"` + strings.Repeat("x", 501) + `"}`, "reason: longer than 500 characters"},
		{`{"flow":`, "body: invalid JSON: unexpected end"},
	} {
		r := e.do("POST", "/v1/customers/cus_1/cancel", "", c.body)
		if r.code != http.StatusBadRequest || !slices.Equal(r.problem(t).Errors, []string{c.want}) {
			t.Errorf("POST %.40s: %s, want 400 %q", c.body, r, c.want)
		}
	}
	if p, _ := e.store.PendingOf(ctx, "cus_1"); len(p) != 5 {
		t.Fatalf("a bad request cancelled something: %d pending, want 5", len(p))
	}

	// One flow.
	var got cancelled
	r := e.do("POST", "/v1/customers/cus_1/cancel", "", `{"flow":"invoice","reason":"customer called"}`)
	if r.code != http.StatusOK {
		t.Fatal(r)
	}
	r.json(t, &got)
	want := slices.Sorted(slices.Values(invoice))
	if got.Cancelled != 2 || !slices.Equal(got.Interventions, want) {
		t.Errorf("cancel invoice: %+v, want %v", got, want)
	}
	for _, iv := range invoice {
		if st := e.state("cus_1", iv); st.State != store.Cancelled {
			t.Errorf("%s: %s, want cancelled", iv, st.State)
		}
		es := journal(t, e, "cus_1", iv, store.Cancelled)
		if len(es) != 1 || es[0].Cause != "api" || es[0].Reason != "cancelled through the API: customer called" || es[0].Flow != "invoice" {
			t.Errorf("%s: cancelled entries %+v", iv, es)
		}
		if _, err := e.task(tasks.StepQueue("cus_1", 4), "cus_1", iv); !errors.Is(err, asynq.ErrTaskNotFound) {
			t.Errorf("%s: task of a cancelled intervention: %v", iv, err)
		}
	}
	for _, iv := range plan {
		if st := e.state("cus_1", iv); st.State != store.Scheduled {
			t.Errorf("%s of another flow: %s, want scheduled", iv, st.State)
		}
	}

	// Everything else, the deferred task included; an empty body is fine.
	r = e.do("POST", "/v1/customers/cus_1/cancel", "", "")
	r.json(t, &got)
	want = slices.Sorted(slices.Values(append(slices.Clone(plan), notice)))
	if r.code != http.StatusOK || got.Cancelled != 3 || !slices.Equal(got.Interventions, want) {
		t.Errorf("cancel all: %s, want %v", r, want)
	}
	if _, err := e.task(deferred.TaskQueue, "cus_1", deferred.TaskID); !errors.Is(err, asynq.ErrTaskNotFound) {
		t.Errorf("deferred task of a cancelled intervention: %v", err)
	}
	for _, iv := range plan {
		if _, err := e.task(tasks.StepQueue("cus_1", 4), "cus_1", iv); !errors.Is(err, asynq.ErrTaskNotFound) {
			t.Errorf("%s: task of a cancelled intervention: %v", iv, err)
		}
	}
	r = e.do("POST", "/v1/customers/cus_1/cancel", "", "{}")
	r.json(t, &got)
	if r.code != http.StatusOK || got.Cancelled != 0 || got.Interventions == nil || len(got.Interventions) != 0 {
		t.Errorf("cancel with nothing pending: %s", r)
	}

	// The other customer's work stands.
	if p, _ := e.store.PendingOf(ctx, "cus_2"); len(p) != 4 {
		t.Errorf("cus_2 has %d pending, want 4", len(p))
	}
	for _, iv := range []string{id("cus_2", "evt_inv", "invoice", "explain"), id("cus_2", "evt_plan", "plan", "confirm")} {
		if _, err := e.task(tasks.StepQueue("cus_2", 4), "cus_2", iv); err != nil {
			t.Errorf("cus_2 task %s: %v", iv, err)
		}
	}
}

func journal(t *testing.T, e *env, cus, iv, state string) []store.Entry {
	t.Helper()
	all, err := e.store.Timeline(context.Background(), cus, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []store.Entry
	for _, en := range all {
		if en.Intervention == iv && en.State == state {
			out = append(out, en)
		}
	}
	return out
}

// TestEraseLeavesNoTrace erases a customer who has every kind of state:
// scheduled, deferred, sent and skipped steps, an archived task, a queued
// call, outbox messages, contacts, flow entries, a debounce slot, events
// still to route and an old phone number. Afterwards no key, no value and
// no asynq task in any queue or state holds the customer's id, email
// address or phone numbers; the other customer's data stands.
func TestEraseLeavesNoTrace(t *testing.T) {
	t.Parallel()
	e := setupGuards(t)
	ctx := context.Background()
	type person struct{ id, email, phone, oldPhone string }
	gone := person{"cus_gone", "gone@example.nl", "+31611112222", "+31699998888"}
	kept := person{"cus_kept", "kept@example.nl", "+31633334444", "+31655556666"}
	for _, p := range []person{gone, kept} {
		at := func(d time.Duration) { e.clock.Set(thursday.Add(d)) }
		send := func(id, typ, subject string) { e.send(id, typ, p.id, subject, p.email, p.phone) }
		id := func(ev, flow, step string) string { return engine.InterventionID(p.id, ev, flow, step) }
		at(0)
		// The customer had another number first.
		e.send("evt_0", "account.opened", p.id, "acc_1", p.email, p.oldPhone)
		send("evt_care", "care.due", "")
		e.runStep(p.id, id("evt_care", "care", "call")) // a call in the care queue
		at(150 * time.Minute)
		send("evt_c", "checkin.due", "")
		e.runStep(p.id, id("evt_c", "checkin", "contacted")) // skipped: contacted today
		e.runStep(p.id, id("evt_c", "checkin", "inbound"))   // sent by SMS: the outbox
		send("evt_s1", "order.status", "ord_1")
		at(155 * time.Minute)
		send("evt_s2", "order.status", "ord_1") // debounced
		send("evt_inv", "invoice.created", "inv_1")
		send("evt_q", "invoice.question", "inv_1")
		send("evt_plan", "plan.changed", "")
		// Archive one step task, as asynq does with a task that failed for
		// good: it left the due index when its time came.
		follow := id("evt_plan", "plan", "follow-up")
		if err := e.queue().Drop(tasks.StepQueue(p.id, 4), p.id, follow); err != nil {
			t.Fatal(err)
		}
		task, opts := tasks.NewStepTask(p.id, follow, follow)
		if _, err := e.client.Enqueue(task, append(opts, asynq.Queue(tasks.StepQueue(p.id, 4)))...); err != nil {
			t.Fatal(err)
		}
		if err := e.insp.ArchiveTask(tasks.StepQueue(p.id, 4), follow); err != nil {
			t.Fatal(err)
		}
		// A notice on Saturday night is deferred to Monday.
		e.clock.Set(time.Date(2030, 11, 23, 22, 0, 0, 0, ams))
		send("evt_n", "notice.due", "")
		e.runStep(p.id, id("evt_n", "notice", "now"))
		if iv := e.state(p.id, id("evt_n", "notice", "now")); iv.Deferrals != 1 {
			t.Fatalf("%s: notice %s, want deferred", p.id, iv.State)
		}
		// An event whose route task has not run yet.
		if a, _ := e.post(evJSON("evt_late", "invoice.paid", p.id, "inv_1", p.email, p.phone)); a != 1 {
			t.Fatal("evt_late not accepted")
		}
	}
	needles := func(p person) []string { return []string{p.id, p.email, p.phone, p.oldPhone} }
	// The customer left traces everywhere, so the scan below can find them.
	if found := traces(t, e, needles(gone)); len(found) < 20 {
		t.Fatalf("only %d traces of the customer before erasure: %v", len(found), found)
	}
	if cbs, _ := e.store.Callbacks(ctx, "care", "", 0); len(cbs) != 2 {
		t.Fatalf("%d queued calls, want 2", len(cbs))
	}
	if msgs, _ := e.store.Outbox(ctx, 0); len(msgs) != 2 {
		t.Fatalf("%d outbox messages, want 2", len(msgs))
	}
	before := len(traces(t, e, needles(kept)))

	if r := e.do("DELETE", "/v1/customers/"+gone.id, "", ""); r.code != http.StatusNoContent {
		t.Fatalf("DELETE: %s", r)
	}
	for _, f := range traces(t, e, needles(gone)) {
		t.Errorf("after erasure: %s", f)
	}
	if after := len(traces(t, e, needles(kept))); after != before {
		t.Errorf("the other customer had %d traces, now %d", before, after)
	}
	if cbs, _ := e.store.Callbacks(ctx, "care", "", 0); len(cbs) != 1 || cbs[0].Customer != kept.id {
		t.Errorf("queued calls after erasure: %+v, want the other customer's", cbs)
	}
	if r := e.do("GET", "/v1/customers/"+gone.id+"/timeline", "", ""); r.code != http.StatusNotFound {
		t.Errorf("timeline after erasure: %s", r)
	}
}

// traces lists the places in the Redis keyspace (every key and value) and
// in asynq (every task of every queue, in every state) that hold any of
// needles.
func traces(t *testing.T, e *env, needles []string) []string {
	t.Helper()
	var found []string
	for key, val := range e.dump() {
		for _, s := range needles {
			if strings.Contains(key, s) || strings.Contains(val, s) {
				found = append(found, fmt.Sprintf("key %s holds %q", key, s))
			}
		}
	}
	queues, err := e.insp.Queues()
	if err != nil {
		t.Fatal(err)
	}
	if len(queues) == 0 {
		t.Fatal("asynq knows no queues")
	}
	lists := map[string]func(string, ...asynq.ListOption) ([]*asynq.TaskInfo, error){
		"pending": e.insp.ListPendingTasks, "scheduled": e.insp.ListScheduledTasks,
		"retry": e.insp.ListRetryTasks, "archived": e.insp.ListArchivedTasks,
		"completed": e.insp.ListCompletedTasks, "active": e.insp.ListActiveTasks,
	}
	for _, q := range queues {
		for state, list := range lists {
			infos, err := list(q, asynq.PageSize(10000))
			if err != nil {
				t.Fatalf("list %s tasks of %s: %v", state, q, err)
			}
			for _, ti := range infos {
				text := fmt.Sprintf("%s %s %s %s %s", ti.ID, ti.Type, ti.Payload, ti.Result, ti.LastErr)
				for _, s := range needles {
					if strings.Contains(text, s) {
						found = append(found, fmt.Sprintf("%s task %s in %s holds %q", state, ti.ID, q, s))
					}
				}
			}
		}
	}
	slices.Sort(found)
	return found
}
