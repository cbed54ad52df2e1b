package email_test

import (
	"testing"

	"github.com/aheadhq/ahead/channels"
	"github.com/aheadhq/ahead/channels/channeltest"
	"github.com/aheadhq/ahead/internal/smtptest"
)

func TestConformance(t *testing.T) {
	t.Parallel()
	var srv *smtptest.Server
	channeltest.Run(t, channeltest.Harness{
		New: func(t *testing.T) channels.Channel {
			ch, s := setup(t)
			srv = s
			return ch
		},
		Message: func(*testing.T) *channels.Message { return message() },
		Delivered: func(t *testing.T, m *channels.Message) bool {
			want := "<" + m.ID + "@ahead.example.com>"
			for _, got := range srv.Messages() {
				if parse(t, got.Data).Header.Get("Message-ID") == want {
					return true
				}
			}
			return false
		},
		FailTransient: func(*testing.T) { srv.FailRcpt(451, "4.3.0 try again later") },
		FailPermanent: func(*testing.T) { srv.FailRcpt(550, "5.1.1 no such user") },
	})
}
