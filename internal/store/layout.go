package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// Layout is the version of the store's layout that this code reads and
// writes: each customer's events in one hash and interventions in
// another, with no index of keys. Earlier versions kept each event and
// each intervention in a key of its own, named in an index per customer;
// Migrate folds them in. LayoutKey holds the version of a store.
const Layout = "2"

// LayoutOf returns the layout version of the store: Layout once Migrate
// ran or this version started on a store with no customer of an earlier
// version; "" when it holds customers in the earlier layout, which this
// version must not run on. It scans the keyspace only while LayoutKey is
// not set, which this call then sets when no such customer is found.
func (s *Store) LayoutOf(ctx context.Context) (string, error) {
	v, err := s.rdb.Get(ctx, LayoutKey).Result()
	if err == nil {
		return v, nil
	}
	if !errors.Is(err, redis.Nil) {
		return "", fmt.Errorf("read layout: %w", err)
	}
	var found atomic.Bool
	err = s.oldCustomers(ctx, func(string) error {
		found.Store(true)
		return errStop
	})
	if err != nil && !errors.Is(err, errStop) {
		return "", err
	}
	if found.Load() {
		return "", nil
	}
	if err := s.rdb.SetNX(ctx, LayoutKey, Layout, 0).Err(); err != nil {
		return "", fmt.Errorf("record layout: %w", err)
	}
	return Layout, nil
}

var errStop = errors.New("stop")

// Relayout is what Migrate did with the earlier layout.
type Relayout struct {
	Customers, Interventions, Events int
}

// Migrate moves every customer of the earlier layout into this one: each
// intervention into the customer's interventions hash, each event (with
// its expiry and routed mark) into the events hash; then it drops the
// index and records the layout. One script per customer, so a customer
// is either moved or not. It is idempotent; workers of an earlier
// version must be stopped first, as what they write after it ran is not
// moved.
func (s *Store) Migrate(ctx context.Context) (Relayout, error) {
	var r Relayout
	var mu sync.Mutex // a cluster's masters are scanned at once
	err := s.oldCustomers(ctx, func(cus string) error {
		ivs, evs, err := s.migrateCustomer(ctx, cus)
		mu.Lock()
		defer mu.Unlock()
		r.Customers++
		r.Interventions += ivs
		r.Events += evs
		return err
	})
	if err != nil {
		return r, err
	}
	if err := s.rdb.Set(ctx, LayoutKey, Layout, 0).Err(); err != nil {
		return r, fmt.Errorf("record layout: %w", err)
	}
	return r, nil
}

// migrateScript moves one customer's keys of the earlier layout, and
// drops its pending index, which the records hold now.
// KEYS: interventions, events, unrouted, index, old set index, pending
// index, then the keys the indexes name. ARGV: now in Unix ms, the customer's
// intervention key prefix, event key prefix, the expiry in ms of an event
// that has none. Returns the counts of interventions and events moved.
var migrateScript = recordScript(`
local now, ivp, evp = tonumber(ARGV[1]), ARGV[2], ARGV[3]
local marks = {}
local idx = redis.call('HGETALL', KEYS[4])
for i = 1, #idx, 2 do marks[idx[i]] = idx[i+1] end
local nivs, nevs, first, last = 0, 0, nil, nil
for k = 7, #KEYS do
  local key = KEYS[k]
  if string.sub(key, 1, #ivp) == ivp then
    local all = redis.call('HGETALL', key)
    local id = string.sub(key, #ivp + 1)
    if #all > 0 and redis.call('HEXISTS', KEYS[1], id) == 0 then
      local r = {}
      for i = 1, #all, 2 do
        if all[i+1] ~= '' then r[all[i]] = all[i+1] end
      end
      put(id, r)
      nivs = nivs + 1
    end
    redis.call('DEL', key)
  elseif string.sub(key, 1, #evp) == evp then
    local v = redis.call('GET', key)
    if v then
      local ttl = redis.call('PTTL', key)
      local exp = now + tonumber(ARGV[4])
      if ttl > 0 then exp = now + ttl end
      local id = string.sub(key, #evp + 1)
      redis.call('HSETNX', KEYS[2], id, string.format('%.0f', exp) .. '|' .. v)
      if marks[key] == '' then redis.call('HSET', KEYS[3], id, '') end
      if not first or exp < first then first = exp end
      if not last or exp > last then last = exp end
      nevs = nevs + 1
    end
    redis.call('DEL', key)
  end
end
if first then
  local hint = tonumber(redis.call('HGET', KEYS[2], '') or '')
  if not hint or first < hint then redis.call('HSET', KEYS[2], '', string.format('%.0f', first)) end
  redis.call('PEXPIREAT', KEYS[2], string.format('%.0f', last), 'NX')
  redis.call('PEXPIREAT', KEYS[2], string.format('%.0f', last), 'GT')
end
redis.call('DEL', KEYS[4], KEYS[5], KEYS[6])
return {nivs, nevs}
`)

// unexpiring is the life given to a migrated event that had no expiry.
const unexpiring = 30 * 24 * time.Hour

func (s *Store) migrateCustomer(ctx context.Context, cus string) (ivs, events int, err error) {
	names, err := s.indexed(ctx, cus)
	if err != nil {
		return 0, 0, fmt.Errorf("migrate customer: read index: %w", err)
	}
	keys := append([]string{ivsKey(cus), eventsKey(cus), unroutedKey(cus), indexKey(cus), legacyIndexKey(cus), pendingKey(cus)}, names...)
	res, err := migrateScript.Run(ctx, s.rdb, keys, time.Now().UnixMilli(), ivKey(cus, ""), eventKey(cus, ""),
		unexpiring.Milliseconds()).Int64Slice()
	if err != nil {
		return 0, 0, fmt.Errorf("migrate customer: %w", err)
	}
	return int(res[0]), int(res[1]), nil
}

// oldCustomers calls fn with each customer that has an index of keys of
// the earlier layout, on every master of a cluster.
func (s base) oldCustomers(ctx context.Context, fn func(cus string) error) error {
	each := func(ctx context.Context, c *redis.Client) error {
		for _, pattern := range []string{indexKey("*"), legacyIndexKey("*")} {
			iter := c.Scan(ctx, 0, pattern, 1000).Iterator()
			for iter.Next(ctx) {
				if cus, ok := customerOf(iter.Val()); ok {
					if err := fn(cus); err != nil {
						return err
					}
				}
			}
			if err := iter.Err(); err != nil {
				return fmt.Errorf("scan for the earlier layout: %w", err)
			}
		}
		return nil
	}
	switch c := s.rdb.(type) {
	case *redis.ClusterClient:
		return c.ForEachMaster(ctx, each)
	case *redis.Client:
		return each(ctx, c)
	}
	return fmt.Errorf("scan for the earlier layout: unsupported client %T", s.rdb)
}

// customerOf returns the customer of a key "ahead:{customer}:suffix".
func customerOf(key string) (string, bool) {
	rest, ok := strings.CutPrefix(key, "ahead:{")
	if !ok {
		return "", false
	}
	i := strings.LastIndex(rest, "}:")
	if i < 0 {
		return "", false
	}
	return rest[:i], true
}
