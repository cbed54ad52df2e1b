package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aheadhq/ahead/engine"
	"github.com/aheadhq/ahead/flows"
	"github.com/aheadhq/ahead/internal/api"
	"github.com/aheadhq/ahead/internal/store"
	"github.com/aheadhq/ahead/tasks"
)

// ev is a valid event in JSON, with extra fields merged in.
func ev(id, customer string, extra ...string) string {
	s := fmt.Sprintf(`{"id":%q,"type":"subscription.created","customer_id":%q`, id, customer)
	for _, x := range extra {
		s += "," + x
	}
	return s + "}"
}

func batch(events ...string) string { return "[" + strings.Join(events, ",") + "]" }

func TestPostEvents(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx := context.Background()
	single := ev("evt_1", "cus_1", `"customer":{"name":"Anna","email":"anna@example.nl"}`, `"data":{"plan":"family"}`)
	if a, d := e.post(single); a != 1 || d != 0 {
		t.Fatalf("first post: accepted %d, duplicates %d", a, d)
	}
	if a, d := e.post(single); a != 0 || d != 1 {
		t.Fatalf("repeated id: accepted %d, duplicates %d", a, d)
	}
	e.clock.Advance(time.Minute)
	a, d := e.post(batch(
		ev("evt_2", "cus_1"),
		ev("evt_2", "cus_1"), // twice in one batch
		ev("evt_1", "cus_2"), // the same id for another customer is another event
		ev("evt_1", "cus_1"), // posted before
	))
	if a != 2 || d != 2 {
		t.Fatalf("batch: accepted %d, duplicates %d; want 2 and 2", a, d)
	}

	// The API routes a batch as it takes it: no route tasks, and every
	// step of every triggered flow is scheduled with its task in asynq.
	if got := e.taskIDs(tasks.QueueEvents); len(got) != 0 {
		t.Fatalf("route tasks %v, want none", got)
	}
	for _, ce := range [][2]string{{"cus_1", "evt_1"}, {"cus_1", "evt_2"}, {"cus_2", "evt_1"}} {
		for _, fs := range [][2]string{{"day2-reassurance-call", "reassurance-call"}, {"day4-first-invoice", "invoice-explainer"}} {
			id := engine.InterventionID(ce[0], ce[1], fs[0], fs[1])
			iv, err := e.store.Intervention(ctx, ce[0], id)
			if err != nil || iv.State != store.Scheduled {
				t.Fatalf("%v %v: intervention %v, %v", ce, fs, iv, err)
			}
			ti, err := e.task(iv.TaskQueue, iv.Customer, id)
			if err != nil || ti.Type != tasks.TypeStep {
				t.Fatalf("step task %s: %v %v", id, ti, err)
			}
		}
	}

	// The event is stored as posted, received at the clock's time.
	raw, err := e.store.Event(ctx, "cus_1", "evt_1")
	if err != nil {
		t.Fatal(err)
	}
	var stored flows.Event
	if err := json.Unmarshal(raw, &stored); err != nil {
		t.Fatal(err)
	}
	if !stored.OccurredAt.Equal(e.clock.Now().Add(-time.Minute)) || stored.Data["plan"] != "family" {
		t.Errorf("stored event %s", raw)
	}
	p, err := e.store.Profile(ctx, "cus_1")
	if err != nil || p["name"] != "Anna" || p["email"] != "anna@example.nl" {
		t.Errorf("profile from the event's customer block = %v, %v", p, err)
	}
	entries, err := e.store.Timeline(ctx, "cus_1", 0)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, en := range entries {
		got = append(got, en.EventID+":"+en.State)
	}
	if fmt.Sprint(got) != "[evt_2:scheduled evt_2:scheduled evt_2:received evt_1:scheduled evt_1:scheduled evt_1:received]" {
		t.Errorf("journal = %v", got)
	}
}

