package api_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aheadhq/ahead/internal/api"
	"github.com/aheadhq/ahead/internal/signed"
	"github.com/aheadhq/ahead/internal/store"
)

func TestCallbacks(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx := context.Background()
	now := e.clock.Now()
	for _, cb := range []*store.Callback{
		{ID: "iv_late", Queue: "retention", Customer: "cus_1", Due: now.Add(2 * time.Hour)},
		{ID: "iv_soon", Queue: "retention", Customer: "cus_2", Due: now.Add(time.Hour)},
		{ID: "iv_vip", Queue: "retention", Customer: "cus_3", Due: now.Add(3 * time.Hour), Priority: 10},
		{ID: "iv_taken", Queue: "retention", Customer: "cus_4", Due: now, State: store.CallbackClaimed},
		{ID: "iv_bill", Queue: "billing", Customer: "cus_5", Due: now},
	} {
		if _, err := e.store.AddCallback(ctx, cb); err != nil {
			t.Fatal(err)
		}
	}
	r := e.do("GET", "/v1/callbacks", "", "")
	if r.code != http.StatusBadRequest {
		t.Fatalf("without queue: %s", r)
	}
	if p := r.problem(t); p.Error != "queue: required" || fmt.Sprint(p.Errors) != "[known queues: billing, retention]" {
		t.Errorf("without queue: %+v", p)
	}
	list := func(query string) string {
		t.Helper()
		r := e.do("GET", "/v1/callbacks?"+query, "", "")
		if r.code != http.StatusOK {
			t.Fatalf("%s: %s", query, r)
		}
		var got struct {
			Queue     string
			Callbacks []store.Callback
		}
		r.json(t, &got)
		var ids []string
		for _, c := range got.Callbacks {
			ids = append(ids, c.ID)
		}
		return fmt.Sprint(ids)
	}
	if got, want := list("queue=retention"), "[iv_vip iv_taken iv_soon iv_late]"; got != want {
		t.Errorf("retention = %s, want %s", got, want)
	}
	if got, want := list("queue=retention&state=queued"), "[iv_vip iv_soon iv_late]"; got != want {
		t.Errorf("queued = %s, want %s", got, want)
	}
	if got, want := list("queue=retention&state=claimed"), "[iv_taken]"; got != want {
		t.Errorf("claimed = %s, want %s", got, want)
	}
	if got, want := list("queue=empty"), "[]"; got != want {
		t.Errorf("empty queue = %s, want %s", got, want)
	}
	r = e.do("GET", "/v1/callbacks?queue=retention&state=lost", "", "")
	if r.code != http.StatusBadRequest || !strings.HasPrefix(r.problem(t).Error, "state: ") {
		t.Errorf("bad state: %s", r)
	}
}

func TestUnsubscribe(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx := context.Background()
	if err := e.store.UpsertProfile(ctx, "cus_1", store.Profile{"email": "anna@example.nl"}); err != nil {
		t.Fatal(err)
	}
	path := "/v1/unsubscribe/" + signed.Token(signingKey, "cus_1", "email")

	r := e.do("GET", path, "", "")
	if r.code != http.StatusOK || !strings.Contains(string(r.body), `<form method="post"`) {
		t.Fatalf("GET: %s", r)
	}
	if p, _ := e.store.Profile(ctx, "cus_1"); p["optout_email"] != "" {
		t.Fatal("GET unsubscribed: mail scanners follow links")
	}

	forged := []string{
		signed.Token([]byte("another-key-0123456789"), "cus_1", "email"),
		signed.Token(signingKey, "cus_1", "email") + "x",
		"garbage",
	}
	for _, tok := range forged {
		for _, method := range []string{"GET", "POST"} {
			if r := e.do(method, "/v1/unsubscribe/"+tok, "", ""); r.code != http.StatusNotFound {
				t.Errorf("%s forged %q: %s, want 404", method, tok, r)
			}
		}
	}

	e.clock.Advance(time.Hour)
	r = e.do("POST", path, "", "List-Unsubscribe=One-Click")
	if r.code != http.StatusOK || !strings.Contains(string(r.body), "unsubscribed") {
		t.Fatalf("POST: %s", r)
	}
	p, err := e.store.Profile(ctx, "cus_1")
	if err != nil {
		t.Fatal(err)
	}
	if want := e.clock.Now().UTC().Format(time.RFC3339); p["optout_email"] != want || p["email"] != "anna@example.nl" {
		t.Fatalf("profile %v, want optout_email %s", p, want)
	}
	entries, _ := e.store.Timeline(ctx, "cus_1", 0)
	if len(entries) != 1 || entries[0].Kind != store.KindProfile || entries[0].State != "opted_out" || entries[0].Channel != "email" {
		t.Fatalf("journal %+v", entries)
	}
	for _, en := range entries {
		if !strings.Contains(en.Reason, "unsubscribe") {
			t.Errorf("entry without reason: %+v", en)
		}
	}

	// Without a signing key, no link is valid.
	nokey := setup(t, func(o *api.Options) { o.SigningKey = nil })
	if r := nokey.do("POST", path, "", ""); r.code != http.StatusNotFound {
		t.Errorf("no signing key: %s", r)
	}
}

func TestOutbox(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx := context.Background()
	for i := range 3 {
		id := fmt.Sprint("iv_", i)
		if err := e.store.PushOutbox(ctx, id, map[string]string{"id": id}); err != nil {
			t.Fatal(err)
		}
	}
	var got struct{ Messages []struct{ ID string } }
	e.do("GET", "/v1/outbox", "", "").json(t, &got)
	if fmt.Sprint(got.Messages) != "[{iv_2} {iv_1} {iv_0}]" {
		t.Fatalf("outbox %v, want newest first", got.Messages)
	}
	e.do("GET", "/v1/outbox?limit=1", "", "").json(t, &got)
	if len(got.Messages) != 1 {
		t.Fatalf("limit=1: %v", got.Messages)
	}
}

func TestFlows(t *testing.T) {
	t.Parallel()
	e := setup(t)
	var got struct {
		Flows []struct {
			Flow    string
			Trigger string
			Steps   []struct {
				ID       string
				Channels []string
				Template string
			}
		}
	}
	e.do("GET", "/v1/flows", "", "").json(t, &got)
	cat, _ := catalog()
	if len(got.Flows) != len(cat.Flows.Flows()) || len(got.Flows) == 0 {
		t.Fatalf("%d flows listed, catalog has %d", len(got.Flows), len(cat.Flows.Flows()))
	}
	for i, f := range cat.Flows.Flows() {
		g := got.Flows[i]
		if g.Flow != f.Name || g.Trigger != f.Trigger.Event || len(g.Steps) != len(f.Steps) {
			t.Errorf("flow %d: %+v", i, g)
			continue
		}
		for j, s := range f.Steps {
			if g.Steps[j].ID != s.ID || g.Steps[j].Template != s.Template || fmt.Sprint(g.Steps[j].Channels) != fmt.Sprint(s.Channels) {
				t.Errorf("flow %s step %d: %+v", f.Name, j, g.Steps[j])
			}
		}
	}
}
