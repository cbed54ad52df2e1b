package store_test

import (
	"context"
	"fmt"
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
