package channeltest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/aheadhq/ahead/channels"
)

// sendTimeout bounds every Send of the suite, so a channel that hangs fails
// instead of stalling the test run.
const sendTimeout = 30 * time.Second

// Harness adapts one channel implementation to the suite.
//
// For every case Run calls New first, then the Fail function the case
// needs, then Message; the Fail functions and Delivered act on the backend
// of the channel New returned last. Cases run one after another.
type Harness struct {
	// New returns a fresh channel wired to its test backend.
	New func(t *testing.T) channels.Channel
	// Message returns a valid message for the channel, with To set. Run
	// gives it a fresh ID, unique to the case.
	Message func(t *testing.T) *channels.Message
	// Delivered reports whether the backend received m, recognised by m.ID.
	Delivered func(t *testing.T, m *channels.Message) bool
	// FailTransient makes the next send fail transiently, e.g. an SMTP 451
	// or an HTTP 503. Nil skips the case.
	FailTransient func(t *testing.T)
	// FailPermanent makes the next send fail permanently, e.g. an SMTP 550
	// or an invalid number. Nil skips the case.
	FailPermanent func(t *testing.T)
}

// Run runs the conformance cases against the channel h wires up, each as a
// subtest: "name", "sent", "sent twice is safe", "transient failure",
// "permanent failure", "context cancelled", "point of no return" (for a
// channels.Committer) and "no contact point".
func Run(t *testing.T, h Harness) {
	t.Helper()
	if h.New == nil || h.Message == nil || h.Delivered == nil {
		t.Fatal("channeltest: Harness needs New, Message and Delivered")
	}

	t.Run("name", func(t *testing.T) {
		ch := h.New(t)
		if name := ch.Name(); !channels.Known(name) {
			t.Errorf("Name() = %q, not a channel a flow may name", name)
		}
	})

	t.Run("sent", func(t *testing.T) {
		ch := h.New(t)
		m := message(t, h)
		if _, err := send(t, ch, m); err != nil {
			t.Fatalf("Send: %v", err)
		}
		if !h.Delivered(t, m) {
			t.Error("Send returned nil but the backend did not receive the message")
		}
	})

	t.Run("sent twice is safe", func(t *testing.T) {
		ch := h.New(t)
		m := message(t, h)
		for i := range 2 {
			if _, err := send(t, ch, m); err != nil {
				t.Fatalf("Send #%d of the same message: %v", i+1, err)
			}
		}
		if !h.Delivered(t, m) {
			t.Error("the backend did not receive the message")
		}
	})

	t.Run("transient failure", func(t *testing.T) {
		if h.FailTransient == nil {
			t.Skip("the harness cannot make a send fail transiently")
		}
		ch := h.New(t)
		h.FailTransient(t)
		m := message(t, h)
		_, err := send(t, ch, m)
		if err == nil {
			t.Fatal("Send succeeded, want a transient failure")
		}
		if channels.IsPermanent(err) {
			t.Fatalf("IsPermanent(%v) = true, want false", err)
		}
		// The failure was for one try; the retry of the same message goes
		// through.
		if _, err := send(t, ch, m); err != nil {
			t.Fatalf("retry after a transient failure: %v", err)
		}
		if !h.Delivered(t, m) {
			t.Error("the retry returned nil but the backend did not receive the message")
		}
	})

	t.Run("permanent failure", func(t *testing.T) {
		if h.FailPermanent == nil {
			t.Skip("the harness cannot make a send fail permanently")
		}
		ch := h.New(t)
		h.FailPermanent(t)
		m := message(t, h)
		_, err := send(t, ch, m)
		if err == nil {
			t.Fatal("Send succeeded, want a permanent failure")
		}
		if !channels.IsPermanent(err) {
			t.Errorf("IsPermanent(%v) = false, want true", err)
		}
		if !errors.Is(err, asynq.SkipRetry) {
			t.Errorf("errors.Is(%v, asynq.SkipRetry) = false, want true", err)
		}
		if h.Delivered(t, m) {
			t.Error("the backend received a message that failed permanently")
		}
	})

	t.Run("context cancelled", func(t *testing.T) {
		ch := h.New(t)
		m := message(t, h)
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		_, err := ch.Send(ctx, m)
		if err == nil {
			t.Fatal("Send with a cancelled context succeeded, want an error")
		}
		if channels.IsPermanent(err) {
			t.Errorf("IsPermanent(%v) = true, want false: a cancelled send is retried", err)
		}
		if h.Delivered(t, m) {
			t.Error("the backend received a message sent with a cancelled context")
		}
		if _, err := send(t, ch, m); err != nil {
			t.Fatalf("Send after a cancelled send: %v", err)
		}
		if !h.Delivered(t, m) {
			t.Error("Send after a cancelled send returned nil but the backend did not receive the message")
		}
	})

	t.Run("point of no return", func(t *testing.T) {
		ch := h.New(t)
		if !channels.CallsCommit(ch) {
			t.Skip("the channel does not mark its point of no return; its caller commits right before Send")
		}
		m := message(t, h)
		var mu sync.Mutex
		calls, early := 0, false
		m.Commit = func() error {
			mu.Lock()
			defer mu.Unlock()
			calls++
			early = early || h.Delivered(t, m)
			return nil
		}
		if _, err := send(t, ch, m); err != nil {
			t.Fatalf("Send: %v", err)
		}
		mu.Lock()
		if calls != 1 || early {
			t.Errorf("Commit called %d times (want 1), after the backend had the message: %v", calls, early)
		}
		mu.Unlock()
		if !h.Delivered(t, m) {
			t.Error("Send returned nil but the backend did not receive the message")
		}

		// A refused commit stops the send: the message never leaves, and a
		// later try may send it.
		m = message(t, h)
		refused := errors.New("refused at the point of no return")
		m.Commit = func() error { return refused }
		_, err := send(t, ch, m)
		if err == nil {
			t.Fatal("Send succeeded although Commit refused")
		}
		if channels.IsPermanent(err) || !errors.Is(err, refused) {
			t.Errorf("Send after a refused Commit: %v; want a transient failure wrapping the refusal", err)
		}
		if h.Delivered(t, m) {
			t.Error("the backend received a message whose Commit was refused")
		}
		m.Commit = nil
		if _, err := send(t, ch, m); err != nil {
			t.Fatalf("Send after a refused Commit: %v", err)
		}
		if !h.Delivered(t, m) {
			t.Error("Send after a refused Commit returned nil but the backend did not receive the message")
		}
	})

	t.Run("no contact point", func(t *testing.T) {
		ch := h.New(t)
		m := message(t, h)
		m.To = ""
		_, err := send(t, ch, m)
		if err == nil {
			t.Fatal("Send without To succeeded, want ErrNoContact")
		}
		if !channels.IsPermanent(err) {
			t.Errorf("IsPermanent(%v) = false, want true", err)
		}
		if !errors.Is(err, channels.ErrNoContact) {
			t.Errorf("errors.Is(%v, channels.ErrNoContact) = false, want true", err)
		}
		if h.Delivered(t, m) {
			t.Error("the backend received a message without a contact point")
		}
	})
}

// message returns the harness's message with a fresh ID.
func message(t *testing.T, h Harness) *channels.Message {
	t.Helper()
	m := h.Message(t)
	if m == nil {
		t.Fatal("channeltest: Harness.Message returned nil")
	}
	if m.To == "" {
		t.Fatal("channeltest: Harness.Message returned a message without To")
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	m.ID = "ct-" + hex.EncodeToString(b[:])
	return m
}

func send(t *testing.T, ch channels.Channel, m *channels.Message) (channels.Receipt, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), sendTimeout)
	defer cancel()
	return ch.Send(ctx, m)
}
