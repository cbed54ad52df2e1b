package twilio

import (
	"errors"

	"github.com/aheadhq/ahead/channels"
)

// WhatsAppContent is an approved WhatsApp content template (see
// channels.Message.Content).
type WhatsAppContent = channels.Content

// ErrOutsideWindow is the permanent failure of a WhatsApp message that has
// to be a template (the customer's 24-hour service window is closed) when
// there is none.
//
// Inside the window Send sends the message's text, or the template when
// the text is empty. Outside it Send sends the template, and without one
// fails permanently with ErrOutsideWindow. The SMS channel ignores both.
var ErrOutsideWindow = errors.New("outside WhatsApp window, no template")

// content returns m's approved template, nil when it has none.
func content(m *channels.Message) *WhatsAppContent {
	if m.Content == nil || m.Content.SID == "" {
		return nil
	}
	return m.Content
}
