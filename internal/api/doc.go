// Package api is ahead's HTTP API: event ingest, customer profiles,
// timelines and erasure, the callback queue, flows, the dev outbox,
// one-click unsubscribe, probes and metrics.
//
// It validates what it is given and hands the work on: accepted events
// become event:route tasks; it does not route, schedule or send anything
// itself. Every route but the probes, /metrics and signed unsubscribe links
// needs a bearer token with the route's scope, unless the server runs
// without authentication (ahead dev, or api.insecure_no_auth).
package api
