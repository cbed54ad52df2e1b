// Package config owns ahead's configuration: the Config type, its defaults,
// strict loading of the YAML file, the AHEAD_… environment overrides and the
// validation that stops start-up with a message naming the bad key.
//
// Loading happens in three steps, in this order:
//
//  1. Default() gives every default; they live in that one function.
//  2. The YAML file, if any, replaces the keys it sets. Unknown keys, values
//     of the wrong type, duplicate keys and more than one YAML document are
//     errors that name the file, the line and the key path
//     ("ahead.yaml:4: api.tokenz: unknown field").
//  3. Every key can be overridden by an environment variable named AHEAD_
//     plus the key path in upper case joined by "_" (AHEAD_REDIS_URL,
//     AHEAD_SMTP_PORT, AHEAD_TWILIO_API_URL). Lists are comma-separated
//     (AHEAD_REDIS_CLUSTER=10.0.0.1:6379,10.0.0.2:6379); bearer tokens are
//     written name:token:scope+scope, comma-separated
//     (AHEAD_API_TOKENS=crm:s3cret-token-value-1:events,ops:s3cret-token-value-2:admin).
//     An empty variable counts as unset.
//
// Validate then checks the result and reports every problem at once, each
// prefixed with where the value came from (file:line or the environment
// variable) when that is known. Requires adds the checks a command needs on
// top (ahead serve refuses to run without bearer tokens unless
// api.insecure_no_auth is true).
//
// Durations are Go duration strings ("30s", "15m", "24h") and may also use
// whole days ("2d", "1d12h").
//
// The package must not open connections, start anything or read files other
// than the one it is asked to load; it knows nothing about Redis clients,
// asynq, flows or channels beyond the settings they are given.
package config
