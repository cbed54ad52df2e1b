// Package email sends a rendered message as e-mail through an SMTP server.
//
// It owns the SMTP configuration (Config), the shape of the e-mail
// (multipart/alternative text and HTML, UTF-8, one-click unsubscribe
// headers), the Message-ID derived from the intervention id, and the
// classification of SMTP failures: a 5xx reply to the message (MAIL FROM,
// RCPT TO, DATA) or an invalid address is permanent; a 4xx reply, a network
// failure, a timeout, a cancelled context, and any failure to connect or log
// in (a matter of the server settings) are transient.
//
// Each Send dials the server, delivers one message and hangs up. Its point
// of no return (channels.Committer) is the final "." of DATA: until the
// server has it, a send that stops leaves nothing behind. A subject too
// long for one header line is folded as RFC 2047 encoded words. The
// Message-ID is the same on every try of an intervention, so a receiving
// system can recognise a repeat. The package must not log, and its errors
// never contain the recipient's address; it knows nothing of Redis, asynq
// tasks, flows or templates.
package email
