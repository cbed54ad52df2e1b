package store

import (
	"context"
	"errors"
	"fmt"

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
