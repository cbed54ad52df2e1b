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
		return fmt.Errorf("load index of an earlier version: %w", err)
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
	// A customer's keys all have fixed names; an index of an earlier
	// version (migrated stores have none) names keys of its own.
	keys = append(keys, customerKeys(cus)...)
	// All keys share the customer's hash tag, so one DEL is allowed on a cluster.
	if err := s.rdb.Del(ctx, keys...).Err(); err != nil {
		return fmt.Errorf("erase customer keys: %w", err)
	}
	return nil
}

// customerKeys names every key of the customer's, besides those an
// earlier version's index names.
func customerKeys(cus string) []string {
	return []string{profileKey(cus), journalKey(cus), pendingKey(cus), ivsKey(cus), eventsKey(cus),
		unroutedKey(cus), callbackRefsKey(cus), numbersKey(cus), contactsKey(cus), recentKey(cus),
		enteredKey(cus), debounceKey(cus), cancelsKey(cus), deliveryKey(cus), goalsKey(cus),
		indexKey(cus), legacyIndexKey(cus)}
}

// indexed returns the names of the keys that an earlier version's index
// of the customer's keys holds: events and interventions, each in a key
// of its own.
func (s base) indexed(ctx context.Context, cus string) ([]string, error) {
	var hk *redis.StringSliceCmd
	var legacy *redis.StringSliceCmd
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		hk = p.HKeys(ctx, indexKey(cus))
		legacy = p.SMembers(ctx, legacyIndexKey(cus))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return append(hk.Val(), legacy.Val()...), nil
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
