package outbox

import (
	"context"
	"time"

	"github.com/aheadhq/ahead/channels"
	"github.com/aheadhq/ahead/internal/clock"
	"github.com/aheadhq/ahead/internal/store"
)

// Item is one stored message.
type Item struct {
	channels.Message
	At time.Time `json:"at"`
}

// Channel stores messages instead of sending them.
type Channel struct {
	name  string
	store *store.Store
	clock clock.Clock
}

// New returns an outbox that stands in for the channel called name
// ("outbox" for the outbox channel itself).
func New(name string, st *store.Store, c clock.Clock) *Channel {
	return &Channel{name: name, store: st, clock: c}
}

// Name returns the channel name the outbox stands in for.
func (c *Channel) Name() string { return c.name }

// Send stores m. Storing the same intervention twice keeps one message.
func (c *Channel) Send(ctx context.Context, m *channels.Message) (channels.Receipt, error) {
	if err := ctx.Err(); err != nil {
		return channels.Receipt{}, channels.Transient(c.name, "", err)
	}
	if m.To == "" {
		return channels.Receipt{}, channels.Permanent(c.name, "", channels.ErrNoContact)
	}
	msg := *m
	msg.Channel = c.name
	if err := c.store.PushOutbox(ctx, m.ID, Item{Message: msg, At: c.clock.Now().UTC()}); err != nil {
		return channels.Receipt{}, channels.Transient(c.name, "", err)
	}
	return channels.Receipt{ProviderID: "outbox:" + m.ID}, nil
}
