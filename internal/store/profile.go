package store

// Profile fields. Besides the customer block of events (name, first_name, email,
// phone, whatsapp, timezone, locale, formality), a profile holds the
// customer's word per channel and what ahead learnt about the customer.
const (
	FieldName      = "name"
	FieldFirstName = "first_name"
	FieldEmail     = "email"
	FieldPhone     = "phone"
	FieldWhatsApp  = "whatsapp"
	FieldTimezone  = "timezone"
	FieldLocale    = "locale"
	FieldFormality = "formality"
	// FieldPhoneInvalid records, as an RFC 3339 time, that an agent found
	// the customer's phone number wrong.
	FieldPhoneInvalid = "phone_invalid"
	// FieldLastInbound is when the customer last sent a message, on any
	// channel; LastInboundField(channel) on one.
	FieldLastInbound = "last_inbound_at"
)

// ConsentField is the field that records, with its time, a customer's
// explicit consent to marketing over channel.
func ConsentField(channel string) string { return consentPrefix + channel }

// OptOutField is the field that records, with its time, a customer's
// opt-out from every message over channel.
func OptOutField(channel string) string { return optOutPrefix + channel }

// MarketingOptOutField is the field that records, with its time, a
// customer's opt-out from marketing over channel. It starts like an
// OptOutField: match it first.
func MarketingOptOutField(channel string) string { return marketingOptOutPrefix + channel }

// LastInboundField is the field that records when the customer last sent
// a message over channel.
func LastInboundField(channel string) string { return "last_inbound_" + channel + "_at" }
