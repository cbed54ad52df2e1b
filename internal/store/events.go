package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// A customer's events live in one hash (eventsKey): each under its id,
// as its expiry in Unix milliseconds, "|", and its JSON. Redis 7.0 has
// no expiry per hash field, so:
//
//   - the hash expires with the newest expiry of its events, and a
//     customer who goes quiet loses them all then;
//   - an event past its expiry reads as gone at once (live), and Accept
//     prunes the hash once its earliest expiry has passed; the field ""
//     (no event has an empty id) holds that time, a lower bound.
//
// Expiry is on the wall clock of the machines, as a key's TTL is on
// Redis's, not on the clock that plans steps.
//
// An event accepted but not routed yet has a mark in unroutedKey, which
// MarkRouted removes: a repeat of it is routed again (AcceptUnrouted).

// pruneField is the field of the events hash that holds its earliest
// expiry.
const pruneField = ""

// eventValue is what the events hash keeps of an event.
func eventValue(exp time.Time, raw []byte) string {
	return strconv.FormatInt(exp.UnixMilli(), 10) + "|" + string(raw)
}

// live returns the JSON of an event's value, and false when it has
// expired or is not a value of the events hash.
func live(v string, now time.Time) ([]byte, bool) {
	exp, raw, ok := strings.Cut(v, "|")
	if !ok {
		return nil, false
	}
	ms, err := strconv.ParseInt(exp, 10, 64)
	if err != nil || ms <= now.UnixMilli() {
		return nil, false
	}
	return []byte(raw), true
}

// liveEvents returns the JSON of the live events of an events hash, by id.
func liveEvents(m map[string]string, now time.Time) map[string][]byte {
	out := make(map[string][]byte, len(m))
	for id, v := range m {
		if b, ok := live(v, now); ok && id != pruneField {
			out[id] = b
		}
	}
	return out
}

// Accept records each event under its id, unless its id was seen for that
// customer before, and says of an event stored before whether it was
// routed (MarkRouted). The event is kept for ttl, so that steps can render
// its data later.
func (s *EventStore) Accept(ctx context.Context, events []EventRef, ttl time.Duration) ([]Acceptance, error) {
	now := time.Now()
	exp := now.Add(ttl)
	ms := exp.UnixMilli()
	set := make([]*redis.BoolCmd, len(events))
	marked := make([]*redis.BoolCmd, len(events))
	hints := map[string]*redis.StringCmd{}
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, ev := range events {
			set[i] = p.HSetNX(ctx, eventsKey(ev.Customer), ev.ID, eventValue(exp, ev.JSON))
			marked[i] = p.HSetNX(ctx, unroutedKey(ev.Customer), ev.ID, "")
			if hints[ev.Customer] == nil {
				k := eventsKey(ev.Customer)
				p.HSetNX(ctx, k, pruneField, ms)
				p.Do(ctx, "PEXPIREAT", k, ms, "NX")
				p.Do(ctx, "PEXPIREAT", k, ms, "GT")
				hints[ev.Customer] = p.HGet(ctx, k, pruneField)
			}
		}
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("store events: %w", err)
	}
	out := make([]Acceptance, len(events))
	var spurious []EventRef
	for i, ev := range events {
		switch {
		case set[i].Val():
			out[i] = AcceptNew
		case !marked[i].Val():
			out[i] = AcceptUnrouted // marked before, never routed
		default:
			// Routed before: the mark just set is not one.
			out[i] = AcceptRouted
			spurious = append(spurious, ev)
		}
	}
	if err := s.MarkRouted(ctx, spurious); err != nil {
		return nil, err
	}
	var expired []string
	for cus, h := range hints {
		if at, err := strconv.ParseInt(h.Val(), 10, 64); err == nil && at <= now.UnixMilli() {
			expired = append(expired, cus)
		}
	}
	if err := s.prune(ctx, expired, now); err != nil {
		return nil, err
	}
	return out, nil
}

// pruneScript deletes the events of a customer that have expired, with
// their marks, and records the earliest expiry of the rest.
// KEYS: events, unrouted. ARGV: now in Unix ms.
var pruneScript = redis.NewScript(`
local now, next, gone = tonumber(ARGV[1]), nil, {}
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  if all[i] ~= '' then
    local exp = tonumber(string.match(all[i+1], '^(%d+)|'))
    if exp and exp <= now then
      gone[#gone+1] = all[i]
    elseif exp and (not next or exp < next) then
      next = exp
    end
  end
end
if #gone > 0 then
  redis.call('HDEL', KEYS[1], unpack(gone))
  redis.call('HDEL', KEYS[2], unpack(gone))
end
if next then redis.call('HSET', KEYS[1], '', next) else redis.call('DEL', KEYS[1]) end
return #gone
`)

