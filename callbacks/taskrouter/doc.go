// Package taskrouter offers callable callbacks to Twilio TaskRouter, for
// contact centres whose agents work in Twilio Flex or another TaskRouter
// desk instead of ahead's own agent desk.
//
// Client is a callback.Exporter: for each callable callback of a queue
// with a taskrouter section in queues.yaml, it creates a Task in that
// workspace and workflow, with the callback id, customer, phone number,
// talking points and priority as attributes and the time left until the
// callback's deadline as timeout; it cancels the Task when the callback
// is worked or ends in ahead. Map turns TaskRouter's event callbacks
// (POST /v1/webhooks/twilio/taskrouter, signature-checked by the API)
// back into claims and outcomes.
//
// The package talks to TaskRouter through twilio-go and knows nothing of
// Redis or HTTP serving; the callback package records what it reports.
package taskrouter
