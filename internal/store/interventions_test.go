package store_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aheadhq/ahead/internal/store"
)

// newIV returns a scheduled intervention of customer cus.
func newIV(cus, id string, due time.Time) *store.Intervention {
	return &store.Intervention{
		ID: id, Customer: cus, Run: "run_1", Flow: "welcome", Version: "abc123", Step: "day2",
		EventID: "evt_1", EventType: "subscription.created", Subject: "sub_1",
		Channels: []string{"email", "sms"}, Due: due, TaskQueue: "steps-0", State: store.Scheduled,
	}
}

// entryOf is the journal entry that schedules iv.
func entryOf(iv *store.Intervention) store.Entry {
	due := iv.Due
	return store.Entry{
		At: t0, Kind: store.KindIntervention, State: iv.State, EventID: iv.EventID, Flow: iv.Flow,
		Step: iv.Step, Run: iv.Run, Intervention: iv.ID, Due: &due, Reason: iv.Reason,
	}
}

func schedule(t *testing.T, st *store.Store, ivs ...*store.Intervention) []string {
	t.Helper()
	entries := make([]store.Entry, len(ivs))
	for i, iv := range ivs {
		entries[i] = entryOf(iv)
	}
	states, err := st.Schedule(context.Background(), ivs, entries)
	if err != nil {
		t.Fatal(err)
	}
	return states
}

func TestScheduleCreatesOnce(t *testing.T) {
	t.Parallel()
	st, _ := setup(t)
	ctx := context.Background()
	a := newIV("cus_1", "iv_a", t0.Add(48*time.Hour))
	b := newIV("cus_1", "iv_b", t0.Add(-48*time.Hour))
	b.State, b.Reason = store.Skipped, "too late"
	if got := schedule(t, st, a, b); fmt.Sprint(got) != "[created created]" {
		t.Fatalf("states = %v", got)
	}
	// The same plan again, say from a retried route task.
	again := newIV("cus_1", "iv_a", t0.Add(99*time.Hour))
	if got := schedule(t, st, again, b); fmt.Sprint(got) != "[scheduled skipped]" {
		t.Fatalf("states on the second call = %v", got)
	}
	entries, err := st.Timeline(ctx, "cus_1", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2 {
		t.Fatalf("%d journal entries, want 2 (one per intervention)", len(entries))
	}
	got, err := st.Intervention(ctx, "cus_1", "iv_a")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, a) {
		t.Fatalf("stored intervention\n got %+v\nwant %+v", got, a)
	}
	pending, err := st.PendingOf(ctx, "cus_1")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]store.Pending{"iv_a": {Flow: "welcome", Step: "day2", Subject: "sub_1", TaskQueue: "steps-0", TaskID: "iv_a"}}
	if !reflect.DeepEqual(pending, want) {
		t.Fatalf("pending = %+v, want %+v (a skipped one is not pending)", pending, want)
	}
	all, err := st.Interventions(ctx, "cus_1")
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 2 {
		t.Fatalf("Interventions = %d, want 2", len(all))
	}
	if _, err := st.Intervention(ctx, "cus_1", "iv_missing"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing intervention: err = %v", err)
	}

	// Customers mixed in one call, old and new interventions mixed for
	// one customer: each gets its own answer, and the journal its entries
	// in order.
	c, d, e := newIV("cus_1", "iv_c", t0), newIV("cus_2", "iv_d", t0), newIV("cus_1", "iv_e", t0)
	if got := schedule(t, st, c, again, d, e); fmt.Sprint(got) != "[created scheduled created created]" {
		t.Fatalf("mixed states = %v", got)
	}
	// All four were planned at t0: the journal's entry (iv_b, skipped)
	// comes first, then those made from the records, the latest due first,
	// then by id.
	entries, _ = st.Timeline(ctx, "cus_1", 0)
	var order []string
	for _, e := range entries {
		order = append(order, e.Intervention+":"+e.State)
	}
	if fmt.Sprint(order) != "[iv_b:skipped iv_a:scheduled iv_e:scheduled iv_c:scheduled]" {
		t.Fatalf("timeline after the mixed call: %v", order)
	}
	if p, _ := st.PendingOf(ctx, "cus_2"); len(p) != 1 {
		t.Fatalf("cus_2 pending = %v", p)
	}
}

