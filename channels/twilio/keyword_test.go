package twilio_test

import (
	"testing"

	"github.com/aheadhq/ahead/channels/twilio"
)

func TestKeyword(t *testing.T) {
	t.Parallel()
	tests := []struct {
		body          string
		optOut, optIn bool
	}{
		{"STOP", true, false},
		{"stop", true, false},
		{"  Stop \n", true, false},
		{"STOPALL", true, false},
		{"unsubscribe", true, false},
		{"Cancel", true, false},
		{"END", true, false},
		{"quit", true, false},
		{"Afmelden", true, false},
		{"START", false, true},
		{" start ", false, true},
		{"unstop", false, true},
		{"AANMELDEN", false, true},
		{"", false, false},
		{"stop met die berichten", false, false},
		{"Ik wil stoppen", false, false},
		{"STOP STOP", false, false},
		{"startup", false, false},
		{"hoi", false, false},
	}
	for _, tt := range tests {
		out, in := twilio.Keyword(tt.body)
		if out != tt.optOut || in != tt.optIn {
			t.Errorf("Keyword(%q) = %v, %v; want %v, %v", tt.body, out, in, tt.optOut, tt.optIn)
		}
	}
}
