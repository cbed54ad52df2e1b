// Package twilio sends SMS and WhatsApp messages through Twilio's Messages
// API with github.com/twilio/twilio-go.
//
// It owns the Twilio configuration (Config), the two channels (NewSMS,
// NewWhatsApp), WhatsApp's 24-hour service window rule (free text inside
// the window, an approved content template outside it, see channels.Message.Content),
// the status callback URL handed to Twilio with every message, the one
// table that classifies Twilio's failures as transient or permanent
// (Classes, Classify), a Redis-based send rate limit that several workers
// share (NewRedisLimiter), the checking of Twilio's webhook signatures
// (Validate) and the opt-out and opt-in keywords of inbound messages
// (Keyword).
//
// Every request the client makes goes to Config.APIURL, so a test or a
// proxy can stand in for api.twilio.com. A send's point of no return
// (channels.Committer) is the first read of its request body, once the
// connection is open: Twilio acts only on a complete request. A text over
// MaxBody characters is refused before any request.
//
// The package must not log, and its errors never show a whole phone number:
// Mask hides the middle digits. It knows nothing of asynq tasks, flows,
// templates, the journal or consent; the caller decides whether a customer
// may be contacted and whether the WhatsApp window is open.
package twilio
