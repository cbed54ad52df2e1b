package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aheadhq/ahead/internal/store"
)

func contact(iv string, at time.Time) store.Contact {
	return store.Contact{Intervention: iv, At: at, Channel: "email", Flow: "welcome", Step: "day2"}
}

func reserve(t *testing.T, st *store.Store, c store.Contact, per time.Duration, max int, gap time.Duration) bool {
	t.Helper()
	ok, err := st.Reserve(context.Background(), "cus_1", c, per, max, gap)
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

func TestReserveMax(t *testing.T) {
	t.Parallel()
	st, _ := setup(t)
	day := 24 * time.Hour
	for i, at := range []time.Time{t0, t0.Add(time.Hour), t0.Add(2 * time.Hour)} {
		if !reserve(t, st, contact(fmt.Sprint("iv_", i), at), day, 3, 0) {
			t.Fatalf("contact %d refused", i+1)
		}
	}
	if reserve(t, st, contact("iv_3", t0.Add(3*time.Hour)), day, 3, 0) {
		t.Fatal("a fourth contact within a day fit a budget of 3 per day")
	}
	// Reserving again for an intervention that holds a place succeeds.
	if !reserve(t, st, contact("iv_1", t0.Add(3*time.Hour)), day, 3, 0) {
		t.Error("an intervention lost its own place")
	}
	// The period is (at-per, at]: the first contact leaves it at t0+24h.
	if reserve(t, st, contact("iv_3", t0.Add(day-time.Millisecond)), day, 3, 0) {
		t.Error("a contact fit before the first one left the period")
	}
	if !reserve(t, st, contact("iv_3", t0.Add(day)), day, 3, 0) {
		t.Error("a contact did not fit once the first one left the period")
	}
	// No limit without max or per.
	if !reserve(t, st, contact("iv_4", t0.Add(day)), 0, 0, 0) {
		t.Error("a contact without a budget was refused")
	}
	cs, err := st.Contacts(context.Background(), "cus_1", t0)
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 5 {
		t.Fatalf("%d contacts, want 5", len(cs))
	}
	if !cs[0].At.After(cs[len(cs)-1].At) {
		t.Errorf("contacts not newest first: %+v", cs)
	}
	if c := cs[len(cs)-1]; c != contact("iv_0", t0) {
		t.Errorf("oldest contact %+v, want %+v", c, contact("iv_0", t0))
	}
}

func TestReserveMinGapAndRelease(t *testing.T) {
	t.Parallel()
	st, _ := setup(t)
	ctx := context.Background()
	gap := 2 * time.Hour
	if !reserve(t, st, contact("iv_a", t0), 0, 0, gap) {
		t.Fatal("first contact refused")
	}
	if reserve(t, st, contact("iv_b", t0.Add(gap-time.Minute)), 0, 0, gap) {
		t.Fatal("a contact within the gap fit")
	}
	// The send of iv_a failed: its place is given back.
	if err := st.Release(ctx, "cus_1", contact("iv_a", t0)); err != nil {
		t.Fatal(err)
	}
	if !reserve(t, st, contact("iv_b", t0.Add(time.Minute)), 0, 0, gap) {
		t.Fatal("the released place was not free")
	}
	if !reserve(t, st, contact("iv_c", t0.Add(time.Minute+gap)), 0, 0, gap) {
		t.Fatal("a contact right after the gap was refused")
	}
	cs, _ := st.Contacts(ctx, "cus_1", t0.Add(-time.Hour))
	var ids []string
	for _, c := range cs {
		ids = append(ids, c.Intervention)
	}
	if !slices.Equal(ids, []string{"iv_c", "iv_b"}) {
		t.Errorf("contacts %v, want iv_c, iv_b", ids)
	}
	if cs, _ := st.Contacts(ctx, "cus_1", t0.Add(time.Hour)); len(cs) != 1 {
		t.Errorf("contacts since t0+1h: %+v, want iv_c", cs)
	}
}

// TestReserveConcurrent reserves from many goroutines at once, as workers
// do: never more than the budget allows.
func TestReserveConcurrent(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name string
		max  int
		gap  time.Duration
		want int
	}{
		{"max", 3, 0, 3},
		{"gap", 10, time.Hour, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			st, _ := setup(t)
			const n = 50
			var wg sync.WaitGroup
			oks := make([]bool, n)
			errs := make([]error, n)
			for i := range n {
				wg.Add(1)
				go func() {
					defer wg.Done()
					oks[i], errs[i] = st.Reserve(context.Background(), "cus_1", contact(fmt.Sprint("iv_", i), t0), 24*time.Hour, c.max, c.gap)
				}()
			}
			wg.Wait()
			got := 0
			for i := range n {
				if errs[i] != nil {
					t.Fatal(errs[i])
				}
				if oks[i] {
					got++
				}
			}
			cs, _ := st.Contacts(context.Background(), "cus_1", t0.Add(-time.Hour))
			if got != c.want || len(cs) != c.want {
				t.Errorf("%d reserved, %d contacts recorded, want %d", got, len(cs), c.want)
			}
		})
	}
}

