// Package callback is the channel that asks a person to call: it puts a
// callback with the rendered talking points into the step's contact-centre
// queue, where agents list and claim it (GET /v1/callbacks?queue=).
//
// It does not decide when a callback is callable nor record call
// outcomes; the agent API owns that.
package callback
