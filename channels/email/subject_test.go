package email_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

// A subject longer than a line may be (998 octets) is folded: every line
// of the message stays within the limit, and the subject reads back as it
// was rendered.
func TestSendLongSubjectIsFolded(t *testing.T) {
	t.Parallel()
	for name, subject := range map[string]string{
		"one long word":      strings.Repeat("a", 2000),
		"long words, spaced": strings.Repeat("b", 1200) + " " + strings.Repeat("c", 1200),
		"not ascii":          "Factuur " + strings.Repeat("€", 700),
		"spaces":             strings.Repeat("word ", 400) + "end",
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ch, srv := setup(t)
			m := message()
			m.Subject = subject
			if _, err := ch.Send(context.Background(), m); err != nil {
				t.Fatalf("Send: %v", err)
			}
			data := srv.WaitFor(t, 1, 10*time.Second)[0].Data
			for i, line := range bytes.Split(data, []byte("\r\n")) {
				if len(line) > 998 {
					t.Fatalf("line %d has %d octets, more than 998: %.60s…", i+1, len(line), line)
				}
			}
			if got := decodeHeader(t, parse(t, data).Header, "Subject"); got != subject {
				t.Errorf("subject reads back as %.80q…, want %.80q…", got, subject)
			}
		})
	}
}
