package metrics

import "github.com/prometheus/client_golang/prometheus"

// Reasons an intervention ends the way it does, as counted by Outcomes.
// They are few on purpose: the journal holds the full reason.
const (
	ReasonDelivered     = "delivered"      // sent: the channel took the message
	ReasonCancelled     = "cancelled"      // a cancel_on event or an erasure
	ReasonTooLate       = "too_late"       // due longer ago than late_limit
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
	ReasonDelivered: true, ReasonCancelled: true, ReasonTooLate: true, ReasonSkipIf: true,
	ReasonDeadline: true, ReasonBudget: true, ReasonOptedOut: true, ReasonNoContact: true,
	ReasonNotConfigured: true, ReasonRender: true, ReasonProvider: true, ReasonRetries: true,
	ReasonFlowGone: true, ReasonHeldOut: true, ReasonOther: true,
}

// Outcomes counts interventions that ended, by final state (sent, skipped,
// cancelled, failed, held_out), channel ("" when none was tried) and reason.
var Outcomes = prometheus.NewCounterVec(prometheus.CounterOpts{
	Name: "ahead_intervention_outcomes_total",
	Help: "Interventions that ended, by state (sent, skipped, cancelled, failed, held_out), channel and reason.",
}, []string{"state", "channel", "reason"})

// CountOutcome counts one intervention that ended. A reason that is not
// one of the Reason constants is counted as ReasonOther, so that the
// number of series stays small.
func CountOutcome(state, channel, reason string) {
	if !reasons[reason] {
		reason = ReasonOther
	}
	Outcomes.WithLabelValues(state, channel, reason).Inc()
}

func init() {
	Registry.MustRegister(Outcomes)
}