// prune deletes the expired events of customers, in one round trip.
func (s *EventStore) prune(ctx context.Context, customers []string, now time.Time) error {
	if len(customers) == 0 {
		return nil
	}
	calls := make([]*call, len(customers))
	for i, cus := range customers {
		calls[i] = &call{script: pruneScript, keys: []string{eventsKey(cus), unroutedKey(cus)}, args: []any{now.UnixMilli()}}
	}
	if err := s.evalAll(ctx, calls); err != nil {
		return fmt.Errorf("delete expired events: %w", err)
	}
	return nil
}

// restoreScript stores an event's JSON again, keeping its expiry.
// KEYS: events. ARGV: id, JSON.
var restoreScript = redis.NewScript(`
local v = redis.call('HGET', KEYS[1], ARGV[1])
if not v then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], string.match(v, '^(%d+)|') .. '|' .. ARGV[2])
return 1
`)

// Restore stores events that Accept found stored but never routed again,
// as they come now; each keeps its time to live.
func (s *EventStore) Restore(ctx context.Context, events []EventRef) error {
	calls := make([]*call, len(events))
	for i, ev := range events {
		calls[i] = &call{script: restoreScript, keys: []string{eventsKey(ev.Customer)}, args: []any{ev.ID, ev.JSON}}
	}
	if err := s.evalAll(ctx, calls); err != nil {
		return fmt.Errorf("store events again: %w", err)
	}
	return nil
}

// MarkRouted records that events were routed, or handed to route tasks.
func (s *EventStore) MarkRouted(ctx context.Context, events []EventRef) error {
	if len(events) == 0 {
		return nil
	}
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, ev := range events {
			p.HDel(ctx, unroutedKey(ev.Customer), ev.ID)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("mark events routed: %w", err)
	}
	return nil
}

// ForgetEvents removes events recorded by Accept, so that a batch
// that could not be queued whole can be posted again.
func (s *EventStore) ForgetEvents(ctx context.Context, events []EventRef) error {
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, ev := range events {
			p.HDel(ctx, eventsKey(ev.Customer), ev.ID)
			p.HDel(ctx, unroutedKey(ev.Customer), ev.ID)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("forget events: %w", err)
	}
	return nil
}

// EventIDs lists the ids of the customer's stored events, expired ones
// that are not pruned yet included.
func (s *EventStore) EventIDs(ctx context.Context, cus string) ([]string, error) {
	ids, err := s.rdb.HKeys(ctx, eventsKey(cus)).Result()
	if err != nil {
		return nil, fmt.Errorf("load event ids: %w", err)
	}
	ids = slices.DeleteFunc(ids, func(id string) bool { return id == pruneField })
	slices.Sort(ids)
	return ids, nil
}

// Event returns a stored event's JSON.
func (s *EventStore) Event(ctx context.Context, cus, id string) ([]byte, error) {
	v, err := s.rdb.HGet(ctx, eventsKey(cus), id).Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("load event %q: %w", id, err)
	}
	b, ok := live(v, time.Now())
	if !ok || id == pruneField {
		return nil, fmt.Errorf("event %q: %w", id, ErrNotFound)
	}
	return b, nil
}

// KeepEvent extends the life of a stored event to at least ttl from now.
func (s *EventStore) KeepEvent(ctx context.Context, cus, id string, ttl time.Duration) error {
	return s.KeepEvents(ctx, []Keep{{Ref: Ref{Customer: cus, ID: id}, TTL: ttl}})
}

// Keep asks KeepEvents to keep an event for at least TTL.
type Keep struct {
	Ref
	TTL time.Duration
}

// keepScript extends an event's expiry to at least ARGV[2] (Unix ms), and
// the hash's with it. KEYS: events. ARGV: id, expiry.
var keepScript = redis.NewScript(`
local v = redis.call('HGET', KEYS[1], ARGV[1])
if not v then return 0 end
local sep = string.find(v, '|', 1, true)
if not sep or tonumber(string.sub(v, 1, sep - 1)) >= tonumber(ARGV[2]) then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2] .. string.sub(v, sep))
redis.call('PEXPIREAT', KEYS[1], ARGV[2], 'GT')
return 1
`)

// KeepEvents extends the life of many events in one round trip (see KeepEvent).
func (s *EventStore) KeepEvents(ctx context.Context, keeps []Keep) error {
	now := time.Now()
	calls := make([]*call, len(keeps))
	for i, k := range keeps {
		calls[i] = &call{script: keepScript, keys: []string{eventsKey(k.Customer)}, args: []any{k.ID, now.Add(k.TTL).UnixMilli()}}
	}
	if err := s.evalAll(ctx, calls); err != nil {
		return fmt.Errorf("keep events: %w", err)
	}
	return nil
}
