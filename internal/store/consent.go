package store

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/redis/go-redis/v9"
)

// Profile fields that hold a customer's word per channel.
const (
	consentPrefix = "consent_" // explicit consent, with its time
	optOutPrefix  = "optout_"  // an opt-out, with its time
)

// setConsentScript records the customer's word per channel, unless the
// profile holds a newer word for that channel.
// KEYS: profile. ARGV: customer id, stamp, then channel and "1" (granted)
// or "0" (revoked) for each channel.
var setConsentScript = redis.NewScript(`
local stamp = ARGV[2]
local function newer(v)
  return v and string.match(v, '^%d%d%d%d%-%d%d%-%d%dT') ~= nil and v > stamp
end
redis.call('HSET', KEYS[1], 'id', ARGV[1])
for i = 3, #ARGV, 2 do
  local set, other = 'optout_' .. ARGV[i], 'consent_' .. ARGV[i]
  if ARGV[i + 1] == '1' then set, other = other, set end
  if not newer(redis.call('HGET', KEYS[1], other)) then
    if not newer(redis.call('HGET', KEYS[1], set)) then
      redis.call('HSET', KEYS[1], set, stamp)
    end
    redis.call('HDEL', KEYS[1], other)
  end
end
return 1
`)

// SetConsent records consent per channel at the time at: granted
// (explicit consent) or revoked (an opt-out). Each replaces the other for
// its channel, unless the other was recorded after at: an event that
// occurred before the customer sent STOP does not undo the opt-out.
func (s *CustomerStore) SetConsent(ctx context.Context, cus string, consent map[string]bool, at time.Time) error {
	if len(consent) == 0 {
		return nil
	}
	args := []any{cus, at.UTC().Format(time.RFC3339)}
	for _, ch := range slices.Sorted(maps.Keys(consent)) {
		v := "0"
		if consent[ch] {
			v = "1"
		}
		args = append(args, ch, v)
	}
	if err := setConsentScript.Run(ctx, s.rdb, []string{profileKey(cus)}, args...).Err(); err != nil {
		return fmt.Errorf("store consent: %w", err)
	}
	return nil
}

// numbersKey lists every number the customer was indexed under, so that
// erasure finds them all, also after the profile changed its number.
func numbersKey(cus string) string { return custKey(cus, "numbers") }

// indexPhones adds the customer under the numbers of profile p.
func indexPhones(ctx context.Context, p redis.Pipeliner, cus string, prof Profile) {
	for _, f := range []string{"phone", "whatsapp"} {
		if n := prof[f]; n != "" {
			p.SAdd(ctx, phoneKey(n), cus)
			p.SAdd(ctx, numbersKey(cus), n)
		}
	}
}

// CustomersByPhone returns the customers whose profile has number as phone
// or WhatsApp number.
func (s *CustomerStore) CustomersByPhone(ctx context.Context, number string) ([]string, error) {
	ids, err := s.rdb.SMembers(ctx, phoneKey(number)).Result()
	if err != nil {
		return nil, fmt.Errorf("look up number: %w", err)
	}
	var out []string
	for _, id := range ids {
		prof, err := s.rdb.HMGet(ctx, profileKey(id), "phone", "whatsapp").Result()
		if err != nil {
			return nil, fmt.Errorf("look up number: %w", err)
		}
		if prof[0] == number || prof[1] == number {
			out = append(out, id)
		} else {
			s.rdb.SRem(ctx, phoneKey(number), id) // the profile changed its number
		}
	}
	return out, nil
}

// ClearOptOut lifts an opt-out from channel (the customer sent START). It
// grants no marketing consent.
func (s *CustomerStore) ClearOptOut(ctx context.Context, cus, channel string) error {
	if err := s.rdb.HDel(ctx, profileKey(cus), optOutPrefix+channel).Err(); err != nil {
		return fmt.Errorf("clear opt-out: %w", err)
	}
	return nil
}
