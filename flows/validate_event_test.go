package flows

import (
	"slices"
	"strings"
	"testing"
)

func TestValidateEvent(t *testing.T) {
	valid := func() *Event {
		return &Event{
			ID: "evt_8f2c", Type: "subscription.created", CustomerID: "cus_123", Subject: "sub_987",
			Customer: &Customer{
				Name: "Anna", Email: "anna@example.nl", Phone: "+31612345678", WhatsApp: "+31612345678",
				Timezone: "Europe/Amsterdam", Locale: "nl", Formality: "informal",
			},
			Data: map[string]any{"plan": "family"},
		}
	}
	long := strings.Repeat("x", 129)
	tests := []struct {
		name   string
		change func(*Event)
		want   []string
	}{
		{"valid", func(*Event) {}, nil},
		{"no customer", func(e *Event) { e.Customer = nil }, nil},
		{"en-GB and formal", func(e *Event) { e.Customer.Locale, e.Customer.Formality = "en-GB", "formal" }, nil},
		{"empty", func(e *Event) { *e = Event{} }, []string{"id: required", "type: required", "customer_id: required"}},
		{"long ids", func(e *Event) { e.ID, e.CustomerID, e.Subject = long, long, long }, []string{
			"id: longer than 128 bytes", "customer_id: longer than 128 bytes", "subject: longer than 128 bytes",
		}},
		{"type not dotted", func(e *Event) { e.Type = "signup" }, []string{`type: bad event type "signup": want lower-case dotted words like subscription.created`}},
		{"type upper case", func(e *Event) { e.Type = "Subscription.Created" }, []string{`type: bad event type "Subscription.Created": want lower-case dotted words like subscription.created`}},
		{"hash tag in customer id", func(e *Event) { e.CustomerID = "cus_{1}" }, []string{"customer_id: must not contain '{' or '}'"}},
		{"customer id differs", func(e *Event) { e.Customer.ID = "cus_9" }, []string{`customer.id: "cus_9" differs from customer_id "cus_123"`}},
		{"bad zone", func(e *Event) { e.Customer.Timezone = "Europe/Atlantis" }, []string{`customer.timezone: load time zone "Europe/Atlantis": unknown time zone Europe/Atlantis`}},
		{"bad formality", func(e *Event) { e.Customer.Formality = "casual" }, []string{`customer.formality: unknown formality "casual": want informal or formal`}},
		{"bad email", func(e *Event) { e.Customer.Email = "anna.example.nl" }, []string{`customer.email: bad address "anna.example.nl": mail: missing '@' or angle-addr`}},
		{"bad numbers", func(e *Event) { e.Customer.Phone, e.Customer.WhatsApp = "0612345678", "+3161234" }, []string{
			`customer.phone: bad number "0612345678": want E.164, '+' and 8 to 15 digits`,
			`customer.whatsapp: bad number "+3161234": want E.164, '+' and 8 to 15 digits`,
		}},
		{"bad locale", func(e *Event) { e.Customer.Locale = "dutch" }, []string{`customer.locale: bad locale "dutch": want a language like nl or en-GB`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := valid()
			tt.change(ev)
			var got []string
			for _, e := range ValidateEvent(ev) {
				got = append(got, e.Error())
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
	if got := ValidateEvent(nil); len(got) != 1 || got[0].Error() != "event: required" {
		t.Errorf("nil event: %v", got)
	}
}
