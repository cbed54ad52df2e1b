package twilio

import (
	"context"
	"fmt"
	"time"

	"github.com/aheadhq/ahead/internal/store"
	"github.com/redis/go-redis/v9"
)

// Limiter paces sends. Wait blocks until one more message may go out on
// channel, or until ctx ends (then it returns ctx's error).
type Limiter interface {
	Wait(ctx context.Context, channel string) error
}

// limitScript takes one send from the current one-second window of the
// Redis server's clock. KEYS[1] holds the window (a second) and the sends
// taken in it; ARGV[1] is the limit per second. It returns {0, second}
// when the send may go in that second, or {milliseconds to wait, second}
// when the window is full. Redis' own clock keeps workers on different
// machines in the same window.
var limitScript = redis.NewScript(`
local t = redis.call('TIME')
local sec = tonumber(t[1])
local ms = math.floor(tonumber(t[2]) / 1000)
local limit = tonumber(ARGV[1])
local cur = redis.call('HMGET', KEYS[1], 'w', 'n')
local n = 0
if tonumber(cur[1]) == sec then
  n = tonumber(cur[2]) or 0
end
if n >= limit then
  return {1000 - ms, sec}
end
redis.call('HSET', KEYS[1], 'w', sec, 'n', n + 1)
redis.call('PEXPIRE', KEYS[1], 2000)
return {0, sec}
`)

// redisLimiter is the Limiter that NewRedisLimiter returns.
type redisLimiter struct {
	rdb       redis.UniversalClient
	perSecond int
}

// NewRedisLimiter returns a Limiter that lets at most perSecond messages per
// channel go out in each second of the Redis server's clock, across every
// process that uses the same Redis (twilio.max_per_second). Its keys are
// ahead:{ratelimit}:CHANNEL:window, so they share one Redis Cluster slot.
// perSecond below 1 means no limit.
func NewRedisLimiter(rdb redis.UniversalClient, perSecond int) Limiter {
	return &redisLimiter{rdb: rdb, perSecond: perSecond}
}

// Wait blocks until one more message may go out on channel. A Redis failure
// is returned as is; the caller treats it as transient.
func (l *redisLimiter) Wait(ctx context.Context, channel string) error {
	_, err := l.take(ctx, channel)
	return err
}

// take waits for a send and returns the second (Unix time on the Redis
// server's clock) it was granted in; 0 without a limit.
func (l *redisLimiter) take(ctx context.Context, channel string) (int64, error) {
	if l.perSecond < 1 {
		return 0, ctx.Err()
	}
	key := store.RateLimitKey(channel)
	for {
		res, err := limitScript.Run(ctx, l.rdb, []string{key}, l.perSecond).Int64Slice()
		if err != nil {
			if ctx.Err() != nil {
				return 0, ctx.Err()
			}
			return 0, fmt.Errorf("take a send from the %s rate limit: %w", channel, err)
		}
		if len(res) != 2 {
			return 0, fmt.Errorf("take a send from the %s rate limit: unexpected answer %v", channel, res)
		}
		wait, sec := res[0], res[1]
		if wait == 0 {
			return sec, nil
		}
		t := time.NewTimer(time.Duration(wait) * time.Millisecond)
		select {
		case <-ctx.Done():
			t.Stop()
			return 0, ctx.Err()
		case <-t.C:
		}
	}
}
