package callbacks_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aheadhq/ahead/callbacks"
	"github.com/aheadhq/ahead/channels"
	"github.com/aheadhq/ahead/internal/store"
)

// claimed adds a callback due at 09:00 on tuesday10's day and has ann claim it.
func (b *bundle) claimed(id, cus, tz string) *store.Callback {
	b.t.Helper()
	b.add(id, "retention", "call", cus, tz, local(b.t, "2026-11-24 09:00"), 0)
	cb, err := b.q.Take(b.ctx, id, "ann", time.Hour)
	if err != nil {
		b.t.Fatal(err)
	}
	return cb
}

func (b *bundle) record(id, agent string, o callbacks.Outcome) *store.Callback {
	b.t.Helper()
	cb, err := b.q.Record(b.ctx, id, agent, o)
	if err != nil {
		b.t.Fatalf("record %s for %s: %v", o.Outcome, id, err)
	}
	return cb
}

func TestRecordEnds(t *testing.T) {
	t.Parallel()
	for _, outcome := range []string{"reached", "declined", "wrong_number"} {
		t.Run(outcome, func(t *testing.T) {
			t.Parallel()
			b := setup(t, tuesday10)
			b.claimed("a", "cus_1", "Europe/Amsterdam")
			cb := b.record("a", "ann", callbacks.Outcome{Outcome: outcome, Note: "  Happy with\nthe plan.  "})
			if cb.State != store.CallbackDone || cb.Result != outcome || cb.Outcome != outcome || cb.Attempts != 1 ||
				cb.Agent != "" || !cb.LeaseUntil.IsZero() || !cb.Ended.Equal(tuesday10) || cb.Note != "Happy with\nthe plan." {
				t.Fatalf("recorded %+v", cb)
			}
			entries := b.journal("cus_1")
			last := entries[len(entries)-1]
			want := outcome + " by ann, attempt 1 of 3"
			if outcome == "wrong_number" {
				want += "; phone number flagged as wrong"
			}
			want += "; note: Happy with the plan."
			if last.State != outcome || last.Reason != want || last.Channel != channels.Callback || last.Intervention != "a" || last.Step != "call" {
				t.Errorf("journal entry %+v, want reason %q", last, want)
			}
			prof, _ := b.st.Profile(b.ctx, "cus_1")
			if flagged := prof[callbacks.ProfilePhoneInvalid]; (flagged != "") != (outcome == "wrong_number") {
				t.Errorf("phone_invalid = %q after %s", flagged, outcome)
			} else if outcome == "wrong_number" && flagged != "2026-11-24T09:00:00Z" {
				t.Errorf("phone_invalid = %q, want the time of the call", flagged)
			}
			if _, err := b.q.Record(b.ctx, "a", "ann", callbacks.Outcome{Outcome: "reached"}); !errors.Is(err, callbacks.ErrNotHolder) {
				t.Errorf("second outcome for an ended callback: %v", err)
			}
			if len(b.emit.list()) != 0 {
				t.Errorf("events taken in: %v", b.emit.list())
			}
		})
	}
}

