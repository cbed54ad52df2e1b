package flows

import (
	"bytes"
	"encoding/json"
	"reflect"
	"time"
)

// Event is something that happened to a customer, as posted to
// POST /v1/events. ID is the producer's idempotency key.
type Event struct {
	ID         string         `json:"id"`
	Type       string         `json:"type"`
	CustomerID string         `json:"customer_id"`
	OccurredAt time.Time      `json:"occurred_at"`
	Subject    string         `json:"subject,omitempty"`
	Customer   *Customer      `json:"customer,omitempty"`
	Data       map[string]any `json:"data,omitempty"`
}

// Customer is a customer's profile: contact points, time zone, language and
// tone. In an event it is a partial profile; empty fields leave the stored
// profile as it is.
type Customer struct {
	ID   string `json:"id,omitempty"`
	Name string `json:"name,omitempty"`
	// FirstName is the name to greet the customer by ("Anna"), where Name
	// is the full name ("Anna de Vries").
	FirstName string `json:"first_name,omitempty"`
	Email     string `json:"email,omitempty"`
	Phone     string `json:"phone,omitempty"`
	WhatsApp  string `json:"whatsapp,omitempty"`
	Timezone  string `json:"timezone,omitempty"`
	Locale    string `json:"locale,omitempty"`
	Formality string `json:"formality,omitempty"`
	// Consent records the customer's word per channel: "granted" (explicit
	// consent, which marketing flows need) or "revoked" (an opt-out, which
	// stops every flow on that channel). A key "marketing.CHANNEL" is the
	// word on marketing alone: "revoked" stops marketing flows on the
	// channel and leaves service flows alone.
	Consent Consent `json:"consent,omitempty"`
}

// Consent maps a channel to the customer's word on it.
type Consent map[string]string

// UnmarshalJSON reads a consent object; a value that is not a string is
// reported with its channel (customer.consent.sms).
func (c *Consent) UnmarshalJSON(b []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	out := make(Consent, len(raw))
	for k, v := range raw {
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return &json.UnmarshalTypeError{Value: jsonKind(v), Type: reflect.TypeOf(""), Field: k}
		}
		out[k] = s
	}
	*c = out
	return nil
}

// jsonKind names the kind of a JSON value as encoding/json does.
func jsonKind(v json.RawMessage) string {
	switch t := bytes.TrimSpace(v); {
	case len(t) == 0:
		return "value"
	case t[0] == '{':
		return "object"
	case t[0] == '[':
		return "array"
	case t[0] == 't' || t[0] == 'f':
		return "bool"
	case t[0] == 'n':
		return "null"
	}
	return "number"
}

// Consent values.
const (
	ConsentGranted = "granted"
	ConsentRevoked = "revoked"
)

// MarketingPrefix starts a consent key about marketing only:
// "marketing.email" is the customer's word on marketing over email, where
// "email" is their word on every message over email.
const MarketingPrefix = "marketing."

// MarketingConsent returns the consent key for marketing over channel.
func MarketingConsent(channel string) string { return MarketingPrefix + channel }

// Merge copies the non-empty fields of p onto c.
func (c *Customer) Merge(p *Customer) {
	if p == nil {
		return
	}
	set := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	set(&c.Name, p.Name)
	set(&c.FirstName, p.FirstName)
	set(&c.Email, p.Email)
	set(&c.Phone, p.Phone)
	set(&c.WhatsApp, p.WhatsApp)
	set(&c.Timezone, p.Timezone)
	set(&c.Locale, p.Locale)
	set(&c.Formality, p.Formality)
	for ch, v := range p.Consent {
		if c.Consent == nil {
			c.Consent = Consent{}
		}
		c.Consent[ch] = v
	}
}