func TestContactsForgetAfterNinetyDays(t *testing.T) {
	t.Parallel()
	st, _ := setup(t)
	reserve(t, st, contact("iv_old", t0), 0, 0, 0)
	reserve(t, st, contact("iv_new", t0.Add(91*24*time.Hour)), 0, 0, 0)
	cs, _ := st.Contacts(context.Background(), "cus_1", time.Time{})
	if len(cs) != 1 || cs[0].Intervention != "iv_new" {
		t.Errorf("contacts %+v, want the old one forgotten", cs)
	}
}

func TestEventsSince(t *testing.T) {
	t.Parallel()
	st, _ := setup(t)
	ctx := context.Background()
	for _, e := range []struct {
		typ, id string
		at      time.Duration
	}{
		{"invoice.question", "evt_0", -time.Minute},
		{"invoice.created", "evt_1", 0},
		{"invoice.question", "evt_2", time.Minute},
		{"invoice.paid", "evt_3", 2 * time.Minute},
		{"invoice.paid", "evt_3", 2 * time.Minute}, // noted twice by a retried route
	} {
		if err := st.NoteEvent(ctx, "cus_1", e.typ, e.id, t0.Add(e.at)); err != nil {
			t.Fatal(err)
		}
	}
	got, err := st.EventsSince(ctx, "cus_1", t0, "evt_1")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"invoice.question", "invoice.paid"}; !slices.Equal(got, want) {
		t.Errorf("events since t0: %v, want %v", got, want)
	}
	// At the same instant as since does not count; except leaves one out.
	got, _ = st.EventsSince(ctx, "cus_1", t0.Add(-time.Minute), "evt_3")
	if want := []string{"invoice.created", "invoice.question"}; !slices.Equal(got, want) {
		t.Errorf("events since t0-1m except evt_3: %v, want %v", got, want)
	}
	if got, _ := st.EventsSince(ctx, "cus_2", t0, ""); got == nil || len(got) != 0 {
		t.Errorf("another customer's events: %#v, want an empty list", got)
	}
	// Events older than 90 days are forgotten.
	if err := st.NoteEvent(ctx, "cus_1", "late", "evt_9", t0.Add(91*24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got, _ := st.EventsSince(ctx, "cus_1", time.Time{}, ""); !slices.Equal(got, []string{"late"}) {
		t.Errorf("after 91 days: %v, want only the new event", got)
	}
}

func TestEnter(t *testing.T) {
	t.Parallel()
	st, _ := setup(t)
	ctx := context.Background()
	enter := func(key, event string, at time.Time, reentry time.Duration) time.Time {
		t.Helper()
		prev, err := st.EnterAll(ctx, []store.Entering{{Customer: "cus_1", Key: key, Event: event, At: at, Reentry: reentry}})
		if err != nil {
			t.Fatal(err)
		}
		return prev[0]
	}
	month := 30 * 24 * time.Hour
	if prev := enter("welcome", "evt_1", t0, month); !prev.IsZero() {
		t.Fatalf("first entry blocked by %v", prev)
	}
	if prev := enter("welcome", "evt_2", t0.Add(24*time.Hour), month); !prev.Equal(t0) {
		t.Errorf("second entry within 30 days: blocked by %v, want %v", prev, t0)
	}
	if prev := enter("welcome", "evt_1", t0.Add(25*time.Hour), month); !prev.IsZero() {
		t.Errorf("the same event again (a retried route) was blocked by %v", prev)
	}
	if prev := enter("welcome|sub_2", "evt_2", t0.Add(time.Hour), 0); !prev.IsZero() {
		t.Errorf("another key was blocked by %v", prev)
	}
	if prev := enter("welcome", "evt_3", t0.Add(month), month); !prev.IsZero() {
		t.Errorf("entry after 30 days blocked by %v", prev)
	}
	// The new entry counts from now on.
	if prev := enter("welcome", "evt_4", t0.Add(month+time.Hour), month); !prev.Equal(t0.Add(month)) {
		t.Errorf("entry after the re-entry: blocked by %v, want %v", prev, t0.Add(month))
	}
	// Without reentry_after, any entry blocks for good.
	if prev := enter("welcome|sub_2", "evt_5", t0.Add(400*24*time.Hour), 0); !prev.Equal(t0.Add(time.Hour)) {
		t.Errorf("once per subject: blocked by %v, want %v", prev, t0.Add(time.Hour))
	}
}

func TestDebounceSlot(t *testing.T) {
	t.Parallel()
	st, _ := setup(t)
	ctx := context.Background()
	a := newIV("cus_1", "iv_a", t0.Add(15*time.Minute))
	b := newIV("cus_1", "iv_b", t0.Add(30*time.Minute))
	schedule(t, st, a, b)
	note := func(id string, at time.Time) {
		t.Helper()
		if err := st.NoteEvent(ctx, "cus_1", "order.status", id, at); err != nil {
			t.Fatal(err)
		}
	}
	debounce := func(id, event string) string {
		t.Helper()
		joined, err := st.Debounce(ctx, "cus_1", "status|update|ord_1", id, event, "order.status")
		if err != nil {
			t.Fatal(err)
		}
		return joined
	}
	note("evt_1", t0)
	if got := debounce("iv_a", "evt_1"); got != "" {
		t.Fatalf("first event joined %q, want a free slot", got)
	}
	// The same event again (a retried route) finds its own intervention.
	if got := debounce("iv_a", "evt_1"); got != "iv_a" {
		t.Errorf("retried first event joined %q, want iv_a", got)
	}
	note("evt_3", t0.Add(2*time.Minute))
	note("evt_2", t0.Add(time.Minute))
	if got := debounce("iv_x", "evt_3"); got != "iv_a" {
		t.Fatalf("second event joined %q, want iv_a", got)
	}
	// evt_2 happened before evt_3 but is routed after it: iv_a keeps evt_3.
	if got := debounce("iv_y", "evt_2"); got != "iv_a" {
		t.Fatalf("third event joined %q, want iv_a", got)
	}
	iv, _ := st.Intervention(ctx, "cus_1", "iv_a")
	if iv.EventID != "evt_3" || iv.EventType != "order.status" {
		t.Errorf("iv_a carries %s (%s), want evt_3, the newest", iv.EventID, iv.EventType)
	}
	// Once iv_a is on its way, the next event takes the slot.
	if _, ok, err := st.Begin(ctx, "cus_1", "iv_a"); err != nil || !ok {
		t.Fatal(ok, err)
	}
	note("evt_4", t0.Add(20*time.Minute))
	if got := debounce("iv_b", "evt_4"); got != "" {
		t.Errorf("event after the send joined %q, want a free slot", got)
	}
	note("evt_5", t0.Add(21*time.Minute))
	if got := debounce("iv_z", "evt_5"); got != "iv_b" {
		t.Errorf("next event joined %q, want iv_b", got)
	}
	// Another subject has its own slot.
	if got, _ := st.Debounce(ctx, "cus_1", "status|update|ord_2", "iv_c", "evt_6", "order.status"); got != "" {
		t.Errorf("another subject joined %q", got)
	}
}

func TestFlowSource(t *testing.T) {
	t.Parallel()
	st, _ := setup(t)
	ctx := context.Background()
	if _, err := st.FlowSource(ctx, "0123456789abcdef"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown version: %v, want ErrNotFound", err)
	}
	if err := st.KeepFlowSource(ctx, "0123456789abcdef", []byte("flow: a\n")); err != nil {
		t.Fatal(err)
	}
	// A version is content-addressed: it is stored once.
	if err := st.KeepFlowSource(ctx, "0123456789abcdef", []byte("flow: b\n")); err != nil {
		t.Fatal(err)
	}
	src, err := st.FlowSource(ctx, "0123456789abcdef")
	if err != nil || string(src) != "flow: a\n" {
		t.Errorf("source %q (%v), want the first one kept", src, err)
	}
}
