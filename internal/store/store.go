package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// ErrNotFound is returned for a customer, event or intervention that does
// not exist.
var ErrNotFound = errors.New("not found")

// ErrEnded is returned by Update for an intervention that is already in a
// final state (sent, skipped, cancelled, failed); the update is not made.
var ErrEnded = errors.New("intervention has ended")

// Store is ahead's Redis state, one part per aggregate: customers
// (profiles, consent, contacts), events, interventions, the journal, the
// callback queues and the outbox. Their methods are the Store's; the few
// that span aggregates (loading a batch, receiving events, erasing a
// customer) are the Store's own. It is safe for concurrent use.
type Store struct {
	base
	*CustomerStore
	*EventStore
	*InterventionStore
	*JournalStore
	*CallbackStore
	*OutboxStore
	*DueStore
}

// base is what every part shares: the Redis client.
type base struct {
	rdb redis.UniversalClient
}

// CustomerStore keeps profiles, consent, the phone index, recent
// contacts and once_per entries.
type CustomerStore struct{ base }

// EventStore keeps the events received, their routing marks and the
// per-customer event history that guards read.
type EventStore struct{ base }

// InterventionStore keeps interventions with their states, the pending
// index, debounce joins, delivery records and flow versions.
type InterventionStore struct{ base }

// JournalStore keeps each customer's timeline.
type JournalStore struct{ base }

// CallbackStore keeps the callback queues.
type CallbackStore struct{ base }

// OutboxStore keeps what the outbox channel would have sent.
type OutboxStore struct{ base }

// DueStore keeps the due indexes: the step tasks that wait for their
// time, per step queue.
type DueStore struct{ base }

// New returns a store on rdb.
func New(rdb redis.UniversalClient) *Store {
	b := base{rdb: rdb}
	return &Store{
		base: b, CustomerStore: &CustomerStore{b}, EventStore: &EventStore{b}, InterventionStore: &InterventionStore{b},
		JournalStore: &JournalStore{b}, CallbackStore: &CallbackStore{b}, OutboxStore: &OutboxStore{b},
		DueStore: &DueStore{b},
	}
}

// Ping reports whether Redis answers.
func (s *Store) Ping(ctx context.Context) error { return s.rdb.Ping(ctx).Err() }

// EventRef names a stored event: its customer, its id and its JSON.
type EventRef struct {
	Customer, ID string
	JSON         []byte
}

// Acceptance is what Accept found for an event.
type Acceptance int

const (
	// AcceptNew: the event was not stored before; it is now.
	AcceptNew Acceptance = iota
	// AcceptRouted: the event was stored and routed before (a duplicate).
	AcceptRouted
	// AcceptUnrouted: the event was stored before but never routed: the
	// process that took it stopped halfway. Events stored by versions
	// that did not mark routing count as routed.
	AcceptUnrouted
)

// Accept records each event under its id, unless its id was seen for that
// customer before, and says of an event stored before whether it was
// routed (MarkRouted). The event is kept for ttl, so that steps can render
// its data later.
func (s *EventStore) Accept(ctx context.Context, events []EventRef, ttl time.Duration) ([]Acceptance, error) {
	set := make([]*redis.BoolCmd, len(events))
	indexed := make([]*redis.BoolCmd, len(events))
	mark := make([]*redis.StringCmd, len(events))
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, ev := range events {
			key := eventKey(ev.Customer, ev.ID)
			set[i] = p.SetNX(ctx, key, ev.JSON, ttl)
			indexed[i] = p.HSetNX(ctx, indexKey(ev.Customer), key, "") // keeps a routed mark
			mark[i] = p.HGet(ctx, indexKey(ev.Customer), key)
		}
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("store events: %w", err)
	}
	out := make([]Acceptance, len(events))
	var legacy []EventRef
	for i, ev := range events {
		switch {
		case set[i].Val():
			out[i] = AcceptNew
		case indexed[i].Val():
			// Stored, but not indexed here: an earlier version took it.
			out[i] = AcceptRouted
			legacy = append(legacy, ev)
		case mark[i].Val() == "":
			out[i] = AcceptUnrouted // indexed before, never marked routed
		default:
			out[i] = AcceptRouted
		}
	}
	if len(legacy) > 0 {
		if err := s.MarkRouted(ctx, legacy); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Restore stores events that Accept found stored but never routed again,
// as they come now; each keeps its time to live.
func (s *EventStore) Restore(ctx context.Context, events []EventRef) error {
	if len(events) == 0 {
		return nil
	}
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, ev := range events {
			p.SetArgs(ctx, eventKey(ev.Customer, ev.ID), ev.JSON, redis.SetArgs{Mode: "XX", KeepTTL: true})
		}
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return fmt.Errorf("store events again: %w", err)
	}
	return nil
}

