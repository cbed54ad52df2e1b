package flows

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/mail"
	"regexp"
	"slices"
	"strings"
	"time"
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

// Bounds of an event's fields. Ids (the event id, the customer id, the
// subject and the event type) are counted in bytes; they make Redis keys.
const (
	maxIDLen        = 128      // bytes
	maxCustomerName = 200      // characters of customer.name
	maxProfileLen   = 320      // characters of every other profile field
	maxDataLen      = 32 << 10 // bytes of data, encoded as JSON
	maxAhead        = 365 * 24 * time.Hour
)

// earliest is the earliest occurred_at accepted.
var earliest = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

var (
	phoneRe  = regexp.MustCompile(`^\+[0-9]{8,15}$`)
	localeRe = regexp.MustCompile(`^[a-z]{2,3}(-[A-Z]{2})?$`)
)

// ValidateEvent checks an event as posted to the API, at the current
// time, and returns one FieldError per problem, or nil when it is valid.
func ValidateEvent(ev *Event) []FieldError { return ValidateEventAt(ev, time.Now()) }

// ValidateEventAt checks an event as posted to the API at now: ids of at
// most 128 bytes, an occurred_at from 2000 on and at most a year after
// now (or none: the time received), data of at most 32 KiB as JSON, and
// the customer block as ValidateCustomer does. It returns one FieldError
// per problem, or nil when the event is valid.
func ValidateEventAt(ev *Event, now time.Time) []FieldError {
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
		add("id", "longer than %d bytes", maxIDLen)
	}
	switch {
	case ev.Type == "":
		add("type", "required")
	case len(ev.Type) > maxIDLen:
		add("type", "longer than %d bytes", maxIDLen)
	case !eventTypeRe.MatchString(ev.Type):
		add("type", "bad event type %q: want lower-case dotted words like subscription.created", ev.Type)
	}
	switch {
	case ev.CustomerID == "":
		add("customer_id", "required")
	case len(ev.CustomerID) > maxIDLen:
		add("customer_id", "longer than %d bytes", maxIDLen)
	case strings.ContainsAny(ev.CustomerID, "{}"):
		add("customer_id", "must not contain '{' or '}'")
	}
	if len(ev.Subject) > maxIDLen {
		add("subject", "longer than %d bytes", maxIDLen)
	}
	switch t := ev.OccurredAt; {
	case t.IsZero():
	case t.Before(earliest):
		add("occurred_at", "%s is before 2000", t.Format(time.RFC3339))
	case t.After(now.Add(maxAhead)):
		add("occurred_at", "%s is more than a year ahead", t.Format(time.RFC3339))
	}
	if len(ev.Data) > 0 {
		if b, err := json.Marshal(ev.Data); err != nil {
			add("data", "cannot be encoded: %v", err)
		} else if len(b) > maxDataLen {
			add("data", "%d bytes as JSON, more than %d (32 KiB)", len(b), maxDataLen)
		}
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
		add("id", "longer than %d bytes", maxIDLen)
	case strings.ContainsAny(c.ID, "{}"):
		add("id", "must not contain '{' or '}'")
	}
	if n := utf8.RuneCountInString(c.Name); n > maxCustomerName {
		add("name", "longer than %d characters", maxCustomerName)
	}
	if utf8.RuneCountInString(c.FirstName) > maxCustomerName {
		add("first_name", "longer than %d characters", maxCustomerName)
	}
	long := map[string]bool{}
	for _, f := range []struct{ name, value string }{
		{"email", c.Email}, {"phone", c.Phone}, {"whatsapp", c.WhatsApp},
		{"timezone", c.Timezone}, {"locale", c.Locale}, {"formality", c.Formality},
	} {
		if utf8.RuneCountInString(f.value) > maxProfileLen {
			add(f.name, "longer than %d characters", maxProfileLen)
			long[f.name] = true
		}
	}
	if c.Email != "" && !long["email"] {
		if _, err := mail.ParseAddress(c.Email); err != nil {
			add("email", "bad address %q: %v", c.Email, err)
		}
	}
	if c.Phone != "" && !long["phone"] && !phoneRe.MatchString(c.Phone) {
		add("phone", "bad number %q: want E.164, '+' and 8 to 15 digits", c.Phone)
	}
	if c.WhatsApp != "" && !long["whatsapp"] && !phoneRe.MatchString(c.WhatsApp) {
		add("whatsapp", "bad number %q: want E.164, '+' and 8 to 15 digits", c.WhatsApp)
	}
	if c.Timezone != "" && !long["timezone"] {
		if _, err := Location(c.Timezone, ""); err != nil {
			add("timezone", "%v", err)
		}
	}
	if c.Locale != "" && !long["locale"] && !localeRe.MatchString(c.Locale) {
		add("locale", "bad locale %q: want a language like nl or en-GB", c.Locale)
	}
	switch c.Formality {
	case "", "informal", "formal":
	default:
		if long["formality"] {
			break
		}
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
