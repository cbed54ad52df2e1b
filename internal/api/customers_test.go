package api_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/aheadhq/ahead/internal/store"
	"github.com/aheadhq/ahead/tasks"
)

type timeline struct {
	Customer      string                `json:"customer_id"`
	Entries       []store.Entry         `json:"entries"`
	Interventions []*store.Intervention `json:"interventions"`
}

func TestTimeline(t *testing.T) {
	t.Parallel()
	e := setup(t)
	if r := e.do("GET", "/v1/customers/cus_1/timeline", "", ""); r.code != http.StatusNotFound {
		t.Fatalf("unknown customer: %s, want 404", r)
	}
	first := e.clock.Now()
	e.post(ev("evt_1", "cus_1", `"customer":{"timezone":"Europe/Amsterdam","email":"anna@example.nl"}`))
	e.clock.Advance(time.Minute)
	e.post(`{"id":"evt_2","type":"invoice.paid","customer_id":"cus_1"}`)
	e.post(ev("evt_1", "cus_2"))

	var tl timeline
	r := e.do("GET", "/v1/customers/cus_1/timeline", "", "")
	if r.code != http.StatusOK {
		t.Fatal(r)
	}
	r.json(t, &tl)
	var events []store.Entry
	for _, en := range tl.Entries {
		if en.Kind == store.KindEvent {
			events = append(events, en)
		}
	}
	if tl.Customer != "cus_1" || len(events) != 2 {
		t.Fatalf("timeline %s", r.body)
	}
	if events[0].EventID != "evt_2" || !events[0].At.Equal(first.Add(time.Minute)) ||
		events[1].EventID != "evt_1" || !events[1].At.Equal(first) {
		t.Fatalf("entries not newest first: %s", r.body)
	}

	// Routing schedules the new-subscriber classic's steps.
	e.clock.Advance(time.Minute)
	e.route("cus_1", "evt_1")
	e.do("GET", "/v1/customers/cus_1/timeline", "", "").json(t, &tl)
	if len(tl.Interventions) == 0 {
		t.Fatal("no interventions after routing subscription.created")
	}
	for i, iv := range tl.Interventions {
		if iv.State != store.Scheduled || iv.Customer != "cus_1" {
			t.Errorf("intervention %+v", iv)
		}
		if i > 0 && iv.Due.After(tl.Interventions[i-1].Due) {
			t.Errorf("interventions not latest first")
		}
	}
	for i, en := range tl.Entries[1:] {
		if en.At.After(tl.Entries[i].At) {
			t.Errorf("entry %d is newer than the one before it", i+1)
		}
	}
	e.do("GET", "/v1/customers/cus_1/timeline?limit=1", "", "").json(t, &tl)
	if len(tl.Entries) != 1 {
		t.Errorf("limit=1 gave %d entries", len(tl.Entries))
	}
	for _, bad := range []string{"0", "-1", "x"} {
		r := e.do("GET", "/v1/customers/cus_1/timeline?limit="+bad, "", "")
		if r.code != http.StatusBadRequest || !strings.HasPrefix(r.problem(t).Error, "limit: ") {
			t.Errorf("limit=%s: %s", bad, r)
		}
	}
}

func TestPutCustomer(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx := context.Background()
	cases := []struct {
		body string
		want []string
	}{
		{`{"email":"nope"}`, []string{`email: bad address "nope"*`}},
		{`{"phone":"0612345678","locale":"Dutch"}`, []string{`phone: bad number "0612345678"*`, `locale: bad locale "Dutch"*`}},
		{`{"timezone":"Mars/Olympus"}`, []string{"timezone: *"}},
		{`{"formality":"casual"}`, []string{`formality: unknown formality "casual"*`}},
		{`{"colour":"red"}`, []string{"colour: unknown field"}},
		{`{"name":7}`, []string{"name: must be a string, got number"}},
		{`{"id":"cus_2"}`, []string{"id: does not match the id in the path"}},
		{``, []string{"body: empty"}},
	}
	for _, c := range cases {
		r := e.do("PUT", "/v1/customers/cus_1", "", c.body)
		if r.code != http.StatusBadRequest {
			t.Errorf("PUT %s: %s, want 400", c.body, r)
			continue
		}
		if got := r.problem(t).Errors; !matches(got, c.want) {
			t.Errorf("PUT %s: errors %q, want %q", c.body, got, c.want)
		}
	}
	if _, err := e.store.Profile(ctx, "cus_1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a rejected PUT stored a profile: %v", err)
	}
	if r := e.do("GET", "/v1/customers/cus_1", "", ""); r.code != http.StatusNotFound {
		t.Fatalf("GET unknown customer: %s", r)
	}

	// An existing profile with an opt-out.
	if err := e.store.UpsertProfile(ctx, "cus_1", store.Profile{"name": "Anna", "email": "anna@example.nl", store.OptOutField("email"): "2026-11-01T10:00:00Z"}); err != nil {
		t.Fatal(err)
	}
	r := e.do("PUT", "/v1/customers/cus_1", "", `{"id":"cus_1","name":"Anna de Vries","phone":"+31612345678","timezone":"Europe/Amsterdam"}`)
	if r.code != http.StatusOK {
		t.Fatal(r)
	}
	var got map[string]string
	r.json(t, &got)
	want := map[string]string{
		"id": "cus_1", "name": "Anna de Vries", "phone": "+31612345678", "timezone": "Europe/Amsterdam",
		"optout_email": "2026-11-01T10:00:00Z",
	}
	if !equalMaps(got, want) {
		t.Fatalf("PUT answered %v, want %v (replaced, opt-out kept)", got, want)
	}
	stored, _ := e.store.Profile(ctx, "cus_1")
	if !equalMaps(stored, want) {
		t.Fatalf("stored %v, want %v", stored, want)
	}
	e.do("GET", "/v1/customers/cus_1", "", "").json(t, &got)
	if !equalMaps(got, want) {
		t.Fatalf("GET %v, want %v", got, want)
	}
	entries, _ := e.store.Timeline(ctx, "cus_1", 0)
	if len(entries) != 1 || entries[0].Kind != store.KindProfile || entries[0].State != "updated" {
		t.Fatalf("journal %+v", entries)
	}
}