// A producer that hangs up while its batch is being stored does not cut
// the batch short: the events it sent are routed whole, so that its retry,
// which finds them duplicates, loses nothing.
func TestPostEventsProducerHangsUp(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // gone before the API even starts on the batch
	body := batch(ev("evt_1", "cus_1", `"data":{"plan":"family"}`), ev("evt_2", "cus_2", `"data":{"plan":"family"}`))
	req := httptest.NewRequestWithContext(ctx, http.MethodPost, "/v1/events", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	e.handler.ServeHTTP(rec, req)
	if rec.Code != http.StatusAccepted {
		t.Fatalf("POST with the producer gone: %d %s", rec.Code, rec.Body)
	}
	for _, cus := range []string{"cus_1", "cus_2"} {
		ivs, err := e.store.Interventions(context.Background(), cus)
		if err != nil || len(ivs) == 0 {
			t.Fatalf("%s: interventions %v, %v; want the batch routed", cus, ivs, err)
		}
	}
	if a, d := e.post(body); a != 0 || d != 2 {
		t.Fatalf("the retry: accepted %d, duplicates %d", a, d)
	}
}

// An event that a process stored, and perhaps journaled and routed, but
// did not mark routed (it stopped halfway) is routed when the producer,
// who got no answer, posts it again: its timeline then shows it once,
// with its two scheduled steps. After that it is a duplicate.
func TestPostEventsAfterAStoppedIngest(t *testing.T) {
	t.Parallel()
	for _, routed := range []bool{false, true} {
		t.Run(fmt.Sprintf("routed=%v", routed), func(t *testing.T) {
			t.Parallel()
			e := setup(t)
			ctx := context.Background()
			body := ev("evt_1", "cus_1", `"customer":{"name":"Anna","email":"anna@example.nl"}`, `"data":{"plan":"family"}`)
			got, err := e.store.Accept(ctx, []store.EventRef{{Customer: "cus_1", ID: "evt_1", JSON: []byte(body)}}, time.Hour)
			if err != nil || got[0] != store.AcceptNew {
				t.Fatal(got, err)
			}
			if routed {
				var first flows.Event
				if err := json.Unmarshal([]byte(body), &first); err != nil {
					t.Fatal(err)
				}
				err := e.store.Receive(ctx, []store.Received{{Customer: "cus_1", Profile: store.Profile{"name": "Anna"}}})
				if err != nil {
					t.Fatal(err)
				}
				if err := e.worker.RouteEvents(ctx, []*flows.Event{&first}, nil); err != nil {
					t.Fatal(err)
				}
				e.clock.Advance(time.Minute)
			}
			if a, d := e.post(body); a != 1 || d != 0 {
				t.Fatalf("the producer's retry: accepted %d, duplicates %d; want it taken", a, d)
			}
			ivs, err := e.store.Interventions(ctx, "cus_1")
			if err != nil || len(ivs) != 2 {
				t.Fatalf("interventions %v, %v; want the event's two", ivs, err)
			}
			if p, _ := e.store.Profile(ctx, "cus_1"); p["name"] != "Anna" {
				t.Errorf("profile %v, want the event's customer block", p)
			}
			timeline, err := e.store.Timeline(ctx, "cus_1", 0)
			if err != nil {
				t.Fatal(err)
			}
			states := map[string]int{}
			for _, x := range timeline {
				states[x.State]++
			}
			if len(timeline) != 3 || states["received"] != 1 || states[store.Scheduled] != 2 {
				t.Errorf("timeline %+v, want the event received once and its two steps scheduled", timeline)
			}
			if a, d := e.post(body); a != 0 || d != 1 {
				t.Fatalf("once more: accepted %d, duplicates %d", a, d)
			}
		})
	}
}

func TestPostEventsInvalid(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ok := ev("evt_ok", "cus_1")
	var big []string
	for i := range api.MaxBatch + 1 {
		big = append(big, ev(fmt.Sprint("evt_", i), "cus_1"))
	}
	cases := []struct {
		name, body string
		// want are the messages; one ending in * is a prefix.
		want []string
	}{
		{"bad event in a batch", batch(ok, ev("evt_2", "cus_1"), ev("evt_3", "cus_1"), `{"id":"evt_4","type":"a.b"}`, ev("evt_5", "cus_1")),
			[]string{"events[3].customer_id: required"}},
		{"several problems", batch(`{"customer_id":"cus_1"}`, ok, ev("evt_3", "cus_1", `"customer":{"email":"nope"}`)),
			[]string{"events[0].id: required", "events[0].type: required", `events[2].customer.email: bad address "nope"*`}},
		{"unknown field", batch(ev("evt_1", "cus_1", `"colour":"red"`)), []string{"events[0].colour: unknown field"}},
		{"unknown nested field", ev("evt_1", "cus_1", `"customer":{"name":"Anna","colour":"red"}`), []string{"customer.colour: unknown field"}},
		{"unknown field per event", batch(ok, ev("evt_1", "cus_1", `"colour":"red"`), ev("evt_2", "cus_1", `"size":1`)),
			[]string{"events[1].colour: unknown field", "events[2].size: unknown field"}},
		{"wrong type", `{"id":7,"type":"a.b","customer_id":"cus_1"}`, []string{"id: must be a string, got number"}},
		{"wrong nested type", batch(ok, ev("evt_1", "cus_1", `"customer":{"phone":31612345678}`)),
			[]string{"events[1].customer.phone: must be a string, got number"}},
		{"wrong type of data", ev("evt_1", "cus_1", `"data":[1,2]`), []string{"data: must be an object, got array"}},
		{"bad time", ev("evt_1", "cus_1", `"occurred_at":"yesterday"`), []string{`occurred_at: must be an RFC 3339 time, got "yesterday"`}},
		{"not an object", batch(ok, `1`), []string{"events[1]: must be an object, got number"}},
		{"bad type", `{"id":"e","type":"Subscription Created","customer_id":"c"}`,
			[]string{`type: bad event type "Subscription Created": want lower-case dotted words like subscription.created`}},
		{"braces in customer id", ev("evt_1", "cus_{1}"), []string{"customer_id: must not contain '{' or '}'"}},
		{"empty batch", `[]`, []string{"body: empty batch"}},
		{"empty body", ``, []string{"body: empty"}},
		{"two values", ok + ok, []string{"body: more than one JSON value"}},
		{"bad JSON", `{"id":`, []string{"body: *"}},
		{"bad JSON batch", `[` + ok + `] x`, []string{"body: *"}},
		{"too many", batch(big...), []string{fmt.Sprintf("body: batch of %d events, at most %d", api.MaxBatch+1, api.MaxBatch)}},
	}
	for _, c := range cases {
		r := e.do("POST", "/v1/events", "", c.body)
		if r.code != http.StatusBadRequest {
			t.Errorf("%s: %s, want 400", c.name, r)
			continue
		}
		got := r.problem(t).Errors
		if !matches(got, c.want) {
			t.Errorf("%s: errors\n%q\nwant\n%q", c.name, got, c.want)
		}
	}
	// Nothing of any of it was accepted.
	if keys := e.rdb.Keys(context.Background(), "ahead:*").Val(); len(keys) != 0 {
		t.Errorf("keys after rejected posts: %v", keys)
	}
	if ids := e.taskIDs(tasks.QueueEvents); len(ids) != 0 {
		t.Errorf("route tasks after rejected posts: %v", ids)
	}
}

func matches(got, want []string) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if p, ok := strings.CutSuffix(want[i], "*"); ok {
			if !strings.HasPrefix(got[i], p) {
				return false
			}
		} else if got[i] != want[i] {
			return false
		}
	}
	return true
}

