package store

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// OutboxCap is how many messages the outbox keeps; older ones drop off.
const OutboxCap = 1000

// pushOutboxScript stores a message once per id and keeps the newest cap.
// KEYS: list, hash. ARGV: id, json, cap.
var pushOutboxScript = redis.NewScript(`
if redis.call('HSETNX', KEYS[2], ARGV[1], ARGV[2]) == 0 then return 0 end
redis.call('LPUSH', KEYS[1], ARGV[1])
while redis.call('LLEN', KEYS[1]) > tonumber(ARGV[3]) do
  local old = redis.call('RPOP', KEYS[1])
  redis.call('HDEL', KEYS[2], old)
end
return 1
`)

// PushOutbox stores v (a rendered message) under id; storing the same id
// again changes nothing.
func (s *OutboxStore) PushOutbox(ctx context.Context, id string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode outbox message: %w", err)
	}
	if err := pushOutboxScript.Run(ctx, s.rdb, []string{outboxKey, outboxByID}, id, b, OutboxCap).Err(); err != nil {
		return fmt.Errorf("store outbox message: %w", err)
	}
	return nil
}

// Outbox returns up to limit stored messages, newest first, as raw JSON.
func (s *OutboxStore) Outbox(ctx context.Context, limit int) ([]json.RawMessage, error) {
	if limit <= 0 || limit > OutboxCap {
		limit = OutboxCap
	}
	ids, err := s.rdb.LRange(ctx, outboxKey, 0, int64(limit-1)).Result()
	if err != nil {
		return nil, fmt.Errorf("list outbox: %w", err)
	}
	if len(ids) == 0 {
		return []json.RawMessage{}, nil
	}
	vals, err := s.rdb.HMGet(ctx, outboxByID, ids...).Result()
	if err != nil {
		return nil, fmt.Errorf("load outbox: %w", err)
	}
	out := make([]json.RawMessage, 0, len(vals))
	for _, v := range vals {
		if str, ok := v.(string); ok {
			out = append(out, json.RawMessage(str))
		}
	}
	return out, nil
}
