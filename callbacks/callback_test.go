package callbacks_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/aheadhq/ahead/callbacks"
	"github.com/aheadhq/ahead/channels"
	"github.com/aheadhq/ahead/channels/channeltest"
	"github.com/aheadhq/ahead/internal/clock"
	"github.com/aheadhq/ahead/internal/redistest"
	"github.com/aheadhq/ahead/internal/store"
)

func message(id string) *channels.Message {
	return &channels.Message{
		ID: id, CustomerID: "cus_ny", Flow: "welcome", Step: "call", Channel: channels.Callback,
		To: "+12125550100", Name: "Anna", Text: "Ask how the first days went.", Queue: "retention",
		Due: tuesday10,
	}
}

func TestSendKeepsWindowZoneAndDeadline(t *testing.T) {
	t.Parallel()
	b := setup(t, tuesday10)
	if err := b.st.UpsertProfile(b.ctx, "cus_ny", store.Profile{"timezone": "America/New_York"}); err != nil {
		t.Fatal(err)
	}
	ch := b.q.Channel()
	rc, err := ch.Send(b.ctx, message("iv_1"))
	if err != nil || rc.ProviderID != "callback:iv_1" {
		t.Fatalf("Send = %+v, %v", rc, err)
	}
	cb := b.get("iv_1")
	if cb.Window != "mon-fri 09:00-17:00" || cb.Timezone != "America/New_York" || !cb.Due.Equal(tuesday10) ||
		!cb.Deadline.Equal(tuesday10.Add(72*time.Hour)) || cb.State != store.CallbackQueued || cb.Queue != "retention" ||
		cb.TalkingPoint != "Ask how the first days went." || cb.Phone != "+12125550100" {
		t.Fatalf("stored %+v", cb)
	}
	// 10:00 in Amsterdam is 04:00 in New York: not callable until 15:00.
	if b.q.Callable(cb, tuesday10) {
		t.Error("callable outside the customer's window")
	}
	if !b.q.Callable(cb, local(t, "2026-11-24 15:00")) || b.q.Callable(cb, local(t, "2026-11-24 17:00")) {
		t.Error("not callable when both the queue and the customer's window are open")
	}

	// A queue queues.yaml does not define is a permanent failure.
	m := message("iv_2")
	m.Queue = "sales"
	if _, err := ch.Send(b.ctx, m); !channels.IsPermanent(err) || !errors.Is(err, callbacks.ErrUnknownQueue) {
		t.Errorf("Send to an undefined queue: %v", err)
	}
	// So is a number an agent flagged as wrong.
	if err := b.st.UpsertProfile(b.ctx, "cus_ny", store.Profile{callbacks.ProfilePhoneInvalid: "2026-11-20T10:00:00Z"}); err != nil {
		t.Fatal(err)
	}
	if _, err := ch.Send(b.ctx, message("iv_3")); !channels.IsPermanent(err) || !errors.Is(err, channels.ErrNoContact) {
		t.Errorf("Send to a flagged number: %v", err)
	}
}

func TestSendWithoutRules(t *testing.T) {
	t.Parallel()
	rdb := redistest.New(t)
	st := store.New(rdb)
	ch := callbacks.New(st, clock.NewFake(tuesday10))
	m := message("iv_plain")
	m.Queue, m.Due = "anything", time.Time{}
	if _, err := ch.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	cb, err := st.Callback(context.Background(), "anything", "iv_plain")
	if err != nil || cb.Window != "" || !cb.Deadline.IsZero() || !cb.Due.Equal(tuesday10) || cb.Timezone != "UTC" {
		t.Fatalf("stored %+v, %v", cb, err)
	}
}

func TestConformance(t *testing.T) {
	t.Parallel()
	var b *bundle
	channeltest.Run(t, channeltest.Harness{
		New: func(t *testing.T) channels.Channel {
			b = setup(t, tuesday10)
			return b.q.Channel()
		},
		Message: func(t *testing.T) *channels.Message { return message("") },
		Delivered: func(t *testing.T, m *channels.Message) bool {
			cb, err := b.st.Callback(b.ctx, m.Queue, m.ID)
			return err == nil && strings.Contains(cb.TalkingPoint, "first days")
		},
		FailTransient: func(t *testing.T) { b.rdb.AddHook(&failOnce{}) },
		FailPermanent: func(t *testing.T) {
			if err := b.st.UpsertProfile(b.ctx, "cus_ny", store.Profile{callbacks.ProfilePhoneInvalid: "2026-11-20T10:00:00Z"}); err != nil {
				t.Fatal(err)
			}
		},
	})
}

// failOnce makes the next Redis command fail as a dropped connection would.
type failOnce struct{ done atomic.Bool }

func (f *failOnce) DialHook(next redis.DialHook) redis.DialHook { return next }

func (f *failOnce) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if f.done.CompareAndSwap(false, true) {
			err := &net.OpError{Op: "read", Net: "tcp", Err: errors.New("connection reset by peer")}
			cmd.SetErr(err)
			return err
		}
		return next(ctx, cmd)
	}
}

func (f *failOnce) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}
