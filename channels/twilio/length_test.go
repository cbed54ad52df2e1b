package twilio_test

import (
	"context"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/aheadhq/ahead/channels"
)

// A text longer than Twilio takes (1,600 characters) is a permanent
// failure that names the limit, refused without a request; one of 1,600
// characters goes out.
func TestSendTextLimit(t *testing.T) {
	t.Parallel()
	f := startFake(t)
	sms := newSMS(t, f.config())
	m := message()
	m.Text = strings.Repeat("€", 1601)
	_, err := sms.Send(context.Background(), m)
	if err == nil || !channels.IsPermanent(err) {
		t.Fatalf("Send of 1,601 characters: %v, want a permanent failure", err)
	}
	if !strings.Contains(err.Error(), "1601 characters") || !strings.Contains(err.Error(), "at most 1600") {
		t.Errorf("error %q does not name the length and the limit", err)
	}
	if n := len(f.requests()); n != 0 {
		t.Fatalf("%d requests to Twilio, want none", n)
	}
	m.Text = strings.Repeat("€", 1600)
	if _, err := sms.Send(context.Background(), m); err != nil {
		t.Fatalf("Send of 1,600 characters: %v", err)
	}
	if got := f.last(t).Form.Get("Body"); utf8.RuneCountInString(got) != 1600 {
		t.Errorf("Twilio got %d characters, want 1600", utf8.RuneCountInString(got))
	}
}
