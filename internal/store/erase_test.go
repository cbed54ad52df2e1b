package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/aheadhq/ahead/internal/store"
)

// customer is everything the store can hold of one customer.
type customer struct {
	id, email, phone string
}

func (c customer) fill(t *testing.T, st *store.Store) {
	t.Helper()
	ctx := context.Background()
	ev := fmt.Sprintf(`{"id":"evt_1","customer_id":%q,"customer":{"email":%q,"phone":%q}}`, c.id, c.email, c.phone)
	if _, err := st.Accept(ctx, []store.EventRef{
		{Customer: c.id, ID: "evt_1", JSON: []byte(ev)},
		{Customer: c.id, ID: "evt_2", JSON: []byte(`{}`)},
	}, time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := st.UpsertProfile(ctx, c.id, store.Profile{"name": "Anna", "email": c.email, "phone": c.phone}); err != nil {
		t.Fatal(err)
	}
	if err := st.Journal(ctx, c.id, store.Entry{At: t0, Kind: store.KindEvent, EventID: "evt_1"}); err != nil {
		t.Fatal(err)
	}
	a := newIV(c.id, "iv_a_"+c.id, t0.Add(time.Hour))
	b := newIV(c.id, "iv_b_"+c.id, t0.Add(2*time.Hour))
	skipped := newIV(c.id, "iv_s_"+c.id, t0)
	skipped.State = store.Skipped
	schedule(t, st, a, b, skipped)
	iv, ok, err := st.Begin(ctx, c.id, a.ID)
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	iv.State = store.Sent
	if err := st.Update(ctx, iv, store.Entry{At: t0, Kind: store.KindIntervention, State: store.Sent, Intervention: iv.ID}); err != nil {
		t.Fatal(err)
	}
	// What the guards remember: contacts for budgets, recent events for
	// skip_if, flow entries for once_per, debounce slots.
	if ok, err := st.Reserve(ctx, c.id, store.Contact{Intervention: a.ID, At: t0, Channel: "email", Flow: "welcome", Step: "day2"}, 24*time.Hour, 3, 0); err != nil || !ok {
		t.Fatal(ok, err)
	}
	if err := st.NoteEvent(ctx, c.id, "subscription.created", "evt_1", t0); err != nil {
		t.Fatal(err)
	}
	if _, err := st.EnterAll(ctx, []store.Entering{{Customer: c.id, Key: "welcome", Event: "e1", At: t0}}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Debounce(ctx, c.id, "welcome|day2|sub_1", b.ID, "evt_2", "invoice.paid"); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"retention", "billing"} {
		cb := newCallback(q, "cb_"+c.id, 0, t0)
		cb.Customer, cb.Phone, cb.TalkingPoint = c.id, c.phone, "Call "+c.email
		if _, err := st.AddCallback(ctx, cb); err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range []string{"out_1_" + c.id, "out_2_" + c.id} {
		msg := map[string]string{"id": id, "customer_id": c.id, "to": c.email, "text": "Call " + c.phone}
		if err := st.PushOutbox(ctx, id, msg); err != nil {
			t.Fatal(err)
		}
	}
}

func TestEraseLeavesNothing(t *testing.T) {
	t.Parallel()
	st, rdb := setup(t)
	ctx := context.Background()
	gone := customer{"cus_erase", "erase@example.nl", "+31611112222"}
	kept := customer{"cus_keep", "keep@example.nl", "+31633334444"}
	gone.fill(t, st)
	kept.fill(t, st)
	// An index as earlier versions kept it, a set, naming a key of its own.
	legacy := "ahead:{" + gone.id + "}:iv:iv_legacy"
	if err := rdb.HSet(ctx, legacy, "state", "sent").Err(); err != nil {
		t.Fatal(err)
	}
	if err := rdb.SAdd(ctx, "ahead:{"+gone.id+"}:index", legacy).Err(); err != nil {
		t.Fatal(err)
	}
	before := dump(t, rdb)
	for _, kind := range []string{"profile", "journal", "ivs", "evts", "index", "callbacks", "contacts", "events", "entered", "debounce"} {
		if key := "ahead:{" + gone.id + "}:" + kind; before[key] == "" {
			t.Fatalf("setup left no key %s", key)
		}
	}
	if err := st.Erase(ctx, gone.id); err != nil {
		t.Fatal(err)
	}
	after := dump(t, rdb)
	for key, val := range after {
		for _, s := range []string{gone.id, gone.email, gone.phone} {
			if strings.Contains(key, s) || strings.Contains(val, s) {
				t.Errorf("key %s still holds %q: %s", key, s, val)
			}
		}
	}
	// Every key that held nothing of the erased customer is as it was.
	for key, val := range before {
		if strings.Contains(val, gone.id) || strings.Contains(key, gone.id) {
			continue
		}
		if after[key] != val {
			t.Errorf("key %s changed:\nbefore %s\n after %s", key, val, after[key])
		}
	}
	if _, err := st.Profile(ctx, gone.id); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("profile after erase: %v", err)
	}
	// The other customer is whole.
	if p, err := st.Profile(ctx, kept.id); err != nil || p["email"] != kept.email {
		t.Errorf("other profile = %v, %v", p, err)
	}
	if ivs, _ := st.Interventions(ctx, kept.id); len(ivs) != 3 {
		t.Errorf("other customer has %d interventions, want 3", len(ivs))
	}
	for _, q := range []string{"retention", "billing"} {
		if cbs, _ := st.Callbacks(ctx, q, "", 0); len(cbs) != 1 || cbs[0].Customer != kept.id {
			t.Errorf("queue %s after erase: %d callbacks", q, len(cbs))
		}
	}
	if msgs, _ := st.Outbox(ctx, 0); len(msgs) != 2 {
		t.Errorf("outbox after erase: %d messages, want the other customer's 2", len(msgs))
	}
	if _, err := st.Event(ctx, kept.id, "evt_1"); err != nil {
		t.Errorf("other customer's event: %v", err)
	}
	// Erasing again, or erasing an unknown customer, is fine.
	if err := st.Erase(ctx, gone.id); err != nil {
		t.Fatal(err)
	}
	if err := st.Erase(ctx, "cus_never"); err != nil {
		t.Fatal(err)
	}
}

// dump returns every key of the database with its value as text.
func dump(t *testing.T, rdb *redis.Client) map[string]string {
	t.Helper()
	ctx := context.Background()
	out := map[string]string{}
	iter := rdb.Scan(ctx, 0, "*", 100).Iterator()
	for iter.Next(ctx) {
		key := iter.Val()
		var v any
		var err error
		switch typ := rdb.Type(ctx, key).Val(); typ {
		case "string":
			v, err = rdb.Get(ctx, key).Result()
		case "hash":
			v, err = rdb.HGetAll(ctx, key).Result()
		case "list":
			v, err = rdb.LRange(ctx, key, 0, -1).Result()
		case "set":
			var m []string
			m, err = rdb.SMembers(ctx, key).Result()
			slices.Sort(m)
			v = m
		case "zset":
			v, err = rdb.ZRangeWithScores(ctx, key, 0, -1).Result()
		default:
			t.Fatalf("key %s has type %s", key, typ)
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(v)
		out[key] = string(b)
	}
	if err := iter.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
