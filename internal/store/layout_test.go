package store_test

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/aheadhq/ahead/internal/redistest"
	"github.com/aheadhq/ahead/internal/store"
)

// TestMigrateLayout moves a customer the previous release wrote (each
// intervention and event a key of its own, named in an index with routed
// marks, and an older set index) into this layout: the store reports the
// earlier layout until then, every record reads as before, expiries and
// routed marks carry over, no old key is left, and a second run finds
// nothing.
func TestMigrateLayout(t *testing.T) {
	t.Parallel()
	_, rdb := setup(t)
	migrateLayout(t, rdb)
}

// The same on a Redis Cluster, whose masters are each scanned.
func TestMigrateLayoutCluster(t *testing.T) {
	migrateLayout(t, redistest.Cluster(t))
}

func migrateLayout(t *testing.T, rdb redis.UniversalClient) {
	st := store.New(rdb)
	ctx := context.Background()
	due := t0.Add(48 * time.Hour)
	// As the previous release's create script wrote them.
	old := "ahead:{cus_old}:"
	rdb.HSet(ctx, old+"iv:iv_a", "run", "run_1", "flow", "welcome", "version", "v1", "step", "day2",
		"event", "evt_1", "event_type", "subscription.created", "channels", "email,sms",
		"due", due.Format(time.RFC3339Nano), "task_queue", "steps-1", "state", "scheduled",
		"plan_at", "1700000000000000000", "plan_cause", "after", "plan", "2 days after the trigger")
	rdb.HSet(ctx, old+"iv:iv_b", "flow", "welcome", "step", "day4", "event", "evt_1",
		"due", due.Format(time.RFC3339Nano), "task_queue", "steps-1", "state", "sent", "attempts", "1", "code", "")
	rdb.HSet(ctx, old+"pending", "iv_a", "welcome|day2|steps-1||")
	rdb.Set(ctx, old+"evt:evt_1", `{"id":"evt_1","type":"subscription.created"}`, time.Hour)
	rdb.Set(ctx, old+"evt:evt_2", `{"id":"evt_2","type":"invoice.paid"}`, 2*time.Hour)
	rdb.Set(ctx, old+"evt:evt_0", `{"id":"evt_0","type":"invoice.paid"}`, 0)
	rdb.HSet(ctx, old+"keys", old+"iv:iv_a", "", old+"iv:iv_b", "", old+"evt:evt_1", "routed", old+"evt:evt_2", "")
	rdb.SAdd(ctx, old+"index", old+"evt:evt_0")

	if v, err := st.LayoutOf(ctx); err != nil || v != "" {
		t.Fatalf("LayoutOf before migrating = %q, %v; want the earlier layout", v, err)
	}
	r, err := st.Migrate(ctx)
	if err != nil || r != (store.Relayout{Customers: 1, Interventions: 2, Events: 3}) {
		t.Fatalf("Migrate = %+v, %v", r, err)
	}
	if v, err := st.LayoutOf(ctx); err != nil || v != store.Layout {
		t.Fatalf("LayoutOf after migrating = %q, %v", v, err)
	}
	var keys []string
	for _, k := range keysOf(t, rdb) {
		if strings.HasPrefix(k, old) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	if want := []string{old + "evts", old + "ivs", old + "unrouted"}; !slices.Equal(keys, want) {
		t.Fatalf("keys after migrating %v, want %v", keys, want)
	}

	a, err := st.Intervention(ctx, "cus_old", "iv_a")
	if err != nil || a.Run != "run_1" || a.Version != "v1" || !a.Due.Equal(due) || a.State != store.Scheduled ||
		!slices.Equal(a.Channels, []string{"email", "sms"}) || a.Reason != "2 days after the trigger" || a.Plan.Cause != "after" {
		t.Fatalf("iv_a = %+v, %v", a, err)
	}
	if b, err := st.Intervention(ctx, "cus_old", "iv_b"); err != nil || b.State != store.Sent || b.Attempts != 1 {
		t.Fatalf("iv_b = %+v, %v", b, err)
	}
	// The records hold what the pending index held.
	if p, err := st.PendingOf(ctx, "cus_old"); err != nil || len(p) != 1 || p["iv_a"].TaskQueue != "steps-1" {
		t.Fatalf("pending after migrating = %+v, %v", p, err)
	}
	// The scripts work on a migrated record.
	if iv, ok, err := st.Begin(ctx, "cus_old", "iv_a"); err != nil || !ok || iv.Attempts != 1 {
		t.Fatalf("Begin on a migrated record = %+v, %v, %v", iv, ok, err)
	}
	if ev, err := st.Event(ctx, "cus_old", "evt_2"); err != nil || string(ev) != `{"id":"evt_2","type":"invoice.paid"}` {
		t.Fatalf("evt_2 = %s, %v", ev, err)
	}
	// The events keep their expiry: the hash lives as long as the latest,
	// an event that had none gets the default.
	if d := rdb.PTTL(ctx, old+"evts").Val(); d < 29*24*time.Hour || d > 30*24*time.Hour {
		t.Fatalf("events expire in %v", d)
	}
	// Routed marks carry over: evt_2 was never routed, the others were.
	evs := []store.EventRef{{Customer: "cus_old", ID: "evt_1"}, {Customer: "cus_old", ID: "evt_2"}, {Customer: "cus_old", ID: "evt_0"}}
	got, err := st.Accept(ctx, evs, time.Hour)
	if want := []store.Acceptance{store.AcceptRouted, store.AcceptUnrouted, store.AcceptRouted}; err != nil || !slices.Equal(got, want) {
		t.Fatalf("Accept after migrating = %v, %v; want %v", got, err, want)
	}

	if r, err := st.Migrate(ctx); err != nil || r != (store.Relayout{}) {
		t.Fatalf("Migrate again = %+v, %v", r, err)
	}
}

// A store with no customer of the earlier layout is taken as this
// layout's at once, and says so from then on.
func TestLayoutOfNewStore(t *testing.T) {
	t.Parallel()
	st, rdb := setup(t)
	ctx := context.Background()
	if v, err := st.LayoutOf(ctx); err != nil || v != store.Layout {
		t.Fatalf("LayoutOf an empty store = %q, %v", v, err)
	}
	if v := rdb.Get(ctx, store.LayoutKey).Val(); v != store.Layout {
		t.Fatalf("layout recorded %q", v)
	}
}

// An event past its expiry reads as gone at once, and the next Accept of
// the customer's after the earliest expiry deletes it, with its mark.
func TestExpiredEvents(t *testing.T) {
	t.Parallel()
	st, rdb := setup(t)
	ctx := context.Background()
	key := "ahead:{cus_1}:evts"
	ev := func(id string) store.EventRef {
		return store.EventRef{Customer: "cus_1", ID: id, JSON: []byte(`{"id":"` + id + `","received_ns":1}`)}
	}
	// Accepted already expired: gone at once, the hash with it.
	if got, err := st.Accept(ctx, []store.EventRef{ev("evt_0")}, -time.Second); err != nil || got[0] != store.AcceptNew {
		t.Fatalf("Accept = %v, %v", got, err)
	}
	if n := rdb.Exists(ctx, key).Val(); n != 0 {
		t.Fatalf("an expired event is kept: %v", rdb.HGetAll(ctx, key).Val())
	}
	if _, err := st.Accept(ctx, []store.EventRef{ev("evt_1")}, time.Hour); err != nil {
		t.Fatal(err)
	}
	// An event whose expiry passed, as time leaves it.
	past := strconv.FormatInt(time.Now().Add(-time.Minute).UnixMilli(), 10)
	rdb.HSet(ctx, key, "evt_x", past+`|{"id":"evt_x","received_ns":1}`)
	rdb.HSet(ctx, "ahead:{cus_1}:unrouted", "evt_x", "")
	if _, err := st.Event(ctx, "cus_1", "evt_x"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("expired event read: %v", err)
	}
	if tl, err := st.Timeline(ctx, "cus_1", 0); err != nil || len(tl) != 1 || tl[0].EventID != "evt_1" {
		t.Fatalf("timeline = %+v, %v; want evt_1 received only", tl, err)
	}
	loaded, err := st.LoadBatch(ctx, []store.Ref{{Customer: "cus_1", ID: "evt_x"}, {Customer: "cus_1", ID: "evt_1"}})
	if err != nil || loaded.Events[0] != nil || loaded.Events[1] == nil {
		t.Fatalf("LoadBatch = %q, %v", loaded.Events, err)
	}
	// Once the earliest expiry has passed, Accept deletes it: of every
	// customer of the batch.
	rdb.HSet(ctx, key, "", past)
	other := store.EventRef{Customer: "cus_2", ID: "evt_y", JSON: []byte(`{}`)}
	rdb.HSet(ctx, "ahead:{cus_2}:evts", "evt_old", past+`|{}`, "", past)
	if _, err := st.Accept(ctx, []store.EventRef{ev("evt_2"), other}, time.Hour); err != nil {
		t.Fatal(err)
	}
	if ids, _ := st.EventIDs(ctx, "cus_1"); !slices.Equal(ids, []string{"evt_1", "evt_2"}) {
		t.Fatalf("events after pruning %v", ids)
	}
	if ids, _ := st.EventIDs(ctx, "cus_2"); !slices.Equal(ids, []string{"evt_y"}) {
		t.Fatalf("cus_2's events after pruning %v", ids)
	}
	if rdb.HExists(ctx, "ahead:{cus_1}:unrouted", "evt_x").Val() {
		t.Fatal("the expired event's mark is kept")
	}
	hint, _ := strconv.ParseInt(rdb.HGet(ctx, key, "").Val(), 10, 64)
	if at := time.UnixMilli(hint); time.Until(at) < 59*time.Minute {
		t.Fatalf("earliest expiry %v, want evt_1's, in an hour", at)
	}
}
