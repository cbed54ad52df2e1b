// Package api is ahead's HTTP API: event ingest, customer profiles,
// consent, timelines, cancellation and erasure, the callback queues with
// the agent desk (/agent), flows, provider webhooks, the dev outbox,
// one-click unsubscribe, probes and metrics.
//
// It validates what it is given and hands the work on: an accepted batch
// of events is routed at once by the worker code (tasks.Worker.RouteEvents), with
// event:route tasks as the fallback when that fails; it sends nothing
// itself. Every route but the probes, /metrics, signed unsubscribe links
// and signature-checked provider webhooks needs a bearer token with the
// route's scope, unless the server runs without authentication (ahead dev,
// or api.insecure_no_auth).
package api