func TestRecordRetries(t *testing.T) {
	t.Parallel()
	b := setup(t, tuesday10)
	b.claimed("a", "cus_1", "Europe/Amsterdam")
	cb := b.record("a", "ann", callbacks.Outcome{Outcome: "no_answer"})
	if cb.State != store.CallbackQueued || !cb.Due.Equal(local(t, "2026-11-24 12:00")) || cb.Attempts != 1 || cb.Window != "mon-fri 09:00-17:00" {
		t.Fatalf("after no_answer at 10:00: %+v", cb)
	}
	if got := b.claim("retention", "bob"); got != nil {
		t.Fatalf("claimed before the retry is due: %+v", got)
	}
	// Voicemail at 16:00: four hours later the queue is closed; Wednesday 09:00.
	b.clk.Set(local(t, "2026-11-24 16:00"))
	if b.claim("retention", "bob") == nil {
		t.Fatal("the retry is not claimable at 16:00")
	}
	cb = b.record("a", "bob", callbacks.Outcome{Outcome: "voicemail", Note: "left a message"})
	if cb.State != store.CallbackQueued || !cb.Due.Equal(local(t, "2026-11-25 09:00")) || cb.Attempts != 2 {
		t.Fatalf("after voicemail at 16:00: %+v", cb)
	}
	entries := b.journal("cus_1")
	if last := entries[len(entries)-1]; last.Reason != "voicemail by bob, attempt 2 of 3; next try 2026-11-25 09:00 CET; note: left a message" {
		t.Errorf("journal reason %q", last.Reason)
	}

	// The third call is the last.
	b.clk.Set(local(t, "2026-11-25 09:05"))
	if b.claim("retention", "ann") == nil {
		t.Fatal("the second retry is not claimable")
	}
	cb = b.record("a", "ann", callbacks.Outcome{Outcome: "no_answer"})
	if cb.State != store.CallbackDone || cb.Result != callbacks.ResultExhausted || cb.Outcome != "no_answer" || cb.Attempts != 3 {
		t.Fatalf("after the third no_answer: %+v", cb)
	}
	entries = b.journal("cus_1")
	states := ""
	for _, e := range entries {
		states += e.State + " "
	}
	if states != "claimed no_answer claimed voicemail claimed no_answer exhausted " {
		t.Errorf("journal states: %s", states)
	}
	if last := entries[len(entries)-1]; last.Reason != "no contact after 3 calls (max_attempts 3); takes in callback.exhausted" {
		t.Errorf("exhausted reason %q", last.Reason)
	}
	evs := b.emit.list()
	if len(evs) != 1 {
		t.Fatalf("events taken in: %v", evs)
	}
	ev := evs[0]
	want := "map[attempts:3 callback_id:a flow:welcome last_outcome:no_answer queue:retention reason:max_attempts result:exhausted step:call]"
	if ev.Type != "callback.exhausted" || ev.CustomerID != "cus_1" || ev.ID != "callback-exhausted-a" || fmt.Sprint(ev.Data) != want || !ev.OccurredAt.Equal(local(t, "2026-11-25 09:05")) {
		t.Errorf("event %+v", ev)
	}
}

func TestRecordRetryPastDeadline(t *testing.T) {
	t.Parallel()
	// Due Friday 16:00, the deadline is Monday 16:00.
	b := setup(t, local(t, "2026-11-30 15:30"))
	b.add("a", "retention", "call", "cus_1", "Europe/Amsterdam", local(t, "2026-11-27 16:00"), 0)
	if b.claim("retention", "ann") == nil {
		t.Fatal("nothing to claim")
	}
	cb := b.record("a", "ann", callbacks.Outcome{Outcome: "no_answer"})
	if cb.State != store.CallbackDone || cb.Result != callbacks.ResultExhausted || cb.Attempts != 1 {
		t.Fatalf("recorded %+v", cb)
	}
	evs := b.emit.list()
	if len(evs) != 1 || evs[0].Data["reason"] != "deadline" {
		t.Fatalf("events %+v", evs)
	}
	entries := b.journal("cus_1")
	if last := entries[len(entries)-1]; last.Reason != "the next try (2026-12-01 09:00 CET) would be past the deadline 2026-11-30 16:00 CET; takes in callback.exhausted" {
		t.Errorf("reason %q", last.Reason)
	}
}

