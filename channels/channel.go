package channels

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hibiken/asynq"

	"github.com/aheadhq/ahead/flows"
)

// Names of the channels a step may use; they belong to the flow model.
const (
	Email    = flows.Email
	SMS      = flows.SMS
	WhatsApp = flows.WhatsApp
	Callback = flows.Callback
	Outbox   = flows.Outbox
	Webhook  = flows.Webhook
)

// Known reports whether name is a channel a flow may name.
func Known(name string) bool { return flows.KnownChannel(name) }

// Message is one rendered contact, ready for a channel.
type Message struct {
	// ID is the intervention id. It is stable across retries, so channels
	// use it as their provider-side idempotency key (e.g. Message-ID).
	ID         string `json:"id"`
	CustomerID string `json:"customer_id"`
	Flow       string `json:"flow"`
	Step       string `json:"step"`
	Channel    string `json:"channel"`
	// To is the contact point: an e-mail address, an E.164 number, or for a
	// callback the number an agent should call.
	To   string `json:"to"`
	Name string `json:"name,omitempty"`
	// Subject is the e-mail subject; Text the plain body (for a callback: the
	// agent's talking points); HTML the optional HTML body.
	Subject string `json:"subject,omitempty"`
	Text    string `json:"text"`
	HTML    string `json:"html,omitempty"`
	// Queue is the callback queue a callback step names.
	Queue string `json:"queue,omitempty"`
	// Unsubscribe is the one-click unsubscribe URL for this customer and
	// channel, when the API has a public URL.
	Unsubscribe string `json:"unsubscribe,omitempty"`
	// Due is when the step was due.
	Due time.Time `json:"due"`
	// Locale and Formality are the variant that was rendered.
	Locale    string `json:"locale,omitempty"`
	Formality string `json:"formality,omitempty"`
	// Content is the approved WhatsApp content template of the message,
	// nil when there is none; SessionOpen says that the customer's 24-hour
	// WhatsApp service window is open (they wrote in the last 24 hours).
	// Other channels ignore both.
	Content     *Content `json:"content,omitempty"`
	SessionOpen bool     `json:"session_open,omitempty"`
	// EventID is the id of the event that started the run.
	EventID string `json:"event_id,omitempty"`
	// Commit, when set, marks the point of no return of this send: a
	// Committer calls it (through PointOfNoReturn) once, at the last moment
	// at which the message has certainly not left, right before the step
	// that hands it to the provider for good. Until then a send that stops
	// (a crash, a cancelled ctx) leaves nothing at the provider, so it can
	// be tried again. When Commit returns an error, the channel must not
	// take that step: it stops and returns a transient error.
	Commit func() error `json:"-"`
}

// PointOfNoReturn calls m.Commit, when it is set, and returns its error:
// a channel calls it right before the step after which the message may
// have left, and sends nothing when it fails.
func (m *Message) PointOfNoReturn() error {
	if m.Commit == nil {
		return nil
	}
	return m.Commit()
}

// Committer is a Channel that marks its own point of no return: its Send
// calls Message.PointOfNoReturn right before the provider may have the
// message (for SMTP, before the final "." of DATA; for an HTTP API, before
// the request body is written). For a channel that is not a Committer,
// the caller calls Commit itself, right before Send.
type Committer interface {
	Channel
	// CallsCommit reports whether Send calls Message.PointOfNoReturn.
	CallsCommit() bool
}

// CallsCommit reports whether ch marks its own point of no return.
func CallsCommit(ch Channel) bool {
	c, ok := ch.(Committer)
	return ok && c.CallsCommit()
}

// Content is an approved WhatsApp content template: its SID (HX…) and the
// values of its variables, as Twilio's ContentSid and ContentVariables.
type Content struct {
	SID       string            `json:"sid"`
	Variables map[string]string `json:"variables,omitempty"`
}

// Receipt is what a channel reports after it handed a message on.
type Receipt struct {
	// ProviderID is the provider's id for the message (SMTP Message-ID,
	// Twilio SID, callback id), journaled with the sent state.
	ProviderID string `json:"provider_id,omitempty"`
}

// Channel sends one message.
//
// Send returns nil when the provider accepted the message. A failure that a
// later try may cure (timeouts, rate limits, 5xx, SMTP 4xx, a cancelled
// context) is returned as is and the step is retried with backoff. A failure
// that no retry will cure is wrapped with Permanent: the step is not retried
// and falls back to its next channel. Send must be safe to call again with
// the same Message after any error.
type Channel interface {
	Name() string
	Send(ctx context.Context, m *Message) (Receipt, error)
}

// Error is a classified provider failure.
type Error struct {
	Channel string
	// Code is the provider's code (SMTP reply code, Twilio error code), or
	// empty when there is none.
	Code      string
	Permanent bool
	Err       error
}

func (e *Error) Error() string {
	kind := "transient"
	if e.Permanent {
		kind = "permanent"
	}
	if e.Code != "" {
		return fmt.Sprintf("%s: %s failure (code %s): %v", e.Channel, kind, e.Code, e.Err)
	}
	return fmt.Sprintf("%s: %s failure: %v", e.Channel, kind, e.Err)
}

// Unwrap returns the cause and, for a permanent failure, asynq.SkipRetry, so
// errors.Is(err, asynq.SkipRetry) holds end to end.
func (e *Error) Unwrap() []error {
	if e.Permanent {
		return []error{e.Err, asynq.SkipRetry}
	}
	return []error{e.Err}
}

// Permanent wraps err as a permanent failure of channel with the provider's code.
func Permanent(channel, code string, err error) error {
	return &Error{Channel: channel, Code: code, Permanent: true, Err: err}
}

// Transient wraps err as a transient failure of channel with the provider's code.
func Transient(channel, code string, err error) error {
	return &Error{Channel: channel, Code: code, Err: err}
}

// IsPermanent reports whether err is a permanent failure.
func IsPermanent(err error) bool {
	return errors.Is(err, asynq.SkipRetry)
}

// Code returns the provider code carried by err, or "".
func Code(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// Reason returns what a provider said about a failure, without the
// channel and classification that Error adds: "550 mailbox unavailable".
func Reason(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Err != nil {
		return e.Err.Error()
	}
	return err.Error()
}

// ErrNoRetry marks an error that no later try will cure: a step that
// returns it is not tried again. It is asynq.SkipRetry, so the task queue
// sees it as such.
var ErrNoRetry = asynq.SkipRetry

// ErrNoContact reports that the customer has no contact point for a channel.
// It is permanent: the step falls back to its next channel.
var ErrNoContact = errors.New("no contact point")

// Func adapts a function to the Channel interface.
type Func struct {
	ChannelName string
	SendFunc    func(ctx context.Context, m *Message) (Receipt, error)
}

// Name returns the channel name.
func (f Func) Name() string { return f.ChannelName }

// Send calls SendFunc.
func (f Func) Send(ctx context.Context, m *Message) (Receipt, error) { return f.SendFunc(ctx, m) }
