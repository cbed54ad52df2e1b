package store_test

import (
	"context"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/aheadhq/ahead/internal/store"
)

// The "scheduled" and "received" entries are not journaled: the timeline
// makes them from the intervention's record and the event's receipt, the
// same as the entries that were written before, and they stay as they
// were when the intervention moves on or debounce hands it a newer event.
func TestTimelineFromState(t *testing.T) {
	t.Parallel()
	st, rdb := setup(t)
	ctx := context.Background()
	at := t0.Add(1234567 * time.Nanosecond)
	ev := `{"id":"evt_1","type":"subscription.created","customer_id":"cus_1","subject":"sub_1","received_ns":` +
		itoa(at.UnixNano()) + `,"via":"raised by ahead"}`
	if _, err := st.Accept(ctx, []store.EventRef{{Customer: "cus_1", ID: "evt_1", JSON: []byte(ev)}}, time.Hour); err != nil {
		t.Fatal(err)
	}
	iv := newIV("cus_1", "iv_a", t0.Add(48*time.Hour))
	iv.Reason, iv.Arm = "after 2d: 2026-11-25 10:00 CET", "treatment"
	due := iv.Due
	want := store.Entry{
		At: at, Kind: store.KindIntervention, State: store.Scheduled, EventID: "evt_1", EventType: "subscription.created",
		Subject: "sub_1", Flow: "welcome", Version: "abc123", Step: "day2", Run: "run_1", Intervention: "iv_a",
		Due: &due, Reason: iv.Reason, Cause: "after",
		Details: map[string]string{"arm": "treatment", "due_local": "2026-11-25T10:00:00+01:00", "timezone": "Europe/Amsterdam"},
	}
	if _, err := st.Schedule(ctx, []*store.Intervention{iv}, []store.Entry{want}); err != nil {
		t.Fatal(err)
	}
	if n, _ := rdb.LLen(ctx, "ahead:{cus_1}:journal").Result(); n != 0 {
		t.Errorf("the journal holds %d entries, want none", n)
	}
	received := store.Entry{At: at, Kind: store.KindEvent, State: "received", EventID: "evt_1",
		EventType: "subscription.created", Subject: "sub_1", Reason: "raised by ahead"}
	check := func(when string) {
		t.Helper()
		tl, err := st.Timeline(ctx, "cus_1", 0)
		if err != nil {
			t.Fatal(err)
		}
		var got []store.Entry
		for _, e := range tl {
			if e.State == store.Scheduled || e.State == "received" {
				got = append(got, e)
			}
		}
		if !reflect.DeepEqual(got, []store.Entry{want, received}) {
			t.Errorf("%s: timeline\n got %+v\nwant %+v", when, got, []store.Entry{want, received})
		}
	}
	check("scheduled")
	if got, _ := st.Intervention(ctx, "cus_1", "iv_a"); got.Reason != iv.Reason {
		t.Errorf("reason %q, want the plan's %q", got.Reason, iv.Reason)
	}

	// Debounce hands the step a newer event; its plan names the first.
	if err := st.NoteEvents(ctx, []store.Noted{{Customer: "cus_1", Type: "subscription.created", ID: "evt_1", At: t0},
		{Customer: "cus_1", Type: "subscription.changed", ID: "evt_2", At: t0.Add(time.Minute)}}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Debounce(ctx, "cus_1", "welcome|day2|", "iv_a", "evt_1", "subscription.created"); err != nil {
		t.Fatal(err)
	}
	if j, err := st.Debounce(ctx, "cus_1", "welcome|day2|", "iv_x", "evt_2", "subscription.changed"); err != nil || j != "iv_a" {
		t.Fatalf("debounce joined %q (%v), want iv_a", j, err)
	}
	if got, _ := st.Intervention(ctx, "cus_1", "iv_a"); got.EventID != "evt_2" {
		t.Fatalf("debounced intervention carries %s, want evt_2", got.EventID)
	}
	check("debounced")

	// Sent: the intervention's reason moves on, the plan stays.
	got, _ := st.Intervention(ctx, "cus_1", "iv_a")
	got.State, got.Reason = store.Sent, "sent by email"
	if err := st.Update(ctx, got); err != nil {
		t.Fatal(err)
	}
	check("sent")
	if got, _ := st.Intervention(ctx, "cus_1", "iv_a"); got.Reason != "sent by email" {
		t.Errorf("reason %q after sending", got.Reason)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
