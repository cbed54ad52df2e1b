package flows

import (
	"fmt"
	"maps"
	"net/mail"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"
)

// FieldError is one problem with one field of an event. Field is the JSON
// path, e.g. "customer.timezone".
type FieldError struct {
	Field string `json:"field"`
	Msg   string `json:"message"`
}

// Error returns "field: message".
func (e FieldError) Error() string { return e.Field + ": " + e.Msg }

// maxIDLen is the longest event id, customer id or subject accepted.
const maxIDLen = 200

// maxCustomerNameLen is the longest name or first name accepted, in characters.
const maxCustomerNameLen = 200

var (
	phoneRe  = regexp.MustCompile(`^\+[0-9]{8,15}$`)
	localeRe = regexp.MustCompile(`^[a-z]{2,3}(-[A-Z]{2})?$`)
)

// ValidateEvent checks an event as posted to the API and returns one
// FieldError per problem, or nil when it is valid.
func ValidateEvent(ev *Event) []FieldError {
	var errs []FieldError
	add := func(field, format string, args ...any) {
		errs = append(errs, FieldError{Field: field, Msg: fmt.Sprintf(format, args...)})
	}
	if ev == nil {
		return []FieldError{{Field: "event", Msg: "required"}}
	}
	switch {
	case ev.ID == "":
		add("id", "required")
	case len(ev.ID) > maxIDLen:
		add("id", "longer than %d characters", maxIDLen)
	}
	switch {
	case ev.Type == "":
		add("type", "required")
	case !eventTypeRe.MatchString(ev.Type):
		add("type", "bad event type %q: want lower-case dotted words like subscription.created", ev.Type)
	}
	switch {
	case ev.CustomerID == "":
		add("customer_id", "required")
	case len(ev.CustomerID) > maxIDLen:
		add("customer_id", "longer than %d characters", maxIDLen)
	case strings.ContainsAny(ev.CustomerID, "{}"):
		add("customer_id", "must not contain '{' or '}'")
	}
	if len(ev.Subject) > maxIDLen {
		add("subject", "longer than %d characters", maxIDLen)
	}
	if c := ev.Customer; c != nil {
		for _, e := range ValidateCustomer(c) {
			add("customer."+e.Field, "%s", e.Msg)
		}
		if c.ID != "" && ev.CustomerID != "" && c.ID != ev.CustomerID {
			add("customer.id", "%q differs from customer_id %q", c.ID, ev.CustomerID)
		}
	}
	return errs
}

// ValidateCustomer checks a (partial) customer profile; empty fields are
// valid. Field names are the JSON names without a prefix ("timezone").
func ValidateCustomer(c *Customer) []FieldError {
	var errs []FieldError
	add := func(field, format string, args ...any) {
		errs = append(errs, FieldError{Field: field, Msg: fmt.Sprintf(format, args...)})
	}
	switch {
	case len(c.ID) > maxIDLen:
		add("id", "longer than %d characters", maxIDLen)
	case strings.ContainsAny(c.ID, "{}"):
		add("id", "must not contain '{' or '}'")
	}
	if utf8.RuneCountInString(c.Name) > maxCustomerNameLen {
		add("name", "longer than %d characters", maxCustomerNameLen)
	}
	if utf8.RuneCountInString(c.FirstName) > maxCustomerNameLen {
		add("first_name", "longer than %d characters", maxCustomerNameLen)
	}
	if c.Email != "" {
		if _, err := mail.ParseAddress(c.Email); err != nil {
			add("email", "bad address %q: %v", c.Email, err)
		}
	}
	if c.Phone != "" && !phoneRe.MatchString(c.Phone) {
		add("phone", "bad number %q: want E.164, '+' and 8 to 15 digits", c.Phone)
	}
	if c.WhatsApp != "" && !phoneRe.MatchString(c.WhatsApp) {
		add("whatsapp", "bad number %q: want E.164, '+' and 8 to 15 digits", c.WhatsApp)
	}
	if c.Timezone != "" {
		if _, err := Location(c.Timezone, ""); err != nil {
			add("timezone", "%v", err)
		}
	}
	if c.Locale != "" && !localeRe.MatchString(c.Locale) {
		add("locale", "bad locale %q: want a language like nl or en-GB", c.Locale)
	}
	switch c.Formality {
	case "", "informal", "formal":
	default:
		add("formality", "unknown formality %q: want informal or formal", c.Formality)
	}
	for _, key := range slices.Sorted(maps.Keys(c.Consent)) {
		ch := strings.TrimPrefix(key, MarketingPrefix)
		switch v := c.Consent[key]; {
		case ch != "email" && ch != "sms" && ch != "whatsapp" && ch != "callback":
			add("consent."+key, "unknown channel (want email, sms, whatsapp or callback, alone or as marketing.CHANNEL)")
		case v != ConsentGranted && v != ConsentRevoked:
			add("consent."+key, "unknown value %q: want granted or revoked", v)
		}
	}
	return errs
}