func TestBeginUpdateCancel(t *testing.T) {
	t.Parallel()
	st, _ := setup(t)
	ctx := context.Background()
	a := newIV("cus_1", "iv_a", t0)
	b := newIV("cus_1", "iv_b", t0)
	schedule(t, st, a, b)

	if _, _, err := st.Begin(ctx, "cus_1", "iv_missing"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Begin on a missing intervention: err = %v", err)
	}
	iv, ok, err := st.Begin(ctx, "cus_1", "iv_a")
	if err != nil || !ok {
		t.Fatalf("Begin on scheduled = %v, %v", ok, err)
	}
	if iv.State != store.Sending || iv.Attempts != 1 {
		t.Fatalf("after Begin: state %s attempts %d", iv.State, iv.Attempts)
	}
	// A retry after a crash finds it sending and may go on.
	iv, ok, err = st.Begin(ctx, "cus_1", "iv_a")
	if err != nil || !ok || iv.Attempts != 2 {
		t.Fatalf("Begin on sending = %v, %v, attempts %d", ok, err, iv.Attempts)
	}

	pending, _ := st.PendingOf(ctx, "cus_1")
	done, err := st.Cancel(ctx, "cus_1", []string{"iv_a", "iv_b"}, pending, store.Entry{At: t0, Reason: "subscription cancelled"})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(done) != "[iv_b]" {
		t.Fatalf("cancelled %v, want [iv_b] (iv_a is being sent)", done)
	}
	if got := state(t, st, "iv_a"); got != store.Sending {
		t.Fatalf("iv_a is %s after a cancel, want sending", got)
	}
	cb, _ := st.Intervention(ctx, "cus_1", "iv_b")
	if cb.State != store.Cancelled || cb.Reason != "subscription cancelled" {
		t.Fatalf("iv_b: %s (%s)", cb.State, cb.Reason)
	}
	if _, ok, err := st.Begin(ctx, "cus_1", "iv_b"); ok || err != nil {
		t.Fatalf("Begin on cancelled = %v, %v; want not ok", ok, err)
	}
	pending, _ = st.PendingOf(ctx, "cus_1")
	if _, in := pending["iv_b"]; in {
		t.Fatal("a cancelled intervention is still pending")
	}
	if _, in := pending["iv_a"]; !in {
		t.Fatal("an intervention being sent dropped out of the pending index")
	}

	// Being sent when the cancel came, it goes out: it was sent before the cancel.
	iv.State, iv.Channel, iv.ProviderID, iv.Next = store.Sent, "sms", "SM123", 1
	if err := st.Update(ctx, iv, store.Entry{At: t0, Kind: store.KindIntervention, State: store.Sent, Intervention: "iv_a"}); err != nil {
		t.Fatal(err)
	}
	got, _ := st.Intervention(ctx, "cus_1", "iv_a")
	if got.State != store.Sent || got.Channel != "sms" || got.ProviderID != "SM123" || got.Next != 1 || got.Attempts != 2 {
		t.Fatalf("after sent: %+v", got)
	}
	pending, _ = st.PendingOf(ctx, "cus_1")
	if len(pending) != 0 {
		t.Fatalf("pending after sent = %v", pending)
	}
	if _, ok, _ := st.Begin(ctx, "cus_1", "iv_a"); ok {
		t.Fatal("Begin on sent is ok")
	}
	if done, _ := st.Cancel(ctx, "cus_1", []string{"iv_a"}, nil, store.Entry{At: t0}); len(done) != 0 {
		t.Fatal("a sent intervention was cancelled")
	}
	entries, _ := st.Timeline(ctx, "cus_1", 0)
	var states []string
	for _, e := range entries {
		states = append(states, e.Intervention+":"+e.State)
	}
	if want := "[iv_a:sent iv_b:cancelled iv_b:scheduled iv_a:scheduled]"; fmt.Sprint(states) != want {
		t.Fatalf("journal = %v\nwant %s", states, want)
	}
	if entries[1].Flow != "welcome" || entries[1].Step != "day2" || entries[1].Reason != "subscription cancelled" {
		t.Fatalf("cancel entry = %+v", entries[1])
	}
}

