package channeltest_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"github.com/aheadhq/ahead/channels"
	"github.com/aheadhq/ahead/channels/channeltest"
)

// backend is an in-memory provider that keeps the channel contract, or
// breaks one rule of it when told to.
type backend struct {
	broken string

	mu        sync.Mutex
	delivered map[string]int
	failNext  error
}

func (b *backend) Name() string {
	if b.broken == "unknown name" {
		return "pigeon"
	}
	return channels.Outbox
}

func (b *backend) Send(ctx context.Context, m *channels.Message) (channels.Receipt, error) {
	if err := ctx.Err(); err != nil && b.broken != "ignores cancel" {
		return channels.Receipt{}, channels.Transient(channels.Outbox, "", err)
	}
	if m.To == "" && b.broken != "accepts no contact" {
		return channels.Receipt{}, channels.Permanent(channels.Outbox, "", channels.ErrNoContact)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.failNext; err != nil {
		if b.broken != "sticky failure" {
			b.failNext = nil
		}
		return channels.Receipt{}, err
	}
	if b.broken == "loses messages" {
		return channels.Receipt{}, nil
	}
	if b.delivered[m.ID] > 0 && b.broken == "rejects repeats" {
		return channels.Receipt{}, errors.New("duplicate")
	}
	b.delivered[m.ID]++
	return channels.Receipt{ProviderID: m.ID}, nil
}

func (b *backend) fail(err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.failNext = err
}

func harness(broken string) channeltest.Harness {
	var b *backend
	return channeltest.Harness{
		New: func(*testing.T) channels.Channel {
			b = &backend{broken: broken, delivered: map[string]int{}}
			return b
		},
		Message: func(*testing.T) *channels.Message {
			return &channels.Message{ID: "iv_1", CustomerID: "cus_1", Channel: channels.Outbox, To: "anna@example.nl", Text: "hoi"}
		},
		Delivered: func(_ *testing.T, m *channels.Message) bool {
			b.mu.Lock()
			defer b.mu.Unlock()
			return b.delivered[m.ID] > 0
		},
		FailTransient: func(*testing.T) {
			b.fail(channels.Transient(channels.Outbox, "503", errors.New("unavailable")))
		},
		FailPermanent: func(*testing.T) {
			err := channels.Permanent(channels.Outbox, "21211", errors.New("invalid number"))
			if broken == "permanent as plain error" {
				err = errors.New("invalid number")
			}
			b.fail(err)
		},
	}
}

func TestRun(t *testing.T) {
	t.Parallel()
	channeltest.Run(t, harness(""))
}

func TestRunSkipsWithoutFail(t *testing.T) {
	t.Parallel()
	h := harness("")
	h.FailTransient, h.FailPermanent = nil, nil
	channeltest.Run(t, h)
}

// TestRunCatches runs the suite against channels that each break one rule,
// in a child process, and checks that the suite fails the right case.
func TestRunCatches(t *testing.T) {
	t.Parallel()
	tests := []struct{ broken, failing string }{
		{"unknown name", "name"},
		{"loses messages", "sent"},
		{"rejects repeats", "sent_twice_is_safe"},
		{"sticky failure", "transient_failure"},
		{"permanent as plain error", "permanent_failure"},
		{"ignores cancel", "context_cancelled"},
		{"accepts no contact", "no_contact_point"},
	}
	for _, tt := range tests {
		t.Run(tt.broken, func(t *testing.T) {
			t.Parallel()
			cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestBrokenChild$", "-test.v")
			cmd.Env = append(os.Environ(), "CHANNELTEST_BROKEN="+tt.broken)
			out, err := cmd.CombinedOutput()
			var exit *exec.ExitError
			if !errors.As(err, &exit) {
				t.Fatalf("child run of a broken channel: err = %v, want a failed test\n%s", err, out)
			}
			if want := "--- FAIL: TestBrokenChild/" + tt.failing + " "; !strings.Contains(string(out), want) {
				t.Errorf("output lacks %q:\n%s", want, out)
			}
		})
	}
}

// TestBrokenChild is run by TestRunCatches in a child process.
func TestBrokenChild(t *testing.T) {
	broken := os.Getenv("CHANNELTEST_BROKEN")
	if broken == "" {
		t.Skip("run by TestRunCatches")
	}
	channeltest.Run(t, harness(broken))
}
