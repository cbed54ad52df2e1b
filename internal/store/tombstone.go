package store

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// Bury keeps a tombstone for an erased customer, known only by hash (a
// keyed hash of the customer id), for ttl.
func (s *CustomerStore) Bury(ctx context.Context, hash string, at time.Time, ttl time.Duration) error {
	if err := s.rdb.Set(ctx, tombKey(hash), at.UTC().Format(time.RFC3339), ttl).Err(); err != nil {
		return fmt.Errorf("keep tombstone: %w", err)
	}
	return nil
}

// Buried reports, for each hash, whether a tombstone holds it.
func (s *CustomerStore) Buried(ctx context.Context, hashes []string) ([]bool, error) {
	cmds := make([]*redis.IntCmd, len(hashes))
	if _, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, h := range hashes {
			cmds[i] = p.Exists(ctx, tombKey(h))
		}
		return nil
	}); err != nil {
		return nil, fmt.Errorf("read tombstones: %w", err)
	}
	out := make([]bool, len(hashes))
	for i, c := range cmds {
		out[i] = c.Val() > 0
	}
	return out, nil
}
