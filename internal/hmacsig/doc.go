// Package hmacsig signs and checks a request body with a shared secret in
// the scheme Stripe uses for its webhooks: a header value
// "t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>", with one
// or more v1 values. ahead signs its webhook channel's requests with it
// (channels/webhook) and checks Stripe's events with it (sources/stripe).
//
// It owns parsing the header, the constant-time comparison and the
// timestamp tolerance that stops a recorded request from being replayed
// later. It must not import anything of ahead.
package hmacsig
