package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/redis/go-redis/v9"
)

// Erase removes every key of the customer: profile, journal, events,
// interventions, the pending index, its callbacks and its outbox
// messages. The caller removes the customer's queued tasks first.
func (s *Store) Erase(ctx context.Context, cus string) error {
	keys, err := s.indexed(ctx, cus)
	if err != nil {
		return fmt.Errorf("load index: %w", err)
	}
	refs, err := s.rdb.SMembers(ctx, callbackRefsKey(cus)).Result()
	if err != nil {
		return fmt.Errorf("load callbacks: %w", err)
	}
	for _, ref := range refs {
		q, id, ok := strings.Cut(ref, "|")
		if !ok {
			continue
		}
		_, err := s.rdb.TxPipelined(ctx, func(tx redis.Pipeliner) error {
			tx.ZRem(ctx, queueKey(q), id)
			tx.Del(ctx, callbackKey(q, id))
			return nil
		})
		if err != nil {
			return fmt.Errorf("erase callback: %w", err)
		}
	}
	if err := s.eraseOutbox(ctx, cus); err != nil {
		return err
	}
	nums, err := s.rdb.SMembers(ctx, numbersKey(cus)).Result()
	if err != nil {
		return fmt.Errorf("load numbers: %w", err)
	}
	for _, n := range nums {
		if err := s.rdb.SRem(ctx, phoneKey(n), cus).Err(); err != nil {
			return fmt.Errorf("erase number index: %w", err)
		}
	}
	// The index names the keys that come and go (events, interventions);
	// these are the customer's keys of fixed name.
	keys = append(keys, profileKey(cus), journalKey(cus), pendingKey(cus), callbackRefsKey(cus), numbersKey(cus),
		contactsKey(cus), recentKey(cus), enteredKey(cus), debounceKey(cus), cancelsKey(cus), deliveryKey(cus),
		indexKey(cus), legacyIndexKey(cus), goalsKey(cus))
	// All keys share the customer's hash tag, so one DEL is allowed on a cluster.
	if err := s.rdb.Del(ctx, keys...).Err(); err != nil {
		return fmt.Errorf("erase customer keys: %w", err)
	}
	return nil
}

// indexed returns the names of the customer's keys that are indexed:
// events, interventions and the keys that come and go with them.
func (s base) indexed(ctx context.Context, cus string) ([]string, error) {
	var names func() []string
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		names = readIndex(ctx, p, cus)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return names(), nil
}

// readIndex queues the reads of the customer's key index on p; what it
// returns gives the names once p has run.
func readIndex(ctx context.Context, p redis.Pipeliner, cus string) func() []string {
	hk := p.HKeys(ctx, indexKey(cus))
	legacy := p.SMembers(ctx, legacyIndexKey(cus))
	return func() []string { return append(hk.Val(), legacy.Val()...) }
}

func (s *Store) eraseOutbox(ctx context.Context, cus string) error {
	all, err := s.rdb.HGetAll(ctx, outboxByID).Result()
	if err != nil {
		return fmt.Errorf("load outbox: %w", err)
	}
	var ids []string
	for id, raw := range all {
		var m struct {
			Customer string `json:"customer_id"`
		}
		if json.Unmarshal([]byte(raw), &m) == nil && m.Customer == cus {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	_, err = s.rdb.TxPipelined(ctx, func(tx redis.Pipeliner) error {
		for _, id := range ids {
			tx.LRem(ctx, outboxKey, 0, id)
		}
		tx.HDel(ctx, outboxByID, ids...)
		return nil
	})
	if err != nil {
		return fmt.Errorf("erase outbox messages: %w", err)
	}
	return nil
}