// A cancel that comes while a step is being sent holds when the step does
// not go out after all (a transient failure, a deferral).
func TestCancelWhileSendingHolds(t *testing.T) {
	t.Parallel()
	st, _ := setup(t)
	ctx := context.Background()
	schedule(t, st, newIV("cus_1", "iv_a", t0))
	iv, ok, err := st.Begin(ctx, "cus_1", "iv_a")
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	pending, _ := st.PendingOf(ctx, "cus_1")
	if done, _ := st.Cancel(ctx, "cus_1", []string{"iv_a"}, pending, store.Entry{At: t0, Reason: "paid"}); len(done) != 0 {
		t.Fatalf("cancelled %v while sending", done)
	}
	iv.State, iv.Code = store.Scheduled, "421"
	err = st.Update(ctx, iv, store.Entry{At: t0, Kind: store.KindIntervention, State: "retrying", Intervention: "iv_a"})
	if !errors.Is(err, store.ErrCancelled) {
		t.Fatalf("Update to scheduled after a cancel: err = %v, want ErrCancelled", err)
	}
	got, _ := st.Intervention(ctx, "cus_1", "iv_a")
	if got.State != store.Cancelled || got.Reason != "paid" {
		t.Fatalf("after the retry: %s (%s), want cancelled (paid)", got.State, got.Reason)
	}
	if pending, _ := st.PendingOf(ctx, "cus_1"); len(pending) != 0 {
		t.Fatalf("pending = %v", pending)
	}
	entries, _ := st.Timeline(ctx, "cus_1", 0)
	if entries[0].State != store.Cancelled || entries[0].Reason != "paid" {
		t.Fatalf("newest entry = %+v, want the cancel", entries[0])
	}
	if _, ok, _ := st.Begin(ctx, "cus_1", "iv_a"); ok {
		t.Fatal("Begin on a cancelled intervention is ok")
	}
}

// An update never takes an intervention out of a final state, and never
// brings back an erased one.
func TestUpdateGuards(t *testing.T) {
	t.Parallel()
	st, rdb := setup(t)
	ctx := context.Background()
	a := newIV("cus_1", "iv_a", t0)
	schedule(t, st, a)
	pending, _ := st.PendingOf(ctx, "cus_1")
	if done, _ := st.Cancel(ctx, "cus_1", []string{"iv_a"}, pending, store.Entry{At: t0, Reason: "stop"}); len(done) != 1 {
		t.Fatal("not cancelled")
	}
	late := newIV("cus_1", "iv_a", t0)
	late.State = store.Sent
	err := st.Update(ctx, late, store.Entry{At: t0, Kind: store.KindIntervention, State: store.Sent, Intervention: "iv_a"})
	if !errors.Is(err, store.ErrEnded) {
		t.Fatalf("Update of a cancelled intervention: err = %v, want ErrEnded", err)
	}
	if got := state(t, st, "iv_a"); got != store.Cancelled {
		t.Fatalf("state = %s, want cancelled", got)
	}
	entries, _ := st.Timeline(ctx, "cus_1", 0)
	for _, e := range entries {
		if e.State == store.Sent {
			t.Fatal("journal says sent for a cancelled intervention")
		}
	}

	b := newIV("cus_2", "iv_b", t0)
	schedule(t, st, b)
	iv, ok, err := st.Begin(ctx, "cus_2", "iv_b")
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	if err := st.Erase(ctx, "cus_2"); err != nil {
		t.Fatal(err)
	}
	iv.State = store.Sent
	err = st.Update(ctx, iv, store.Entry{At: t0, Kind: store.KindIntervention, State: store.Sent, Intervention: "iv_b"})
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Update of an erased intervention: err = %v, want ErrNotFound", err)
	}
	if keys := rdb.Keys(ctx, "*cus_2*").Val(); len(keys) != 0 {
		t.Fatalf("Update brought back keys of an erased customer: %v", keys)
	}
}

