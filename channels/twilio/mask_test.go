package twilio_test

import (
	"testing"

	"github.com/aheadhq/ahead/channels/twilio"
)

func TestMask(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"+31612345678", "+3161****678"},
		{"+14155552671", "+1415****671"},
		{"+442071838750", "+4420*****750"},
		{"whatsapp:+31612345678", "whatsapp:+3161****678"},
		{"+3161234", "********"},
		{"12345", "*****"},
		{"123456789", "12345*789"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := twilio.Mask(tt.in); got != tt.want {
			t.Errorf("Mask(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