func TestRecordCallbackRequested(t *testing.T) {
	t.Parallel()
	b := setup(t, local(t, "2026-11-24 15:30"))
	b.claimed("a", "cus_ny", "America/New_York")
	invalid := func(o callbacks.Outcome, want string) {
		t.Helper()
		_, err := b.q.Record(b.ctx, "a", "ann", o)
		var inv *callbacks.InvalidError
		if !errors.As(err, &inv) || strings.Join(inv.Problems, "; ") != want {
			t.Errorf("Record(%+v) = %v, want %q", o, err, want)
		}
	}
	invalid(callbacks.Outcome{Outcome: "callback_requested"}, "requested_at: required with callback_requested")
	invalid(callbacks.Outcome{Outcome: "callback_requested", RequestedAt: local(t, "2026-11-24 15:00")}, "requested_at: must be in the future")
	invalid(callbacks.Outcome{Outcome: "callback_requested", RequestedAt: local(t, "2026-11-24 20:00")},
		"requested_at: queue retention is closed then (hours mon-fri 09:00-17:00); it opens next at 2026-11-25T09:00:00+01:00")
	invalid(callbacks.Outcome{Outcome: "reached", RequestedAt: local(t, "2026-11-25 11:00")}, "requested_at: only with callback_requested")
	invalid(callbacks.Outcome{Outcome: "maybe", Note: strings.Repeat("x", callbacks.MaxNote+1)},
		`outcome: unknown outcome "maybe" (want reached, no_answer, voicemail, wrong_number, declined, callback_requested); note: longer than 4000 bytes`)
	invalid(callbacks.Outcome{}, "outcome: required")

	cb := b.record("a", "ann", callbacks.Outcome{Outcome: "callback_requested", RequestedAt: local(t, "2026-11-25 11:00"), Note: "after her meeting"})
	if cb.State != store.CallbackQueued || !cb.Due.Equal(local(t, "2026-11-25 11:00")) || cb.Window != "" ||
		!cb.Deadline.Equal(local(t, "2026-11-28 11:00")) || cb.Attempts != 1 {
		t.Fatalf("recorded %+v", cb)
	}
	// 11:00 in Amsterdam is 05:00 in New York, but the customer asked for it.
	b.clk.Set(local(t, "2026-11-25 11:00"))
	if got := b.claim("retention", "bob"); got == nil || got.ID != "a" {
		t.Fatalf("the requested call is not claimable at the requested time: %+v", got)
	}
}

func TestRecordWho(t *testing.T) {
	t.Parallel()
	b := setup(t, tuesday10)
	b.claimed("a", "cus_1", "Europe/Amsterdam")
	b.add("q", "retention", "call", "cus_2", "Europe/Amsterdam", tuesday10, 0)
	if _, err := b.q.Record(b.ctx, "a", "bob", callbacks.Outcome{Outcome: "reached"}); !errors.Is(err, callbacks.ErrNotHolder) || !strings.Contains(err.Error(), "held by ann") {
		t.Errorf("another agent's outcome: %v", err)
	}
	if _, err := b.q.Record(b.ctx, "q", "bob", callbacks.Outcome{Outcome: "reached"}); !errors.Is(err, callbacks.ErrNotHolder) || !strings.Contains(err.Error(), "held by nobody") {
		t.Errorf("outcome for an unclaimed callback: %v", err)
	}
	if _, err := b.q.Record(b.ctx, "nope", "bob", callbacks.Outcome{Outcome: "reached"}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("outcome for an unknown callback: %v", err)
	}
	// An outside system may record for a queued callback.
	cb := b.record("q", "", callbacks.Outcome{Outcome: "reached"})
	entries := b.journal("cus_2")
	if cb.State != store.CallbackDone || entries[len(entries)-1].Reason != "reached by an outside system, attempt 1 of 3" {
		t.Errorf("recorded %+v, journal %+v", cb, entries)
	}
}

func TestRecordNoteSummary(t *testing.T) {
	t.Parallel()
	b := setup(t, tuesday10)
	b.claimed("a", "cus_1", "Europe/Amsterdam")
	note := strings.Repeat("word ", 30)
	b.record("a", "ann", callbacks.Outcome{Outcome: "reached", Note: note})
	entries := b.journal("cus_1")
	reason := entries[len(entries)-1].Reason
	summary, _ := strings.CutPrefix(reason, "reached by ann, attempt 1 of 3; note: ")
	if len([]rune(summary)) != 80 || !strings.HasSuffix(summary, "word…") {
		t.Errorf("summary %q (%d runes)", summary, len([]rune(summary)))
	}
	if got := b.get("a"); got.Note != strings.TrimSpace(note) {
		t.Errorf("note kept as %q", got.Note)
	}
}