// TestBeginCancelRace runs a send and a cancel of the same intervention at
// the same time, many times: exactly one of them wins every time.
func TestBeginCancelRace(t *testing.T) {
	t.Parallel()
	st, _ := setup(t)
	ctx := context.Background()
	const rounds = 200
	var sent, cancelled int
	for i := range rounds {
		id := fmt.Sprint("iv_", i)
		schedule(t, st, newIV("cus_1", id, t0))
		pending := map[string]store.Pending{id: {Flow: "welcome", Step: "day2", TaskQueue: "steps-0"}}
		var (
			wg      sync.WaitGroup
			start   = make(chan struct{})
			ok      bool
			done    []string
			sendErr error
			stopErr error
		)
		wg.Add(2)
		go func() {
			defer wg.Done()
			<-start
			var iv *store.Intervention
			iv, ok, sendErr = st.Begin(ctx, "cus_1", id)
			if sendErr != nil || !ok {
				return
			}
			iv.State = store.Sent
			sendErr = st.Update(ctx, iv, store.Entry{At: t0, Kind: store.KindIntervention, State: store.Sent, Intervention: id})
		}()
		go func() {
			defer wg.Done()
			<-start
			done, stopErr = st.Cancel(ctx, "cus_1", []string{id}, pending, store.Entry{At: t0, Reason: "race"})
		}()
		close(start)
		wg.Wait()
		if sendErr != nil || stopErr != nil {
			t.Fatalf("round %d: send %v, cancel %v", i, sendErr, stopErr)
		}
		wasCancelled := len(done) == 1
		if ok == wasCancelled {
			t.Fatalf("round %d: begin ok %v, cancelled %v; want exactly one", i, ok, wasCancelled)
		}
		want := store.Sent
		if wasCancelled {
			want = store.Cancelled
			cancelled++
		} else {
			sent++
		}
		if got := state(t, st, id); got != want {
			t.Fatalf("round %d: state %s, want %s", i, got, want)
		}
	}
	entries, err := st.Timeline(ctx, "cus_1", 0)
	if err != nil {
		t.Fatal(err)
	}
	ends := map[string][]string{}
	for _, e := range entries {
		if e.State == store.Sent || e.State == store.Cancelled {
			ends[e.Intervention] = append(ends[e.Intervention], e.State)
		}
	}
	for id, s := range ends {
		if len(s) != 1 {
			t.Errorf("%s journaled %v; want one end state", id, s)
		}
	}
	if len(ends) != rounds {
		t.Errorf("%d interventions journaled an end state, want %d", len(ends), rounds)
	}
	if pending, _ := st.PendingOf(ctx, "cus_1"); len(pending) != 0 {
		t.Errorf("%d interventions still pending", len(pending))
	}
	t.Logf("%d sent, %d cancelled", sent, cancelled)
}

func state(t *testing.T, st *store.Store, id string) string {
	t.Helper()
	iv, err := st.Intervention(context.Background(), "cus_1", id)
	if err != nil {
		t.Fatal(err)
	}
	return iv.State
}

