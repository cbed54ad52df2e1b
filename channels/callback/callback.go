package callback

import (
	"context"
	"errors"

	"github.com/aheadhq/ahead/channels"
	"github.com/aheadhq/ahead/internal/clock"
	"github.com/aheadhq/ahead/internal/store"
)

// Channel queues callbacks.
type Channel struct {
	store *store.Store
	clock clock.Clock
}

// New returns the callback channel.
func New(st *store.Store, c clock.Clock) *Channel { return &Channel{store: st, clock: c} }

// Name returns "callback".
func (c *Channel) Name() string { return channels.Callback }

// Send queues a callback for m.To in m.Queue. The callback id is the
// intervention id, so a retried step queues one callback.
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
	now := c.clock.Now().UTC()
	due := m.Due
	if due.IsZero() {
		due = now
	}
	cb := &store.Callback{
		ID: m.ID, Queue: m.Queue, Customer: m.CustomerID, Name: m.Name, Phone: m.To,
		TalkingPoint: m.Text, Flow: m.Flow, Step: m.Step, Intervention: m.ID,
		Due: due, Created: now,
	}
	if _, err := c.store.AddCallback(ctx, cb); err != nil {
		return channels.Receipt{}, channels.Transient(channels.Callback, "", err)
	}
	return channels.Receipt{ProviderID: "callback:" + m.ID}, nil
}
