// Package callbacks is the contact-centre feature: the callback channel
// that asks a person to call, and the queues agents work. It puts a
// callback with the rendered talking points into the step's contact-centre queue, decides when a callback is
// callable (the queue is open in its own zone, hours and holidays, and
// the step's window is open in the customer's zone), hands the next
// callable callback to one agent at a time under a lease, records call
// outcomes with their consequences (retry, call-back, end, exhausted) on
// the customer's timeline, and sweeps the queues for lapsed leases, passed
// deadlines and metrics. An Exporter, such as the taskrouter subpackage,
// can offer callable callbacks to an outside contact-centre system.
//
// Queue rules come from the flow folder's queues.yaml (flows.Queue). The
// package stores through internal/store and hands events it must take in
// (on_exhausted) to the Emit function it is given; it does not route
// events, serve HTTP or talk to a provider itself.
package callbacks
