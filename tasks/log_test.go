package tasks

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/aheadhq/ahead/channels"
)

// syncBuffer is a bytes.Buffer safe for the logger's concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// A failed intervention is logged at warn level with its flow, step and
// reason, the customer's number and address masked.
func TestFailedIsLoggedMasked(t *testing.T) {
	t.Parallel()
	var logs syncBuffer
	b := setup(t, func(o *Options) { o.Log = slog.New(slog.NewTextHandler(&logs, nil)) })
	b.sms.failWith(channels.Permanent(channels.SMS, "21211", errors.New("the 'To' number +31612345678 is not valid")))
	b.email.failWith(channels.Permanent(channels.Email, "550", errors.New("<anna@example.nl>: mailbox unavailable")))
	id := b.invoice(t, "cus_1", anna())
	if err := b.step("cus_1", id); err != nil && !channels.IsPermanent(err) {
		t.Fatalf("step: %v", err)
	}
	out := logs.String()
	var line string
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, `msg="intervention failed"`) {
			line = l
		}
	}
	for _, want := range []string{"level=WARN", "flow=welcome", "step=invoice", "intervention=" + id, "a***@example.nl"} {
		if !strings.Contains(line, want) {
			t.Errorf("failure log %q lacks %q", line, want)
		}
	}
	for _, secret := range []string{"+31612345678", "anna@example.nl"} {
		if strings.Contains(out, secret) {
			t.Errorf("the logs hold %s:\n%s", secret, out)
		}
	}
}
