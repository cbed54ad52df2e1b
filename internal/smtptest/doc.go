// Package smtptest runs a real SMTP server in the test process, so tests can
// check exactly what ahead hands to a mail server.
//
// Start listens on 127.0.0.1 on a free port and records every message it
// accepts. A test can make the next RCPT or DATA fail with a chosen reply
// code, hold the next RCPT to observe timeouts and cancellation, offer
// STARTTLS or implicit TLS with a throw-away certificate, and require AUTH
// PLAIN. The server stops when the test ends.
//
// The package is for tests only: it must not be imported by production code,
// and it knows nothing of channels, flows or Redis.
package smtptest
