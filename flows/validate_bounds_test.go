package flows

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// An event's fields are bounded, and each field over its bound is named.
func TestValidateEventBounds(t *testing.T) {
	now := time.Date(2030, 6, 1, 12, 0, 0, 0, time.UTC)
	valid := func() *Event {
		return &Event{
			ID: "evt_1", Type: "order.shipped", CustomerID: "cus_1", Subject: "ord_1", OccurredAt: now,
			Customer: &Customer{Name: "Anna", Email: "anna@example.nl"},
			Data:     map[string]any{"plan": "family"},
		}
	}
	tests := []struct {
		name   string
		change func(*Event)
		want   []string
	}{
		{"at the bounds", func(e *Event) {
			e.ID = strings.Repeat("i", 128)
			e.CustomerID = strings.Repeat("c", 128)
			e.Subject = strings.Repeat("é", 64) // 128 bytes
			e.Customer.Name = strings.Repeat("ö", 200)
			e.Data = map[string]any{"text": strings.Repeat("d", 32<<10-len(`{"text":""}`))}
			e.OccurredAt = now.Add(365 * 24 * time.Hour)
		}, nil},
		{"ids over 128 bytes", func(e *Event) {
			e.ID = strings.Repeat("i", 129)
			e.CustomerID = strings.Repeat("c", 129)
			e.Subject = strings.Repeat("é", 65)
			e.Customer.ID = strings.Repeat("c", 129)
		}, []string{
			"id: longer than 128 bytes", "customer_id: longer than 128 bytes", "subject: longer than 128 bytes",
			"customer.id: longer than 128 bytes",
		}},
		{"name over 200 characters", func(e *Event) { e.Customer.Name = strings.Repeat("ö", 201) }, []string{
			"customer.name: longer than 200 characters",
		}},
		{"profile strings over 320 characters", func(e *Event) {
			e.Customer.Email = strings.Repeat("a", 310) + "@example.nl"
			e.Customer.Timezone = strings.Repeat("Z", 321)
			e.Customer.Locale = strings.Repeat("l", 321)
		}, []string{
			"customer.email: longer than 320 characters", "customer.timezone: longer than 320 characters",
			"customer.locale: longer than 320 characters",
		}},
		{"data over 32 KiB", func(e *Event) {
			e.Data = map[string]any{"text": strings.Repeat("d", 32<<10)}
		}, []string{"data: 32779 bytes as JSON, more than 32768 (32 KiB)"}},
		{"occurred before 2000", func(e *Event) {
			e.OccurredAt = time.Date(1999, 12, 31, 23, 59, 59, 0, time.UTC)
		}, []string{"occurred_at: 1999-12-31T23:59:59Z is before 2000"}},
		{"occurred more than a year ahead", func(e *Event) {
			e.OccurredAt = now.Add(365*24*time.Hour + time.Second)
		}, []string{"occurred_at: 2031-06-01T12:00:01Z is more than a year ahead"}},
		{"no occurred_at: the time received", func(e *Event) { e.OccurredAt = time.Time{} }, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := valid()
			tt.change(ev)
			var got []string
			for _, e := range ValidateEventAt(ev, now) {
				got = append(got, e.Error())
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}
