package store_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/aheadhq/ahead/internal/store"
)

// note records events of cus as routing does; those with a body are
// stored too.
func note(t *testing.T, st *store.Store, cus string, evs ...store.Recent) {
	t.Helper()
	ctx := context.Background()
	var noted []store.Noted
	var refs []store.EventRef
	for _, e := range evs {
		noted = append(noted, store.Noted{Customer: cus, Type: e.Type, ID: e.ID, At: e.At})
		if e.Event != nil {
			refs = append(refs, store.EventRef{Customer: cus, ID: e.ID, JSON: e.Event})
		}
	}
	if err := st.NoteEvents(ctx, noted); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Accept(ctx, refs, time.Hour); err != nil {
		t.Fatal(err)
	}
}

func ids(rs []store.Recent) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.ID)
	}
	return out
}

func TestHistory(t *testing.T) {
	t.Parallel()
	st, _ := setup(t)
	ctx := context.Background()
	body := func(id string) []byte { return []byte(fmt.Sprintf(`{"id":%q,"data":{"topic":"invoice"}}`, id)) }
	note(t, st, "cus_1",
		store.Recent{ID: "b2", Type: "support.contact", At: t0.Add(-8 * 24 * time.Hour), Event: body("b2")},
		store.Recent{ID: "b1", Type: "support.contact", At: t0.Add(-2 * 24 * time.Hour), Event: body("b1")},
		store.Recent{ID: "c1", Type: "complaint.filed", At: t0.Add(-time.Hour)},
		store.Recent{ID: "trigger", Type: "order.shipped", At: t0, Event: body("trigger")},
		store.Recent{ID: "s1", Type: "support.contact", At: t0.Add(time.Hour), Event: body("s1")},
		store.Recent{ID: "s2", Type: "order.delivered", At: t0.Add(2 * time.Hour)},
	)
	got, err := st.History(ctx, "cus_1", []store.HistoryQuery{
		{After: t0, Except: "trigger"},
		{From: t0.Add(-7 * 24 * time.Hour), Before: t0, Types: []string{"support.contact"}, Except: "trigger"},
		{Before: t0, Except: "trigger"},
		{Before: t0.Add(3 * time.Hour), Limit: 2},
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range [][]string{{"s2", "s1"}, {"b1"}, {"c1", "b1", "b2"}, {"s2", "s1"}} {
		if !slices.Equal(ids(got[i]), want) {
			t.Errorf("query %d: %v, want %v (newest first)", i, ids(got[i]), want)
		}
	}
	s1 := got[0][1]
	if s1.Type != "support.contact" || !s1.At.Equal(t0.Add(time.Hour)) || string(s1.Event) != string(body("s1")) {
		t.Errorf("s1: %+v", s1)
	}
	if got[0][0].Event != nil {
		t.Errorf("s2 is not stored, yet has a body: %s", got[0][0].Event)
	}
	if none, err := st.History(ctx, "cus_2", []store.HistoryQuery{{}}); err != nil || len(none[0]) != 0 {
		t.Errorf("another customer: %v %v", none, err)
	}
}

// A customer's history is read up to the newest MaxHistory events.
func TestHistoryBounded(t *testing.T) {
	t.Parallel()
	st, _ := setup(t)
	ctx := context.Background()
	var evs []store.Recent
	for i := range store.MaxHistory + 20 {
		evs = append(evs, store.Recent{ID: fmt.Sprint("e", i), Type: "page.viewed", At: t0.Add(time.Duration(i+1) * time.Minute)})
	}
	evs = append(evs, store.Recent{ID: "old", Type: "support.contact", At: t0.Add(-time.Hour)})
	note(t, st, "cus_1", evs...)
	got, err := st.History(ctx, "cus_1", []store.HistoryQuery{{After: t0}, {Types: []string{"support.contact"}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(got[0]) != store.MaxHistory || got[0][0].ID != fmt.Sprint("e", store.MaxHistory+19) {
		t.Errorf("%d events, newest %s; want the newest %d", len(got[0]), got[0][0].ID, store.MaxHistory)
	}
	// A type filter looks past the events of other types.
	if !slices.Equal(ids(got[1]), []string{"old"}) {
		t.Errorf("support.contact: %v", ids(got[1]))
	}
	types, err := st.EventsSince(ctx, "cus_1", t0, "e119")
	if err != nil {
		t.Fatal(err)
	}
	if len(types) != store.MaxHistory {
		t.Errorf("EventsSince: %d types, want the newest %d", len(types), store.MaxHistory)
	}
}