// routed marks an event's entry in the customer's key index once it was
// routed (or handed to route tasks); Accept leaves it "".
const routed = "routed"

// MarkRouted records that events were routed, or handed to route tasks.
func (s *EventStore) MarkRouted(ctx context.Context, events []EventRef) error {
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, ev := range events {
			p.HSet(ctx, indexKey(ev.Customer), eventKey(ev.Customer, ev.ID), routed)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("mark events routed: %w", err)
	}
	return nil
}

// ForgetEvents removes events recorded by Accept, so that a batch
// that could not be queued whole can be posted again.
func (s *EventStore) ForgetEvents(ctx context.Context, events []EventRef) error {
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, ev := range events {
			p.Del(ctx, eventKey(ev.Customer, ev.ID))
			p.HDel(ctx, indexKey(ev.Customer), eventKey(ev.Customer, ev.ID))
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("forget events: %w", err)
	}
	return nil
}

// EventIDs lists the ids of the customer's events that were accepted and
// have not been erased. An id may outlive its event, which expires.
func (s *EventStore) EventIDs(ctx context.Context, cus string) ([]string, error) {
	keys, err := s.indexed(ctx, cus)
	if err != nil {
		return nil, fmt.Errorf("load index: %w", err)
	}
	prefix := eventKey(cus, "")
	var ids []string
	for _, k := range keys {
		if id, ok := strings.CutPrefix(k, prefix); ok {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids, nil
}

// Event returns a stored event's JSON.
func (s *EventStore) Event(ctx context.Context, cus, id string) ([]byte, error) {
	b, err := s.rdb.Get(ctx, eventKey(cus, id)).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("event %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("load event %q: %w", id, err)
	}
	return b, nil
}

// KeepEvent extends the life of a stored event to at least ttl from now.
func (s *EventStore) KeepEvent(ctx context.Context, cus, id string, ttl time.Duration) error {
	return s.KeepEvents(ctx, []Keep{{Ref: Ref{Customer: cus, ID: id}, TTL: ttl}})
}

// Profile is a customer's profile as stored: field name to value, with the
// JSON names of the event's customer block (name, email, phone, …).
type Profile map[string]string

func profileArgs(cus string, p Profile) []any {
	vals := []any{"id", cus}
	for k, v := range p {
		if v != "" && k != "id" {
			vals = append(vals, k, v)
		}
	}
	return vals
}

// setProfile queues setting the non-empty fields of p and indexing the
// customer's numbers. The index lives in other slots: use it in a
// pipeline, not in a transaction.
func setProfile(ctx context.Context, pl redis.Pipeliner, cus string, p Profile) {
	pl.HSet(ctx, profileKey(cus), profileArgs(cus, p)...)
	indexPhones(ctx, pl, cus, p)
}

// UpsertProfile sets the non-empty fields of p on the customer's profile.
func (s *CustomerStore) UpsertProfile(ctx context.Context, cus string, p Profile) error {
	_, err := s.rdb.Pipelined(ctx, func(pl redis.Pipeliner) error {
		setProfile(ctx, pl, cus, p)
		return nil
	})
	if err != nil {
		return fmt.Errorf("store profile: %w", err)
	}
	return nil
}

// ReplaceProfile replaces the customer's profile with p.
func (s *CustomerStore) ReplaceProfile(ctx context.Context, cus string, p Profile) error {
	_, err := s.rdb.TxPipelined(ctx, func(tx redis.Pipeliner) error {
		tx.Del(ctx, profileKey(cus))
		tx.HSet(ctx, profileKey(cus), profileArgs(cus, p)...)
		return nil
	})
	if err != nil {
		return fmt.Errorf("store profile: %w", err)
	}
	_, err = s.rdb.Pipelined(ctx, func(pl redis.Pipeliner) error {
		indexPhones(ctx, pl, cus, p)
		return nil
	})
	if err != nil {
		return fmt.Errorf("store profile: %w", err)
	}
	return nil
}

// Profile returns the customer's profile, or ErrNotFound.
func (s *CustomerStore) Profile(ctx context.Context, cus string) (Profile, error) {
	m, err := s.rdb.HGetAll(ctx, profileKey(cus)).Result()
	if err != nil {
		return nil, fmt.Errorf("load profile: %w", err)
	}
	if len(m) == 0 {
		return nil, fmt.Errorf("customer %q: %w", cus, ErrNotFound)
	}
	return Profile(m), nil
}
