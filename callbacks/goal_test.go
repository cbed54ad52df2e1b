package callbacks_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/aheadhq/ahead/callbacks"
	"github.com/aheadhq/ahead/flows"
)

// A call in which the customer asks to be called back counts as their
// contact toward the goals that include callback_requested; other
// outcomes do not.
func TestRecordCountsCallbackRequests(t *testing.T) {
	t.Parallel()
	b := setup(t, tuesday10)
	set, err := testFlows()
	if err != nil {
		t.Fatal(err)
	}
	type contact struct{ customer, source, id string }
	var got []contact
	b.q = callbacks.NewQueues(callbacks.Options{
		Store: b.st, Clock: b.clk, Flows: func() *flows.Set { return set }, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Contacted: func(_ context.Context, customer, source, id string, at time.Time) error {
			if !at.Equal(tuesday10) {
				t.Errorf("contact at %s, want the time of the outcome", at)
			}
			got = append(got, contact{customer, source, id})
			return nil
		},
	})
	b.claimed("a", "cus_1", "Europe/Amsterdam")
	b.record("a", "ann", callbacks.Outcome{Outcome: "callback_requested", RequestedAt: local(t, "2026-11-25 11:00")})
	b.claimed("b", "cus_2", "Europe/Amsterdam")
	b.record("b", "ann", callbacks.Outcome{Outcome: "no_answer"})
	want := []contact{{"cus_1", flows.SourceCallbackRequested, "a-1"}}
	if len(got) != 1 || got[0] != want[0] {
		t.Errorf("contacts %v, want %v", got, want)
	}
}
