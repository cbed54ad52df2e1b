// Package api is ahead's HTTP API: event ingest, customer profiles,
// consent, timelines, cancellation and erasure, the callback queues with
// the agent desk (/agent), flows, provider webhooks, provider events in
// (/v1/sources/stripe), the dev outbox,
// one-click unsubscribe, probes and metrics.
//
// Handlers only decode, call the engine or the callback queues, and
// encode; the rules live in the engine. Shared HTTP plumbing (bounded
// bodies, strict JSON, errors, bearer tokens) is internal/httpx. Every
// route but the probes, /metrics, signed unsubscribe links and
// signature-checked provider webhooks and sources needs a bearer token with the
// route's scope, unless the server runs without authentication (ahead dev,
// or api.insecure_no_auth). It must not import asynq, the task
// layer or the store. The agent desk is the callbacks/desk handler, which
// the API mounts at /agent.
package api
