// Package webhook is the webhook channel: it posts each message as signed
// JSON to an HTTP endpoint of the user's own, such as a CRM, a queue
// bridge or a serverless function.
//
// It owns the webhook configuration (Config: a URL, a per-flow URL for
// some flows, the signing secret, the request timeout), the body of a
// request (the rendered text when it is a JSON object, else an Envelope),
// the request headers, the signature scheme (Sign, and Verify for
// receivers written in Go) and the classification of answers: 2xx is
// sent; 408, 429, 5xx, timeouts and network failures are transient; any
// other answer is permanent, with the HTTP status as the code.
//
// # Wiring
//
// One channel is built at start-up from the webhook section of ahead.yaml
// (whose list of per-flow URLs config.Webhook.Channel turns into the map
// Config.Flows) and registered under channels.Webhook:
//
//	ch, err := webhook.New(cfg.Webhook.Channel())
//
// The error names the key at fault. Channel.URL tells, for each flow that
// uses the webhook channel, whether it has a URL, so start-up can refuse a
// flow that would fail every send. A message's To must be set (the
// customer's id) and its EventID should be the trigger event's id.
//
// The package must not log. Its errors name the endpoint's host but never
// its path, query or credentials, and never the secret. It knows nothing of
// Redis, asynq tasks, flows or templates.
package webhook
