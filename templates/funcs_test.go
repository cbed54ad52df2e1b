package templates

import (
	"testing"
	"time"
)

func TestFormatDate(t *testing.T) {
	t.Parallel()
	ams, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		locale string
		in     any
		want   string
		err    string
	}{
		{locale: "nl", in: "2026-11-30", want: "30 november 2026"},
		{locale: "nl-BE", in: "2026-03-01", want: "1 maart 2026"},
		{locale: "en", in: "2026-11-30", want: "30 November 2026"},
		{locale: "en-GB", in: "2026-11-30", want: "30 November 2026"},
		{locale: "en-US", in: "2026-11-30", want: "November 30, 2026"},
		{locale: "de", in: "2026-11-30", want: "2026-11-30"},
		// The date of an RFC 3339 time is the date at its own offset.
		{locale: "nl", in: "2026-11-30T23:30:00-01:00", want: "30 november 2026"},
		{locale: "nl", in: time.Date(2026, 12, 1, 0, 30, 0, 0, ams), want: "1 december 2026"},
		{locale: "nl", in: "30-11-2026", err: `date: "30-11-2026" is not a date like 2026-11-30`},
		{locale: "nl", in: nil, err: "date: no value"},
		{locale: "nl", in: 42, err: "date: a int is not a date"},
	}
	for _, tt := range tests {
		got, err := formatDate(tt.locale, tt.in)
		if tt.err != "" {
			if err == nil || err.Error() != tt.err {
				t.Errorf("formatDate(%q, %v) error = %v, want %q", tt.locale, tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("formatDate(%q, %v) = %q, %v; want %q", tt.locale, tt.in, got, err, tt.want)
		}
	}
}

func TestFormatMoney(t *testing.T) {
	t.Parallel()
	tests := []struct {
		locale string
		in     any
		want   string
		err    string
	}{
		{locale: "nl", in: "23.95", want: "23,95"},
		{locale: "en", in: "23.95", want: "23.95"},
		{locale: "nl", in: "23.9", want: "23,90"},
		{locale: "nl", in: 23.9, want: "23,90"},
		{locale: "nl", in: 24, want: "24,00"},
		{locale: "nl", in: "1234567.5", want: "1.234.567,50"},
		{locale: "en", in: "1234567.5", want: "1,234,567.50"},
		{locale: "en", in: "999.995", want: "1,000.00"},
		{locale: "nl", in: "-12.345", want: "-12,35"},
		{locale: "nl", in: "0.004", want: "0,00"},
		{locale: "nl", in: "-0.004", want: "0,00"},
		{locale: "nl", in: "23,95", err: `money: "23,95" is not an amount like 23.95`},
		{locale: "nl", in: "1/3", err: `money: "1/3" is not an amount like 23.95`},
		{locale: "nl", in: "1e3", err: `money: "1e3" is not an amount like 23.95`},
		{locale: "nl", in: nil, err: "money: no value"},
		{locale: "nl", in: true, err: "money: a bool is not an amount"},
	}
	for _, tt := range tests {
		got, err := formatMoney(tt.locale, tt.in)
		if tt.err != "" {
			if err == nil || err.Error() != tt.err {
				t.Errorf("formatMoney(%q, %v) error = %v, want %q", tt.locale, tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("formatMoney(%q, %v) = %q, %v; want %q", tt.locale, tt.in, got, err, tt.want)
		}
	}
}
