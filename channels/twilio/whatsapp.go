package twilio

import (
	"context"
	"errors"
)

// WhatsAppContent is an approved WhatsApp content template: its SID (HX…)
// and the values of its variables, as Twilio's ContentSid and
// ContentVariables.
type WhatsAppContent struct {
	SID       string
	Variables map[string]string
}

// ErrOutsideWindow is the permanent failure of a WhatsApp message that has
// to be a template (the customer's 24-hour service window is closed) when
// there is none.
var ErrOutsideWindow = errors.New("outside WhatsApp window, no template")

type whatsappKey struct{}

type whatsappState struct {
	content     *WhatsAppContent
	sessionOpen bool
}

// WithContent returns a ctx that tells the WhatsApp channel's Send how to
// send: sessionOpen says that the customer's 24-hour service window is open
// (they sent a WhatsApp message in the last 24 hours), and content is the
// approved template for the message, nil when there is none.
//
// Inside the window Send sends the message's text, or the template when
// the text is empty. Outside it Send sends the template, and without one
// fails permanently with ErrOutsideWindow. A ctx without WithContent counts
// as outside the window without a template. The SMS channel ignores it.
func WithContent(ctx context.Context, content *WhatsAppContent, sessionOpen bool) context.Context {
	return context.WithValue(ctx, whatsappKey{}, whatsappState{content: content, sessionOpen: sessionOpen})
}

// contentFrom returns what WithContent stored in ctx.
func contentFrom(ctx context.Context) whatsappState {
	s, _ := ctx.Value(whatsappKey{}).(whatsappState)
	if s.content != nil && s.content.SID == "" {
		s.content = nil
	}
	return s
}
