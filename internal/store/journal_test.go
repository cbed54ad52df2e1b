package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aheadhq/ahead/internal/store"
)

func TestTimelineNewestFirst(t *testing.T) {
	t.Parallel()
	st, _ := setup(t)
	ctx := context.Background()
	if err := st.Journal(ctx, "cus_1", store.Entry{At: t0, Kind: store.KindEvent, EventID: "evt_1"}); err != nil {
		t.Fatal(err)
	}
	if err := st.Journal(ctx, "cus_1",
		store.Entry{At: t0.Add(time.Minute), Kind: store.KindEvent, EventID: "evt_2"},
		store.Entry{At: t0.Add(2 * time.Minute), Kind: store.KindEvent, EventID: "evt_3"},
	); err != nil {
		t.Fatal(err)
	}
	if err := st.Journal(ctx, "cus_2", store.Entry{At: t0, Kind: store.KindEvent, EventID: "evt_other"}); err != nil {
		t.Fatal(err)
	}
	got, err := st.Timeline(ctx, "cus_1", 0)
	if err != nil {
		t.Fatal(err)
	}
	if ids := eventIDs(got); fmt.Sprint(ids) != "[evt_3 evt_2 evt_1]" {
		t.Fatalf("timeline = %v, want newest first", ids)
	}
	if !got[0].At.Equal(t0.Add(2 * time.Minute)) {
		t.Fatalf("At = %v", got[0].At)
	}
	got, err = st.Timeline(ctx, "cus_1", 2)
	if err != nil {
		t.Fatal(err)
	}
	if ids := eventIDs(got); fmt.Sprint(ids) != "[evt_3 evt_2]" {
		t.Fatalf("timeline limit 2 = %v", ids)
	}
	got, err = st.Timeline(ctx, "cus_unknown", 10)
	if err != nil {
		t.Fatal(err)
	}
	if got == nil || len(got) != 0 {
		t.Fatalf("timeline of an unknown customer = %#v, want empty", got)
	}
}

func TestJournalCap(t *testing.T) {
	t.Parallel()
	st, _ := setup(t)
	ctx := context.Background()
	const extra = 7
	entries := make([]store.Entry, store.JournalCap+extra)
	for i := range entries {
		entries[i] = store.Entry{At: t0, Kind: store.KindEvent, EventID: fmt.Sprint("evt_", i)}
	}
	// Half in one call, then one by one, so both paths trim.
	half := len(entries) / 2
	if err := st.Journal(ctx, "cus_1", entries[:half]...); err != nil {
		t.Fatal(err)
	}
	for _, e := range entries[half:] {
		if err := st.Journal(ctx, "cus_1", e); err != nil {
			t.Fatal(err)
		}
	}
	got, err := st.Timeline(ctx, "cus_1", store.JournalCap+100)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != store.JournalCap {
		t.Fatalf("%d entries kept, want %d", len(got), store.JournalCap)
	}
	if got[0].EventID != entries[len(entries)-1].EventID {
		t.Errorf("newest = %s, want %s", got[0].EventID, entries[len(entries)-1].EventID)
	}
	if last := got[len(got)-1].EventID; last != entries[extra].EventID {
		t.Errorf("oldest kept = %s, want %s", last, entries[extra].EventID)
	}
}

func eventIDs(es []store.Entry) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.EventID
	}
	return out
}

// An intervention's journal entries are stored without what its record
// holds (flow, version, step, run, subject), and the timeline shows them
// whole; an entry written whole, as earlier versions did, reads the same.
func TestTimelineFillsInInterventions(t *testing.T) {
	t.Parallel()
	st, rdb := setup(t)
	ctx := context.Background()
	iv := newIV("cus_1", "iv_a", t0)
	schedule(t, st, iv)
	e := entryOf(iv)
	e.Version, e.Subject, e.EventType = iv.Version, iv.Subject, iv.EventType
	iv.State = store.Sending
	if err := st.Update(ctx, iv); err != nil {
		t.Fatal(err)
	}
	sent := e
	sent.State, sent.At, sent.Channel = store.Sent, t0.Add(time.Minute), "email"
	iv.State = store.Sent
	if err := st.Update(ctx, iv, sent); err != nil {
		t.Fatal(err)
	}
	old := e
	old.State, old.At, old.Reason = "retrying", t0.Add(2*time.Minute), "written whole"
	b, _ := json.Marshal(old)
	rdb.LPush(ctx, "ahead:{cus_1}:journal", b)

	raw, _ := rdb.LRange(ctx, "ahead:{cus_1}:journal", 1, 1).Result()
	for _, f := range []string{`"flow"`, `"flow_version"`, `"step"`, `"run"`, `"subject"`} {
		if strings.Contains(raw[0], f) {
			t.Errorf("stored entry holds %s: %s", f, raw[0])
		}
	}
	got, err := st.Timeline(ctx, "cus_1", 0)
	if err != nil || len(got) != 3 {
		t.Fatalf("timeline %+v, %v", got, err)
	}
	for _, g := range got {
		if g.Flow != "welcome" || g.Version != "abc123" || g.Step != "day2" || g.Run != "run_1" || g.Subject != "sub_1" || g.EventID != "evt_1" {
			t.Errorf("%s entry %+v, want it whole", g.State, g)
		}
	}
}

// An entry written with Once is left out when the customer's journal holds
// the same already: the same kind, state, event, intervention, flow and
// step. Anything that differs is written, and so is every entry without
// Once.
func TestJournalOnce(t *testing.T) {
	t.Parallel()
	st, _ := setup(t)
	ctx := context.Background()
	notStarted := store.Entry{At: t0, Kind: store.KindEvent, State: "not_started", EventID: "evt_1", Flow: "welcome", Once: true}
	if err := st.Journal(ctx, "cus_1", notStarted); err != nil {
		t.Fatal(err)
	}
	later := notStarted
	later.At, later.Reason = t0.Add(time.Minute), "a later reason"
	otherFlow := notStarted
	otherFlow.Flow = "invoice"
	otherEvent := notStarted
	otherEvent.EventID = "evt_10"
	plain := notStarted
	plain.Once = false
	if err := st.Journal(ctx, "cus_1", later, otherFlow, otherEvent, plain); err != nil {
		t.Fatal(err)
	}
	if err := st.Journal(ctx, "cus_2", later); err != nil {
		t.Fatal(err)
	}
	received := store.Entry{At: t0, Kind: store.KindEvent, State: "received", EventID: "evt_2", Once: true}
	if err := st.Journal(ctx, "cus_1", received, received); err != nil {
		t.Fatal(err)
	}
	if err := st.Journal(ctx, "cus_1", received); err != nil {
		t.Fatal(err)
	}
	got, err := st.Timeline(ctx, "cus_1", 0)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, e := range got {
		lines = append(lines, e.State+" "+e.EventID+" "+e.Flow)
	}
	// Newest first. The two received entries of one call are written
	// together: Once looks at what was there before.
	want := "received evt_2 |received evt_2 |not_started evt_1 welcome|not_started evt_10 welcome|not_started evt_1 invoice|not_started evt_1 welcome"
	if strings.Join(lines, "|") != want {
		t.Errorf("journal:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.ReplaceAll(want, "|", "\n"))
	}
	if other, _ := st.Timeline(ctx, "cus_2", 0); len(other) != 1 {
		t.Errorf("another customer's journal: %+v, want the entry", other)
	}
}
