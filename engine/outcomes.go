package engine

import (
	"github.com/aheadhq/ahead/internal/metrics"
	"github.com/aheadhq/ahead/internal/store"
)

// countOutcome counts an intervention that ended with journal entry e
// (see metrics.Outcomes): by its flow, the channel it ended on and the
// reason of e.
func countOutcome(iv *store.Intervention, e store.Entry) {
	ch := e.Channel
	if ch == "" && e.State != store.Cancelled {
		ch = endChannel(iv)
	}
	metrics.CountOutcome(e.State, iv.Flow, ch, outcomeReason(e))
}

// countHeldCancel counts an intervention whose cancel, held while it was
// being sent, took effect.
func countHeldCancel(iv *store.Intervention) {
	metrics.Interventions.WithLabelValues(store.Cancelled, "").Inc()
	metrics.CountOutcome(store.Cancelled, iv.Flow, "", cancelReason(iv.CancelCause))
}

// endChannel is the channel an intervention ended on: the one it was on,
// or after the last of its channels failed, that last one.
func endChannel(iv *store.Intervention) string {
	switch {
	case len(iv.Channels) == 0:
		return ""
	case iv.Next < len(iv.Channels):
		return iv.Channels[iv.Next]
	}
	return iv.Channels[len(iv.Channels)-1]
}

// cancelReason maps the cause of a cancel to the reason /metrics counts
// it by: a cancel_on rule, the API, or an erasure.
func cancelReason(cause string) string {
	switch cause {
	case "cancel_on":
		return metrics.ReasonCancelOn
	case "api":
		return metrics.ReasonCancelAPI
	case "erased":
		return metrics.ReasonErased
	}
	return metrics.ReasonCancelled
}
