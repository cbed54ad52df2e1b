package metrics

import "github.com/prometheus/client_golang/prometheus"

// Reasons an intervention ends the way it does, as counted by Outcomes.
// They are few on purpose: the journal holds the full reason.
const (
	ReasonDelivered     = "delivered"      // sent: the channel took the message
	ReasonCancelOn      = "cancel_on"      // cancelled by an event that a cancel_on rule matches
	ReasonCancelAPI     = "api"            // cancelled through POST /v1/customers/{id}/cancel
	ReasonErased        = "erased"         // cancelled because the customer was erased
	ReasonCancelled     = "cancelled"      // cancelled, the cause not known (a cancel recorded by an earlier version)
	ReasonTooLate       = "too_late"       // due longer ago than late_limit
	ReasonFromDate      = "from_date"      // the event lacks the date a step counts from (from:, before:)
	ReasonInterrupted   = "interrupted"    // a try died past the point of no return; not sent again
	ReasonSkipIf        = "skip_if"        // the step's skip_if held
	ReasonDeadline      = "deadline"       // deferred past the step's deadline
	ReasonBudget        = "budget"         // the contact budget was used up
	ReasonOptedOut      = "opted_out"      // the customer opted out or gave no consent
	ReasonNoContact     = "no_contact"     // no address for the channel
	ReasonNotConfigured = "not_configured" // the channel is not configured
	ReasonRender        = "render"         // the template could not be rendered
	ReasonProvider      = "provider"       // the provider refused the message for good
	ReasonRetries       = "retries"        // transient failures until the tries ran out
	ReasonFlowGone      = "flow_gone"      // the flow or step is no longer loaded
	ReasonHeldOut       = "held_out"       // a control run's step: the holdout gets no contact
	ReasonOther         = "other"
)

var reasons = map[string]bool{
	ReasonDelivered: true, ReasonCancelOn: true, ReasonCancelAPI: true, ReasonErased: true,
	ReasonCancelled: true, ReasonTooLate: true, ReasonFromDate: true, ReasonInterrupted: true, ReasonSkipIf: true,
	ReasonDeadline: true, ReasonBudget: true, ReasonOptedOut: true, ReasonNoContact: true,
	ReasonNotConfigured: true, ReasonRender: true, ReasonProvider: true, ReasonRetries: true,
	ReasonFlowGone: true, ReasonHeldOut: true, ReasonOther: true,
}

// Outcomes counts interventions that ended, by final state (sent, skipped,
// cancelled, failed, held_out), flow, channel and reason. The channel is
// the one the intervention ended on: the channel that sent it, that failed
// last, or that it was to use when it was skipped or held out; "" for a
// cancelled one.
var Outcomes = prometheus.NewCounterVec(prometheus.CounterOpts{
	Name: "ahead_intervention_outcomes_total",
	Help: "Interventions that ended, by state (sent, skipped, cancelled, failed, held_out), flow, channel and reason.",
}, []string{"state", "flow", "channel", "reason"})

// CountOutcome counts one intervention of flow that ended. A reason that
// is not one of the Reason constants is counted as ReasonOther, so that
// the number of series stays small.
func CountOutcome(state, flow, channel, reason string) {
	CountOutcomes(state, flow, channel, reason, 1)
}

// CountOutcomes counts n interventions that ended alike.
func CountOutcomes(state, flow, channel, reason string, n int) {
	if n <= 0 {
		return
	}
	if !reasons[reason] {
		reason = ReasonOther
	}
	Outcomes.WithLabelValues(state, flow, channel, reason).Add(float64(n))
}

func init() {
	Registry.MustRegister(Outcomes)
}
