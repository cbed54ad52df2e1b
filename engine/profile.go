package engine

import (
	"strings"
	"time"

	"github.com/aheadhq/ahead/flows"
	"github.com/aheadhq/ahead/internal/store"
)

// Profile is a stored profile read into its parts: the customer as flows
// and templates see them, the customer's word per channel, and what ahead
// learnt about the customer.
type Profile struct {
	*flows.Customer
	// OptedOut and Consented name the channels the customer opted out of
	// (every message over them), and those with explicit marketing consent.
	OptedOut, Consented map[string]bool
	// MarketingOptedOut names the channels the customer opted out of
	// marketing on; service messages still go over them.
	MarketingOptedOut map[string]bool
	// PhoneInvalid says an agent found the phone number wrong.
	PhoneInvalid bool
	// LastInbound is when the customer last wrote, on any channel;
	// LastInboundOn per channel. Zero when never.
	LastInbound   time.Time
	LastInboundOn map[string]time.Time
}

// ReadProfile reads the stored profile p of customer cus.
func ReadProfile(cus string, p store.Profile) *Profile {
	out := &Profile{
		Customer: &flows.Customer{
			ID: cus, Name: p[store.FieldName], FirstName: p[store.FieldFirstName], Email: p[store.FieldEmail], Phone: p[store.FieldPhone], WhatsApp: p[store.FieldWhatsApp],
			Timezone: p[store.FieldTimezone], Locale: p[store.FieldLocale], Formality: p[store.FieldFormality],
		},
		OptedOut: map[string]bool{}, Consented: map[string]bool{}, MarketingOptedOut: map[string]bool{}, LastInboundOn: map[string]time.Time{},
		PhoneInvalid: p[store.FieldPhoneInvalid] != "",
	}
	out.LastInbound, _ = time.Parse(time.RFC3339Nano, p[store.FieldLastInbound])
	for _, ch := range []string{flows.SMS, flows.WhatsApp} {
		if t, err := time.Parse(time.RFC3339Nano, p[store.LastInboundField(ch)]); err == nil {
			out.LastInboundOn[ch] = t
		}
	}
	for k := range p {
		if ch, ok := strings.CutPrefix(k, store.ConsentField("")); ok {
			out.Consented[ch] = true
		} else if ch, ok := strings.CutPrefix(k, store.MarketingOptOutField("")); ok {
			out.MarketingOptedOut[ch] = true
		} else if ch, ok := strings.CutPrefix(k, store.OptOutField("")); ok {
			out.OptedOut[ch] = true
		}
	}
	c := out.Customer
	for ch := range out.Consented {
		if c.Consent == nil {
			c.Consent = map[string]string{}
		}
		c.Consent[ch] = flows.ConsentGranted
	}
	for ch := range out.OptedOut {
		if c.Consent == nil {
			c.Consent = map[string]string{}
		}
		c.Consent[ch] = flows.ConsentRevoked
	}
	for ch := range out.MarketingOptedOut {
		if c.Consent == nil {
			c.Consent = map[string]string{}
		}
		c.Consent[flows.MarketingConsent(ch)] = flows.ConsentRevoked
	}
	return out
}

// ProfileOf turns a stored profile into a customer.
func ProfileOf(cus string, p store.Profile) *flows.Customer { return ReadProfile(cus, p).Customer }

// ConsentOf turns a customer block's consent into what store.SetConsent takes.
func ConsentOf(c *flows.Customer) map[string]bool {
	if c == nil || len(c.Consent) == 0 {
		return nil
	}
	out := make(map[string]bool, len(c.Consent))
	for ch, v := range c.Consent {
		out[ch] = v == flows.ConsentGranted
	}
	return out
}

// ProfileFields turns a customer block into stored profile fields.
func ProfileFields(c *flows.Customer) store.Profile {
	if c == nil {
		return store.Profile{}
	}
	return store.Profile{
		store.FieldName: c.Name, store.FieldFirstName: c.FirstName, store.FieldEmail: c.Email, store.FieldPhone: c.Phone, store.FieldWhatsApp: c.WhatsApp,
		store.FieldTimezone: c.Timezone, store.FieldLocale: c.Locale, store.FieldFormality: c.Formality,
	}
}

// ContactPoint returns the customer's address for a channel, or "".
func ContactPoint(channel string, c *flows.Customer) string {
	switch channel {
	case flows.Email:
		return c.Email
	case flows.SMS, flows.Callback:
		return c.Phone
	case flows.WhatsApp:
		if c.WhatsApp != "" {
			return c.WhatsApp
		}
		return c.Phone
	case flows.Outbox:
		for _, v := range []string{c.Email, c.Phone, c.WhatsApp} {
			if v != "" {
				return v
			}
		}
		return c.ID
	}
	return c.ID
}
