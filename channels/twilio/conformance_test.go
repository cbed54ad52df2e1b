package twilio_test

import (
	"net/url"
	"testing"

	"github.com/aheadhq/ahead/channels"
	"github.com/aheadhq/ahead/channels/channeltest"
)

// TestConformance runs the shared channel suite for the SMS channel against
// the fake Twilio. A message counts as delivered when the fake accepted a
// request whose status callback URL names its intervention.
func TestConformance(t *testing.T) {
	t.Parallel()
	var f *fakeTwilio
	channeltest.Run(t, channeltest.Harness{
		New: func(t *testing.T) channels.Channel {
			f = startFake(t)
			return newSMS(t, f.config())
		},
		Message: func(*testing.T) *channels.Message { return message() },
		Delivered: func(t *testing.T, m *channels.Message) bool {
			for _, r := range f.requests() {
				if !r.Accepted {
					continue
				}
				u, err := url.Parse(r.Form.Get("StatusCallback"))
				if err != nil {
					t.Fatalf("StatusCallback: %v", err)
				}
				if u.Query().Get("intervention") == m.ID {
					return true
				}
			}
			return false
		},
		FailTransient: func(*testing.T) {
			f.failCode(503, 20503, "Service Unavailable")
		},
		FailPermanent: func(*testing.T) {
			f.failCode(400, 21211, "The 'To' number +31612345678 is not a valid phone number.")
		},
	})
}