func equalMaps[M ~map[string]string](a, b M) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func TestDeleteCustomer(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx := context.Background()
	type person struct{ id, email, phone string }
	gone := person{"cus_gone", "gone@example.nl", "+31611112222"}
	kept := person{"cus_kept", "kept@example.nl", "+31633334444"}
	for _, p := range []person{gone, kept} {
		e.post(batch(
			ev("evt_1", p.id, `"customer":{"name":"Anna","email":"`+p.email+`","phone":"`+p.phone+`","timezone":"Europe/Amsterdam"}`),
			`{"id":"evt_2","type":"invoice.paid","customer_id":"`+p.id+`","data":{"email":"`+p.email+`"}}`,
		))
		e.route(p.id, "evt_1") // routing again changes nothing
		// What the channels would have left: a callback and an outbox message.
		if _, err := e.store.AddCallback(ctx, &store.Callback{
			ID: "iv_cb_" + p.id[4:], Queue: "retention", Customer: p.id, Phone: p.phone,
			TalkingPoint: "Call Anna", Due: e.clock.Now(), Created: e.clock.Now(),
		}); err != nil {
			t.Fatal(err)
		}
		msg := map[string]string{"id": "iv_out_" + p.id[4:], "customer_id": p.id, "to": p.email, "text": "Hello"}
		if err := e.store.PushOutbox(ctx, msg["id"], msg); err != nil {
			t.Fatal(err)
		}
	}
	ivs := map[string][]*store.Intervention{}
	for _, p := range []person{gone, kept} {
		list, err := e.store.Interventions(ctx, p.id)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) == 0 {
			t.Fatalf("%s: nothing scheduled", p.id)
		}
		for _, iv := range list {
			if _, err := e.task(iv.TaskQueue, iv.Customer, iv.ID); err != nil {
				t.Fatalf("step task %s: %v", iv.ID, err)
			}
		}
		ivs[p.id] = list
	}
	if n := len(e.taskIDs(tasks.QueueEvents)); n != 0 {
		t.Fatalf("%d route tasks, want none: the API routes as it takes events", n)
	}

	if r := e.do("DELETE", "/v1/customers/"+gone.id, "", ""); r.code != http.StatusNoContent {
		t.Fatalf("DELETE: %s", r)
	}
	for key, val := range e.dump() {
		for _, s := range []string{gone.id, gone.email, gone.phone} {
			if strings.Contains(key, s) || strings.Contains(val, s) {
				t.Errorf("after erasure, key %s still holds %q: %q", key, s, val)
			}
		}
	}
	for _, iv := range ivs[gone.id] {
		if _, err := e.task(iv.TaskQueue, iv.Customer, iv.ID); !errors.Is(err, asynq.ErrTaskNotFound) {
			t.Errorf("step task %s of the erased customer: %v", iv.ID, err)
		}
	}
	for _, iv := range ivs[kept.id] {
		if _, err := e.task(iv.TaskQueue, iv.Customer, iv.ID); err != nil {
			t.Errorf("step task %s of the other customer: %v", iv.ID, err)
		}
		if got, err := e.store.Intervention(ctx, kept.id, iv.ID); err != nil || got.State != store.Scheduled {
			t.Errorf("other customer's intervention %s: %v", iv.ID, err)
		}
	}
	if got := e.taskIDs(tasks.QueueEvents); len(got) != 0 {
		t.Errorf("route tasks after erasure %v", got)
	}
	if p, err := e.store.Profile(ctx, kept.id); err != nil || p["email"] != kept.email {
		t.Errorf("other customer's profile: %v, %v", p, err)
	}
	if cbs, _ := e.store.Callbacks(ctx, "retention", "", 0); len(cbs) != 1 || cbs[0].Customer != kept.id {
		t.Errorf("callbacks after erasure: %d", len(cbs))
	}
	if msgs, _ := e.store.Outbox(ctx, 0); len(msgs) != 1 {
		t.Errorf("outbox after erasure: %d messages, want 1", len(msgs))
	}
	if r := e.do("GET", "/v1/customers/"+gone.id+"/timeline", "", ""); r.code != http.StatusNotFound {
		t.Errorf("timeline after erasure: %s", r)
	}
	if r := e.do("DELETE", "/v1/customers/"+gone.id, "", ""); r.code != http.StatusNoContent {
		t.Errorf("second DELETE: %s", r)
	}
	// A route task that was already running when the customer was erased
	// finds nothing and brings nothing back.
	e.route(gone.id, "evt_1")
	if keys := e.rdb.Keys(ctx, "*"+gone.id+"*").Val(); len(keys) != 0 {
		t.Errorf("late route brought back %v", keys)
	}
}
