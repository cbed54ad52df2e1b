package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/aheadhq/ahead/internal/redistest"
	"github.com/aheadhq/ahead/internal/store"
)

func TestMain(m *testing.M) { os.Exit(redistest.Main(m)) }

// t0 is the instant the tests' clock reads.
var t0 = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

// setup returns a store on an empty database of the test's own, and the
// client under it for looking at the keys.
func setup(t *testing.T) (*store.Store, *redis.Client) {
	t.Helper()
	rdb := redistest.New(t)
	return store.New(rdb), rdb
}

func TestAcceptEventsDedupes(t *testing.T) {
	t.Parallel()
	st, _ := setup(t)
	ctx := context.Background()
	batch := []store.EventRef{
		{Customer: "cus_1", ID: "evt_1", JSON: []byte(`{"n":1}`)},
		{Customer: "cus_2", ID: "evt_1", JSON: []byte(`{"n":2}`)}, // same id, other customer
		{Customer: "cus_1", ID: "evt_1", JSON: []byte(`{"n":3}`)}, // repeated in the batch
	}
	// Not routed yet: a repeat is stored already, but not routed.
	got, err := st.Accept(ctx, batch, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if want := []store.Acceptance{store.AcceptNew, store.AcceptNew, store.AcceptUnrouted}; !slices.Equal(got, want) {
		t.Fatalf("Accept = %v, want %v", got, want)
	}
	got, err = st.Accept(ctx, batch[:1], time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if got[0] == store.AcceptNew {
		t.Fatal("a repeated event id was accepted as new")
	}
	for cus, want := range map[string]string{"cus_1": `{"n":1}`, "cus_2": `{"n":2}`} {
		got, err := st.Event(ctx, cus, "evt_1")
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != want {
			t.Errorf("Event(%s) = %s, want %s (the first one posted)", cus, got, want)
		}
	}
}

func TestEventNotFound(t *testing.T) {
	t.Parallel()
	st, _ := setup(t)
	_, err := st.Event(context.Background(), "cus_1", "evt_missing")
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("err = %v, want ErrNotFound", err)
	}
}

func TestForgetEvents(t *testing.T) {
	t.Parallel()
	st, rdb := setup(t)
	ctx := context.Background()
	a := store.EventRef{Customer: "cus_1", ID: "evt_a", JSON: []byte(`{}`)}
	b := store.EventRef{Customer: "cus_1", ID: "evt_b", JSON: []byte(`{}`)}
	if _, err := st.Accept(ctx, []store.EventRef{a, b}, time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := st.ForgetEvents(ctx, []store.EventRef{a}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Event(ctx, "cus_1", "evt_a"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("forgotten event: err = %v, want ErrNotFound", err)
	}
	if _, err := st.Event(ctx, "cus_1", "evt_b"); err != nil {
		t.Fatalf("the event not forgotten is gone: %v", err)
	}
	ids, err := st.EventIDs(ctx, "cus_1")
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != 1 || ids[0] != "evt_b" {
		t.Fatalf("EventIDs = %v, want [evt_b]", ids)
	}
	got, err := st.Accept(ctx, []store.EventRef{a}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if got[0] != store.AcceptNew {
		t.Fatal("a forgotten event posted again is not new")
	}
	if n := rdb.DBSize(ctx).Val(); n != 2 {
		t.Fatalf("%d keys, want 2 (the events and their unrouted marks)", n)
	}
}

func TestKeepEventOnlyExtends(t *testing.T) {
	t.Parallel()
	st, rdb := setup(t)
	ctx := context.Background()
	ev := store.EventRef{Customer: "cus_1", ID: "evt_1", JSON: []byte(`{}`)}
	if _, err := st.Accept(ctx, []store.EventRef{ev}, time.Hour); err != nil {
		t.Fatal(err)
	}
	// The event's expiry, and the hash's, which is at least as late.
	ttl := func() time.Duration {
		t.Helper()
		v, err := rdb.HGet(ctx, "ahead:{cus_1}:evts", "evt_1").Result()
		exp, _, ok := strings.Cut(v, "|")
		ms, perr := strconv.ParseInt(exp, 10, 64)
		if err != nil || !ok || perr != nil {
			t.Fatalf("stored event %q, %v", v, err)
		}
		d := time.Until(time.UnixMilli(ms))
		if key := rdb.PTTL(ctx, "ahead:{cus_1}:evts").Val(); key < d-time.Second {
			t.Fatalf("the events expire in %v, before the event's %v", key, d)
		}
		return d
	}
	if err := st.KeepEvent(ctx, "cus_1", "evt_1", 10*time.Hour); err != nil {
		t.Fatal(err)
	}
	if d := ttl(); d <= 9*time.Hour || d > 10*time.Hour {
		t.Fatalf("ttl after keeping for 10h = %v", d)
	}
	if err := st.KeepEvent(ctx, "cus_1", "evt_1", 2*time.Hour); err != nil {
		t.Fatal(err)
	}
	if d := ttl(); d <= 9*time.Hour {
		t.Fatalf("keeping for 2h shortened the ttl to %v", d)
	}
	// A missing event stays missing.
	if err := st.KeepEvent(ctx, "cus_1", "evt_gone", time.Hour); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Event(ctx, "cus_1", "evt_gone"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("KeepEvent created a missing event: %v", err)
	}
}

func TestProfiles(t *testing.T) {
	t.Parallel()
	st, _ := setup(t)
	ctx := context.Background()
	if _, err := st.Profile(ctx, "cus_1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Profile of an unknown customer: err = %v, want ErrNotFound", err)
	}
	if err := st.UpsertProfile(ctx, "cus_1", store.Profile{"name": "Anna", "email": "anna@example.nl", "locale": "nl"}); err != nil {
		t.Fatal(err)
	}
	// Empty fields leave the stored ones alone; id cannot be changed.
	if err := st.UpsertProfile(ctx, "cus_1", store.Profile{"email": "anna@example.com", "name": "", "id": "cus_other"}); err != nil {
		t.Fatal(err)
	}
	got, err := st.Profile(ctx, "cus_1")
	if err != nil {
		t.Fatal(err)
	}
	want := store.Profile{"id": "cus_1", "name": "Anna", "email": "anna@example.com", "locale": "nl"}
	if !equalProfiles(got, want) {
		t.Fatalf("after upsert: %v, want %v", got, want)
	}
	if err := st.ReplaceProfile(ctx, "cus_1", store.Profile{"phone": "+31612345678", "name": ""}); err != nil {
		t.Fatal(err)
	}
	got, err = st.Profile(ctx, "cus_1")
	if err != nil {
		t.Fatal(err)
	}
	want = store.Profile{"id": "cus_1", "phone": "+31612345678"}
	if !equalProfiles(got, want) {
		t.Fatalf("after replace: %v, want %v", got, want)
	}
}

func equalProfiles(a, b store.Profile) bool {
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

// Accept tells a new event from one stored and routed before, and from one
// stored by a process that stopped before routing it.
func TestAcceptRouted(t *testing.T) {
	t.Parallel()
	st, rdb := setup(t)
	ctx := context.Background()
	a := store.EventRef{Customer: "cus_1", ID: "evt_a", JSON: []byte(`{}`)}
	b := store.EventRef{Customer: "cus_1", ID: "evt_b", JSON: []byte(`{}`)}
	got, err := st.Accept(ctx, []store.EventRef{a, b}, time.Hour)
	if err != nil || got[0] != store.AcceptNew || got[1] != store.AcceptNew {
		t.Fatalf("first Accept = %v, %v", got, err)
	}
	if err := st.MarkRouted(ctx, []store.EventRef{a}); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		got, err = st.Accept(ctx, []store.EventRef{a, b}, time.Hour)
		if err != nil || got[0] != store.AcceptRouted || got[1] != store.AcceptUnrouted {
			t.Fatalf("Accept again = %v, %v; want routed, unrouted", got, err)
		}
	}
	// Asking leaves no mark: the routed event stays routed.
	if n := rdb.HLen(ctx, "ahead:{cus_1}:unrouted").Val(); n != 1 {
		t.Fatalf("%d unrouted marks, want 1 (evt_b)", n)
	}
	if err := st.MarkRouted(ctx, []store.EventRef{b}); err != nil {
		t.Fatal(err)
	}
	if got, _ = st.Accept(ctx, []store.EventRef{b}, time.Hour); got[0] != store.AcceptRouted {
		t.Fatalf("after MarkRouted: %v", got)
	}
}

// record returns the fields of an intervention's stored record.
func record(t *testing.T, rdb *redis.Client, cus, id string) map[string]string {
	t.Helper()
	var vals []string
	raw, err := rdb.HGet(context.Background(), "ahead:{"+cus+"}:ivs", id).Result()
	if err != nil || json.Unmarshal([]byte(raw), &vals) != nil {
		t.Fatalf("record of %s: %q, %v", id, raw, err)
	}
	m := map[string]string{}
	for i, v := range vals {
		if v != "" {
			m[store.RecordFields[i]] = v
		}
	}
	return m
}

// setRecord changes fields of an intervention's stored record, as another
// version of ahead might have written it.
func setRecord(t *testing.T, rdb *redis.Client, cus, id string, fields map[string]string) {
	t.Helper()
	m := record(t, rdb, cus, id)
	maps.Copy(m, fields)
	vals := make([]string, len(store.RecordFields))
	for i, f := range store.RecordFields {
		vals[i] = m[f]
	}
	b, _ := json.Marshal(vals)
	if err := rdb.HSet(context.Background(), "ahead:{"+cus+"}:ivs", id, b).Err(); err != nil {
		t.Fatal(err)
	}
}