func TestPostEventsTooLarge(t *testing.T) {
	t.Parallel()
	e := setup(t, func(o *api.Options) { o.MaxBody = 1024 })
	var evs []string
	for i := range 20 {
		evs = append(evs, ev(fmt.Sprint("evt_", i), "cus_1"))
	}
	r := e.do("POST", "/v1/events", "", batch(evs...))
	if r.code != http.StatusRequestEntityTooLarge {
		t.Fatalf("big body: %s, want 413", r)
	}
	if ids := e.taskIDs(tasks.QueueEvents); len(ids) != 0 {
		t.Errorf("route tasks after a rejected body: %v", ids)
	}
	if a, _ := e.post(batch(evs[:3]...)); a != 3 {
		t.Errorf("small batch: accepted %d", a)
	}
}

// When the events can neither be routed nor handed to route tasks, nothing
// is accepted, and the producer's retry is not taken for a duplicate.
func TestPostEventsQueueDown(t *testing.T) {
	t.Parallel()
	e := setup(t)
	down := errors.New("queue down")
	stuck := func(route error) func(*tasks.Options) {
		return func(o *tasks.Options) {
			o.Store = e.store
			o.Queue = &failing{Queue: tasks.NewQueue(e.rdb, e.clock, 1, 0), steps: down, route: route}
		}
	}
	broken := setupWorker(t, nil, stuck(down))
	r := broken.do("POST", "/v1/events", "", ev("evt_1", "cus_1"))
	if r.code != http.StatusServiceUnavailable {
		t.Fatalf("post with the queue down: %s, want 503", r)
	}
	if _, err := e.store.Event(context.Background(), "cus_1", "evt_1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the event is kept though it was not accepted: %v", err)
	}
	if a, d := e.post(ev("evt_1", "cus_1")); a != 1 || d != 0 {
		t.Fatalf("retry: accepted %d, duplicates %d; want 1 and 0", a, d)
	}

	// Routing fails, but the route task is queued: accepted, and the task
	// schedules the steps later.
	late := setupWorker(t, nil, stuck(nil))
	if r := late.do("POST", "/v1/events", "", ev("evt_9", "cus_9")); r.code != http.StatusAccepted {
		t.Fatalf("post with routing down: %s, want 202", r)
	}
	if got := e.taskIDs(tasks.QueueEvents); len(got) != 1 || got[0] != engine.RouteTaskID("cus_9", "evt_9") {
		t.Fatalf("route tasks %v, want the one of evt_9", got)
	}
	e.route("cus_9", "evt_9")
	if ivs, _ := e.store.Interventions(context.Background(), "cus_9"); len(ivs) == 0 {
		t.Fatal("the route task scheduled nothing")
	}
}

// failing is a task queue whose step tasks, and route tasks when route
// is set, cannot be queued.
type failing struct {
	engine.Queue
	steps, route error
}

func (q *failing) Steps(ctx context.Context, ivs []*store.Intervention, fresh bool) error {
	if q.steps != nil {
		return q.steps
	}
	return q.Queue.Steps(ctx, ivs, fresh)
}

func (q *failing) Route(ctx context.Context, customer, event string) error {
	if q.route != nil {
		return q.route
	}
	return q.Queue.Route(ctx, customer, event)
}