// Start claims like Begin and reads the step's state with the claim; a
// trigger that changed, a step that may not be sent and a Redis that lost
// its scripts leave the state to LoadStep.
func TestStart(t *testing.T) {
	t.Parallel()
	st, rdb := setup(t)
	ctx := context.Background()
	a := newIV("cus_1", "iv_a", t0)
	b := newIV("cus_1", "iv_b", t0)
	c := newIV("cus_1", "iv_c", t0)
	schedule(t, st, a, b, c)
	if _, err := st.Accept(ctx, []store.EventRef{{Customer: "cus_1", ID: "evt_1", JSON: []byte(`{"id":"evt_1"}`)}}, time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := st.UpsertProfile(ctx, "cus_1", store.Profile{"name": "Anna"}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Reserve(ctx, "cus_1", store.Contact{Intervention: "iv_x", At: t0.Add(-time.Hour), Channel: "email", Flow: "welcome", Step: "day1"}, 0, 0, 0); err != nil {
		t.Fatal(err)
	}

	// Begin loads the script, so that Start claims in its pipeline.
	if _, _, err := st.Begin(ctx, "cus_1", "iv_missing"); !errors.Is(err, store.ErrNotFound) {
		t.Fatal(err)
	}
	if err := st.NoteEvents(ctx, []store.Noted{
		{Customer: "cus_1", Type: "subscription.created", ID: "evt_1", At: t0.Add(-2 * time.Hour)},
		{Customer: "cus_1", Type: "subscription.paused", ID: "evt_2", At: t0.Add(-time.Hour)},
	}); err != nil {
		t.Fatal(err)
	}
	iv, ok, state, err := st.Start(ctx, "cus_1", "iv_a", "evt_1", t0.Add(-2*time.Hour), t0.Add(-24*time.Hour))
	if err != nil || !ok || iv.State != store.Sending || iv.Attempts != 1 {
		t.Fatalf("Start = %+v, %v, %v", iv, ok, err)
	}
	if state == nil || string(state.Event) != `{"id":"evt_1"}` || state.Profile["name"] != "Anna" || len(state.Contacts) != 1 || state.Contacts[0].Intervention != "iv_x" {
		t.Fatalf("Start read %+v", state)
	}
	if fmt.Sprint(state.Since) != "[subscription.paused]" {
		t.Fatalf("Start read the events since the trigger as %v", state.Since)
	}

	// The task named an older trigger: the state is for LoadStep to read.
	iv, ok, state, err = st.Start(ctx, "cus_1", "iv_b", "evt_0", time.Time{}, t0.Add(-24*time.Hour))
	if err != nil || !ok || iv.EventID != "evt_1" || state != nil {
		t.Fatalf("Start with another trigger = %+v, %v, %+v, %v", iv, ok, state, err)
	}

	// Already sent: not claimed again.
	iv.State = store.Sent
	if err := st.Update(ctx, iv); err != nil {
		t.Fatal(err)
	}
	if _, ok, state, err := st.Start(ctx, "cus_1", "iv_b", "evt_1", time.Time{}, t0); err != nil || ok || state != nil {
		t.Fatalf("Start on a sent intervention = %v, %+v, %v", ok, state, err)
	}

	// Redis forgot its scripts (a restart): Start still claims.
	if err := rdb.ScriptFlush(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	iv, ok, state, err = st.Start(ctx, "cus_1", "iv_c", "evt_1", time.Time{}, t0.Add(-24*time.Hour))
	if err != nil || !ok || iv.State != store.Sending || state == nil || state.Profile["name"] != "Anna" || state.Since != nil {
		t.Fatalf("Start after SCRIPT FLUSH = %+v, %v, %+v, %v", iv, ok, state, err)
	}
	if _, _, _, err := st.Start(ctx, "cus_1", "iv_missing", "evt_1", time.Time{}, t0); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Start on a missing intervention: err = %v", err)
	}
}

// The pending interventions are read from the records: those scheduled
// or being sent, with the task each waits on; a subject may hold any
// character. A record is short: a scheduled one stores no empty or
// derivable field.
func TestPendingEntries(t *testing.T) {
	t.Parallel()
	st, rdb := setup(t)
	ctx := context.Background()
	a := newIV("cus_1", "iv_a", t0)
	a.Subject = "order|42 \"quoted\"\n"
	b := newIV("cus_1", "iv_b", t0)
	b.TaskID = "iv_b-d1"
	old := newIV("cus_1", "iv_old", t0)
	old.Step, old.Subject, old.TaskQueue, old.TaskID, old.State = "day4", "sub_9", "steps-1", "iv_old-d2", store.Sending
	done := newIV("cus_1", "iv_done", t0)
	done.State = store.Sent
	schedule(t, st, a, b, old, done)
	got, err := st.PendingOf(ctx, "cus_1")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]store.Pending{
		"iv_a":   {Flow: "welcome", Step: "day2", Subject: a.Subject, TaskQueue: "steps-0", TaskID: "iv_a"},
		"iv_b":   {Flow: "welcome", Step: "day2", Subject: "sub_1", TaskQueue: "steps-0", TaskID: "iv_b-d1"},
		"iv_old": {Flow: "welcome", Step: "day4", Subject: "sub_9", TaskQueue: "steps-1", TaskID: "iv_old-d2"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("PendingOf = %+v, want %+v", got, want)
	}
	raw, _ := rdb.HGet(ctx, "ahead:{cus_1}:ivs", "iv_a").Result()
	if !strings.HasPrefix(raw, `["scheduled","welcome",`) || strings.Contains(raw, `"flow"`) {
		t.Errorf("stored record %q, want the values in their places, without names", raw)
	}
	m := record(t, rdb, "cus_1", "iv_a")
	for _, f := range []string{"id", "customer", "task_id", "planned", "attempts", "next", "deferrals", "channel", "code", "provider_id"} {
		if v, ok := m[f]; ok {
			t.Errorf("field %s=%q stored", f, v)
		}
	}
	iv, err := st.Intervention(ctx, "cus_1", "iv_a")
	if err != nil || iv.ID != "iv_a" || iv.Customer != "cus_1" || iv.TaskID != "iv_a" || !iv.Planned.Equal(t0) {
		t.Fatalf("Intervention = %+v, %v", iv, err)
	}
	// An update deletes a field that became empty.
	iv.State, iv.Code = store.Sending, "30003"
	if err := st.Update(ctx, iv); err != nil {
		t.Fatal(err)
	}
	iv.Code = ""
	if err := st.Update(ctx, iv); err != nil {
		t.Fatal(err)
	}
	if _, ok := record(t, rdb, "cus_1", "iv_a")["code"]; ok {
		t.Error("an emptied code is still stored")
	}
}

// Pipelined scripts run by SHA; after Redis lost its scripts (a restart)
// the calls run again with the body, in order, and none is lost.
func TestScriptsAfterFlush(t *testing.T) {
	t.Parallel()
	st, rdb := setup(t)
	ctx := context.Background()
	for round := range 2 {
		if err := rdb.ScriptFlush(ctx).Err(); err != nil {
			t.Fatal(err)
		}
		cus := fmt.Sprintf("cus_%d", round)
		if got := schedule(t, st, newIV(cus, "iv_a", t0), newIV(cus, "iv_b", t0)); fmt.Sprint(got) != "[created created]" {
			t.Fatalf("round %d: Schedule = %v", round, got)
		}
		if err := rdb.ScriptFlush(ctx).Err(); err != nil {
			t.Fatal(err)
		}
		got, err := st.EnterAll(ctx, []store.Entering{
			{Customer: cus, Key: "welcome", Event: "evt_1", At: t0},
			{Customer: cus, Key: "welcome", Event: "evt_2", At: t0.Add(time.Minute)},
		})
		if err != nil || !got[0].IsZero() || !got[1].Equal(t0) {
			t.Fatalf("round %d: EnterAll = %v, %v; want the second blocked by the first", round, got, err)
		}
		if err := rdb.ScriptFlush(ctx).Err(); err != nil {
			t.Fatal(err)
		}
		pending, _ := st.PendingOf(ctx, cus)
		done, err := st.Cancel(ctx, cus, []string{"iv_a", "iv_b"}, pending, store.Entry{At: t0, Reason: "stop"})
		if err != nil || len(done) != 2 {
			t.Fatalf("round %d: Cancel = %v, %v", round, done, err)
		}
	}
}

// A record keeps any text its fields hold, whether Go wrote it or a
// script read and wrote it again: quotes, backslashes, control
// characters, a slash, non-ASCII and a field that looks like JSON.
func TestRecordKeepsAnyText(t *testing.T) {
	t.Parallel()
	st, _ := setup(t)
	ctx := context.Background()
	odd := "order \"42\" \\ a/b \x01\t\n née 😀 \u2028 {\"state\":\"sent\"} [1,2]"
	iv := newIV("cus_1", "iv_odd", t0)
	iv.Subject, iv.Reason, iv.Arm = odd, odd+" (why)", "control"
	schedule(t, st, iv)
	check := func(when string) {
		t.Helper()
		got, err := st.Intervention(ctx, "cus_1", "iv_odd")
		if err != nil || got.Subject != odd || got.Reason != odd+" (why)" || got.Arm != "control" || got.Flow != "welcome" {
			t.Fatalf("%s: %+v, %v", when, got, err)
		}
	}
	check("as written")
	// Begin and Update decode the record in a script and encode it again.
	got, ok, err := st.Begin(ctx, "cus_1", "iv_odd")
	if err != nil || !ok || got.Subject != odd {
		t.Fatalf("Begin = %+v, %v, %v", got, ok, err)
	}
	check("after Begin")
	got.Code = "odd \"code\""
	if err := st.Update(ctx, got); err != nil {
		t.Fatal(err)
	}
	check("after Update")
	if again, _ := st.Intervention(ctx, "cus_1", "iv_odd"); again.Code != "odd \"code\"" || again.Attempts != 1 {
		t.Fatalf("after Update: code %q, attempts %d", again.Code, again.Attempts)
	}
}
