package store

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Profile fields that hold a customer's word per channel.
const (
	consentPrefix         = "consent_"          // explicit marketing consent, with its time
	optOutPrefix          = "optout_"           // an opt-out from every message, with its time
	marketingOptOutPrefix = "optout_marketing_" // an opt-out from marketing only, with its time
)

// MarketingWord starts a consent key that is about marketing only:
// "marketing.email" is the customer's word on marketing over email, where
// "email" is their word on every message over email.
const MarketingWord = "marketing."

// setConsentScript records the customer's word per channel and purpose,
// unless the profile holds a newer word that it would undo.
// KEYS: profile. ARGV: customer id, stamp, then per word: the field to
// set, the number n of fields it clears, and those n fields.
var setConsentScript = redis.NewScript(`
local stamp = ARGV[2]
local function newer(v)
  return v and string.match(v, '^%d%d%d%d%-%d%d%-%d%dT') ~= nil and v > stamp
end
redis.call('HSET', KEYS[1], 'id', ARGV[1])
local i = 3
while i <= #ARGV do
  local set, n = ARGV[i], tonumber(ARGV[i + 1])
  local clears = {}
  for j = 1, n do clears[j] = ARGV[i + 1 + j] end
  i = i + 2 + n
  local undone = false
  for _, f in ipairs(clears) do
    if newer(redis.call('HGET', KEYS[1], f)) then undone = true end
  end
  if not undone then
    if not newer(redis.call('HGET', KEYS[1], set)) then
      redis.call('HSET', KEYS[1], set, stamp)
    end
    for _, f in ipairs(clears) do redis.call('HDEL', KEYS[1], f) end
  end
end
return 1
`)

// consentFields returns the field a word sets and the fields it clears.
// A word on a channel ("email") is about every message over it: granted
// records marketing consent and lifts both opt-outs, revoked opts out of
// every message and withdraws marketing consent. A word on marketing
// ("marketing.email") leaves service messages alone: granted records
// marketing consent and lifts the marketing opt-out (not an opt-out from
// every message), revoked opts out of marketing and withdraws marketing
// consent.
func consentFields(key string, granted bool) (set string, clears []string) {
	if ch, ok := strings.CutPrefix(key, MarketingWord); ok {
		if granted {
			return consentPrefix + ch, []string{marketingOptOutPrefix + ch}
		}
		return marketingOptOutPrefix + ch, []string{consentPrefix + ch}
	}
	if granted {
		return consentPrefix + key, []string{optOutPrefix + key, marketingOptOutPrefix + key}
	}
	return optOutPrefix + key, []string{consentPrefix + key}
}

// SetConsent records the customer's word at the time at, per key: a
// channel ("email": every message over it) or MarketingWord and a channel
// ("marketing.email": marketing over it only), true for granted and false
// for revoked (see consentFields). A word is not recorded when the profile
// holds a word recorded after at that it would undo: an event that
// occurred before the customer sent STOP does not undo the opt-out.
func (s *CustomerStore) SetConsent(ctx context.Context, cus string, consent map[string]bool, at time.Time) error {
	if len(consent) == 0 {
		return nil
	}
	args := []any{cus, at.UTC().Format(time.RFC3339)}
	for _, key := range slices.Sorted(maps.Keys(consent)) {
		set, clears := consentFields(key, consent[key])
		args = append(args, set, len(clears))
		for _, f := range clears {
			args = append(args, f)
		}
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
