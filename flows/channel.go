package flows

// Names of the channels a step may use. The channels package implements
// them; the names belong to the flow model, so that flows can be loaded and
// checked without any channel's provider code.
const (
	Email    = "email"
	SMS      = "sms"
	WhatsApp = "whatsapp"
	Callback = "callback"
	Outbox   = "outbox"
	Webhook  = "webhook"
)

// KnownChannel reports whether name is a channel a flow may name.
func KnownChannel(name string) bool {
	switch name {
	case Email, SMS, WhatsApp, Callback, Outbox, Webhook:
		return true
	}
	return false
}
