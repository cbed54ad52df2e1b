package twilio

import "context"

// Take waits like l.Wait and returns the second of the Redis server's
// clock the send was granted in. l must come from NewRedisLimiter.
func Take(ctx context.Context, l Limiter, channel string) (int64, error) {
	return l.(*redisLimiter).take(ctx, channel)
}
