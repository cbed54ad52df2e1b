package tasks

import (
	"context"
	"errors"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/aheadhq/ahead/channels"
	"github.com/aheadhq/ahead/flows"
	"github.com/aheadhq/ahead/internal/metrics"
)

// outcomes reads ahead_intervention_outcomes_total for one series.
func outcomes(t *testing.T, state, flow, channel, reason string) float64 {
	t.Helper()
	var m dto.Metric
	if err := metrics.Outcomes.WithLabelValues(state, flow, channel, reason).Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}

// counted checks that a series of ahead_intervention_outcomes_total grew
// by want while fn ran.
func counted(t *testing.T, what string, want float64, labels [4]string, fn func()) {
	t.Helper()
	before := outcomes(t, labels[0], labels[1], labels[2], labels[3])
	fn()
	if got := outcomes(t, labels[0], labels[1], labels[2], labels[3]) - before; got != want {
		t.Errorf("%s: outcomes{state=%s,flow=%s,channel=%s,reason=%s} grew by %v, want %v", what, labels[0], labels[1], labels[2], labels[3], got, want)
	}
}

// Every intervention that ends is counted once, with its flow, the channel
// it ended on and why: skips at planning too, and cancels by cause. (Not
// parallel: the counters are the process's.)
func TestOutcomesCountFlowChannelAndCause(t *testing.T) {
	counted(t, "skipped at planning as too late", 2, [4]string{"skipped", "welcome", channels.SMS, "too_late"}, func() {
		b := setup(t)
		b.clock.Set(time.Date(2030, 11, 30, 12, 0, 0, 0, time.UTC))
		ev := subscriber("evt_1", "cus_1", "", anna())
		ev.OccurredAt = start
		b.route(t, ev)
	})

	counted(t, "failed on the last channel", 1, [4]string{"failed", "welcome", channels.Email, "provider"}, func() {
		b := setup(t)
		b.sms.failWith(channels.Permanent(channels.SMS, "21614", errors.New("not a mobile number")))
		b.email.failWith(channels.Permanent(channels.Email, "550", errors.New("mailbox unknown")))
		id := b.invoice(t, "cus_1", anna())
		if err := b.step("cus_1", id); err != nil {
			t.Fatal(err)
		}
	})

	b := setup(t)
	for _, cus := range []string{"cus_a", "cus_b", "cus_c"} {
		b.route(t, subscriber("evt_"+cus, cus, "", anna()))
	}
	counted(t, "cancelled by cancel_on", 2, [4]string{"cancelled", "welcome", "", "cancel_on"}, func() {
		b.route(t, &flows.Event{ID: "evt_stop", Type: "subscription.cancelled", CustomerID: "cus_a"})
	})
	counted(t, "cancelled through the API", 2, [4]string{"cancelled", "welcome", "", "api"}, func() {
		if _, err := b.w.Cancel(context.Background(), "cus_b", "", "customer called"); err != nil {
			t.Fatal(err)
		}
	})
	counted(t, "cancelled by erasure", 2, [4]string{"cancelled", "welcome", "", "erased"}, func() {
		if err := b.w.Erase(context.Background(), "cus_c"); err != nil {
			t.Fatal(err)
		}
	})

	// The reassurance step is cancelled at once; the invoice, being sent,
	// when its send stops at the point of no return.
	counted(t, "a cancel held while sending takes effect", 2, [4]string{"cancelled", "welcome", "", "cancel_on"}, func() {
		cancelWhileConnecting(t)
	})
}
