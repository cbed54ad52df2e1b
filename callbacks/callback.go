package callbacks

import (
	"context"
	"errors"
	"fmt"

	"github.com/aheadhq/ahead/channels"
	"github.com/aheadhq/ahead/internal/clock"
	"github.com/aheadhq/ahead/internal/store"
)

// Channel queues callbacks.
type Channel struct {
	q *Queues
}

// New returns the callback channel on its own, without queue rules or
// windows: every queue it is given is always open. Queues.Channel returns
// the channel that knows them.
func New(st *store.Store, c clock.Clock) *Channel {
	return NewQueues(Options{Store: st, Clock: c}).Channel()
}

// Name returns "callback".
func (c *Channel) Name() string { return channels.Callback }

// ProfilePhoneInvalid is the profile field that records, as an RFC 3339
// time, that an agent found the customer's phone number wrong. The
// channel does not queue calls to such a customer: the step falls back
// to its next channel.
const ProfilePhoneInvalid = "phone_invalid"

// Send queues a callback for m.To in m.Queue. The callback id is the
// intervention id, so a retried step queues one callback. With it go the
// step's window and the customer's time zone, which decide with the
// queue's hours when it is callable, and the deadline the queue sets.
//
// A missing number, a number an agent flagged as wrong, a step without
// queue and a queue that queues.yaml no longer defines are permanent
// failures.
func (c *Channel) Send(ctx context.Context, m *channels.Message) (channels.Receipt, error) {
	if err := ctx.Err(); err != nil {
		return channels.Receipt{}, channels.Transient(channels.Callback, "", err)
	}
	if m.To == "" {
		return channels.Receipt{}, channels.Permanent(channels.Callback, "", channels.ErrNoContact)
	}
	if m.Queue == "" {
		return channels.Receipt{}, channels.Permanent(channels.Callback, "", errors.New("step names no callback queue"))
	}
	q := c.q
	cfg, ok := q.queue(m.Queue)
	if !ok {
		return channels.Receipt{}, channels.Permanent(channels.Callback, "", fmt.Errorf("queue callback: %w %q", ErrUnknownQueue, m.Queue))
	}
	prof, err := q.o.Store.Profile(ctx, m.CustomerID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return channels.Receipt{}, channels.Transient(channels.Callback, "", err)
	}
	if prof[ProfilePhoneInvalid] != "" {
		return channels.Receipt{}, channels.Permanent(channels.Callback, "",
			fmt.Errorf("queue callback: an agent flagged the phone number as wrong on %s: %w", prof[ProfilePhoneInvalid], channels.ErrNoContact))
	}
	now := q.o.Clock.Now().UTC()
	due := m.Due
	if due.IsZero() {
		due = now
	}
	cb := &store.Callback{
		ID: m.ID, Queue: m.Queue, Customer: m.CustomerID, Name: m.Name, Phone: m.To,
		TalkingPoint: m.Text, Flow: m.Flow, Step: m.Step, Intervention: m.ID,
		Due: due.UTC(), Created: now, Timezone: q.location(prof).String(),
	}
	if set := q.flows(); set != nil {
		if f := set.Get(m.Flow); f != nil {
			if st := f.Step(m.Step); st != nil && st.Window != nil {
				cb.Window = st.Window.Spec
			}
		}
	}
	if cfg.Deadline > 0 {
		cb.Deadline = cb.Due.Add(cfg.Deadline)
	}
	if _, err := q.o.Store.AddCallback(ctx, cb); err != nil {
		return channels.Receipt{}, channels.Transient(channels.Callback, "", err)
	}
	return channels.Receipt{ProviderID: "callback:" + m.ID}, nil
}
