package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

func contactsKey(cus string) string { return custKey(cus, "contacts") }
func recentKey(cus string) string   { return custKey(cus, "events") }
func enteredKey(cus string) string  { return custKey(cus, "entered") }
func debounceKey(cus string) string { return custKey(cus, "debounce") }

// keep is how long contacts and received event types are remembered for
// budgets and skip_if.
const keep = 90 * 24 * time.Hour

// Contact is one proactive contact a customer received (or is about to).
type Contact struct {
	Intervention string
	At           time.Time
	Channel      string
	Flow         string
	Step         string
}

func (c Contact) member() string {
	return strings.Join([]string{c.Intervention, c.Channel, c.Flow, c.Step}, "|")
}

// Contacts returns the customer's contacts since since, newest first.
func (s *CustomerStore) Contacts(ctx context.Context, cus string, since time.Time) ([]Contact, error) {
	zs, err := s.rdb.ZRevRangeByScoreWithScores(ctx, contactsKey(cus), &redis.ZRangeBy{
		Min: strconv.FormatInt(since.UnixMilli(), 10), Max: "+inf",
	}).Result()
	if err != nil {
		return nil, fmt.Errorf("load contacts: %w", err)
	}
	return decodeContacts(zs), nil
}

func decodeContacts(zs []redis.Z) []Contact {
	out := make([]Contact, 0, len(zs))
	for _, z := range zs {
		parts := strings.SplitN(z.Member.(string), "|", 4)
		for len(parts) < 4 {
			parts = append(parts, "")
		}
		out = append(out, Contact{Intervention: parts[0], Channel: parts[1], Flow: parts[2], Step: parts[3], At: time.UnixMilli(int64(z.Score)).UTC()})
	}
	return out
}

// reserveScript adds a contact if the budget allows it at ARGV[2].
// KEYS: contacts. ARGV: member, now ms, per ms, max, min gap ms, keep ms,
// intervention id. Returns 1 when reserved (or already reserved by the
// same intervention), else 0.
var reserveScript = redis.NewScript(`
local now = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[6]))
local mine = redis.call('ZRANGE', KEYS[1], 0, -1)
for _, m in ipairs(mine) do
  if string.sub(m, 1, string.len(ARGV[7]) + 1) == ARGV[7] .. '|' then return 1 end
end
local per, max, gap = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
if gap > 0 then
  local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
  if last[2] and now < tonumber(last[2]) + gap then return 0 end
end
if max > 0 and per > 0 then
  local n = redis.call('ZCOUNT', KEYS[1], '(' .. (now - per), now)
  if n >= max then return 0 end
end
redis.call('ZADD', KEYS[1], now, ARGV[1])
return 1
`)

// Reserve records c as a contact if the budget allows one more at c.At:
// fewer than max contacts in the period per before it (max or per 0: no
// limit) and at least minGap after the last. Check and record are one
// atomic step, so two workers cannot both take the last place. Reserving
// again for the same intervention succeeds.
func (s *CustomerStore) Reserve(ctx context.Context, cus string, c Contact, per time.Duration, max int, minGap time.Duration) (bool, error) {
	n, err := reserveScript.Run(ctx, s.rdb, []string{contactsKey(cus)},
		c.member(), c.At.UnixMilli(), per.Milliseconds(), max, minGap.Milliseconds(), keep.Milliseconds(), c.Intervention).Int()
	if err != nil {
		return false, fmt.Errorf("reserve contact: %w", err)
	}
	return n == 1, nil
}

// Release removes the contact an intervention reserved, after its send failed.
func (s *CustomerStore) Release(ctx context.Context, cus string, c Contact) error {
	return s.rdb.ZRem(ctx, contactsKey(cus), c.member()).Err()
}

// NoteEvent remembers that an event of type typ reached the customer at,
// for skip_if's events_since.
func (s *EventStore) NoteEvent(ctx context.Context, cus, typ, id string, at time.Time) error {
	return s.NoteEvents(ctx, []Noted{{Customer: cus, Type: typ, ID: id, At: at}})
}

// EventsSince returns the types of the customer's events that occurred
// after since, other than the event except: of the newest MaxHistory,
// oldest first.
func (s *EventStore) EventsSince(ctx context.Context, cus string, since time.Time, except string) ([]string, error) {
	ms, err := s.rdb.ZRevRangeByScore(ctx, recentKey(cus), sinceRange(since)).Result()
	if err != nil {
		return nil, fmt.Errorf("load recent events: %w", err)
	}
	return newestTypes(ms, except), nil
}

// sinceRange selects the newest recent events (one more than MaxHistory,
// in case one is left out) that occurred after t.
func sinceRange(t time.Time) *redis.ZRangeBy {
	return &redis.ZRangeBy{Min: "(" + strconv.FormatInt(t.UnixMilli(), 10), Max: "+inf", Count: MaxHistory + 1}
}

// enterScript records an entry unless one is recorded that is younger
// than ARGV[3] ms (0: any entry blocks); the same event may enter again.
// KEYS: entered. ARGV: field, now ms, reentry ms, event id. Returns
// 0 when entered, else the earlier entry's time in ms.
var enterScript = redis.NewScript(`
local prev = redis.call('HGET', KEYS[1], ARGV[1])
if prev then
  local sep = string.find(prev, '|', 1, true)
  local at = tonumber(string.sub(prev, 1, sep - 1))
  if string.sub(prev, sep + 1) == ARGV[4] then return 0 end
  local r = tonumber(ARGV[3])
  if r == 0 or tonumber(ARGV[2]) - at < r then return at end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2] .. '|' .. ARGV[4])
return 0
`)

// Entering asks EnterAll to record that Event made Customer enter a run
// under Key (a flow, or a flow and subject) at At, unless an entry by
// another event blocks it: any earlier entry when Reentry is 0, else one
// less than Reentry ago.
type Entering struct {
	Customer, Key, Event string
	At                   time.Time
	Reentry              time.Duration
}

// EnterAll records many entries, in order, so a later one sees the
// earlier ones. out[i] is the time of the entry that blocks es[i], or the
// zero time when the customer entered. A first entry under
// its key, the common case, is one HSETNX; only entries that find one
// there run enterScript, in a second round trip.
func (s *CustomerStore) EnterAll(ctx context.Context, es []Entering) ([]time.Time, error) {
	first := make([]*redis.BoolCmd, len(es))
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, e := range es {
			first[i] = p.HSetNX(ctx, enteredKey(e.Customer), e.Key, entryValue(e))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("record flow entries: %w", err)
	}
	var calls []*call
	var at []int
	for i, e := range es {
		if !first[i].Val() {
			calls = append(calls, &call{script: enterScript, keys: []string{enteredKey(e.Customer)},
				args: []any{e.Key, e.At.UnixMilli(), e.Reentry.Milliseconds(), e.Event}})
			at = append(at, i)
		}
	}
	out := make([]time.Time, len(es))
	if len(calls) == 0 {
		return out, nil
	}
	if err := s.evalAll(ctx, calls); err != nil {
		return nil, fmt.Errorf("record flow entries: %w", err)
	}
	for j, c := range calls {
		ms, err := c.cmd.Int64()
		if err != nil {
			return nil, fmt.Errorf("record flow entry: %w", err)
		}
		if ms != 0 {
			out[at[j]] = time.UnixMilli(ms).UTC()
		}
	}
	return out, nil
}

// entryValue is what enterScript records for e: its time and event.
func entryValue(e Entering) string {
	return strconv.FormatInt(e.At.UnixMilli(), 10) + "|" + e.Event
}

// debounceScript hands a new event to a pending debounced intervention,
// unless that intervention carries a newer event already: events may be
// routed out of order, and the one that happened last wins.
// KEYS: interventions, debounce hash, recent events. ARGV: slot, new iv
// id, event id, event type. Returns the pending intervention id it
// joined, or "" when the slot is free (now taken by the new id).
var debounceScript = recordScript(`
local cur = redis.call('HGET', KEYS[2], ARGV[1])
if cur then
  local r = get(cur)
  if r and r.state == 'scheduled' then
    local was = r.event and redis.call('ZSCORE', KEYS[3], (r.event_type or '') .. '|' .. r.event)
    local now = redis.call('ZSCORE', KEYS[3], ARGV[4] .. '|' .. ARGV[3])
    if not was or not now or tonumber(now) >= tonumber(was) then
      if r.event and r.event ~= ARGV[3] and r.plan_at and not r.plan_event then
        -- The plan's journal entry names the event the step was planned for.
        r.plan_event, r.plan_event_type = r.event, r.event_type
      end
      r.event, r.event_type, r.occurred = ARGV[3], ARGV[4], now or nil
      put(cur, r)
    end
    return cur
  end
end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
return ''
`)

// Debounce joins an event to the pending intervention in slot (a flow,
// step and subject) when there is one still scheduled: that intervention
// then carries the new event's data, unless the event it carries happened
// later (as NoteEvent recorded them). It returns the id joined, or "" when
// there was none and id now holds the slot.
func (s *InterventionStore) Debounce(ctx context.Context, cus, slot, id, eventID, eventType string) (string, error) {
	res, err := debounceScript.Run(ctx, s.rdb, []string{ivsKey(cus), debounceKey(cus), recentKey(cus)}, slot, id, eventID, eventType).Text()
	if err != nil {
		return "", fmt.Errorf("debounce: %w", err)
	}
	return res, nil
}

// KeepFlowSource stores a flow version's YAML so that runs pinned to it can
// finish on it after the flow changed.
func (s *InterventionStore) KeepFlowSource(ctx context.Context, version string, src []byte) error {
	return s.rdb.SetNX(ctx, flowSourceKey(version), src, 0).Err()
}

// FlowSource returns a stored flow version's YAML.
func (s *InterventionStore) FlowSource(ctx context.Context, version string) ([]byte, error) {
	b, err := s.rdb.Get(ctx, flowSourceKey(version)).Bytes()
	if err == redis.Nil {
		return nil, fmt.Errorf("flow version %s: %w", version, ErrNotFound)
	}
	return b, err
}

func cancelsKey(cus string) string { return custKey(cus, "cancels") }

// CancelMark remembers that an event cancelled a flow (or one step of it)
// for a customer and subject, so that a run whose trigger event occurred
// earlier but arrives later is cancelled as well.
type CancelMark struct {
	Flow, Step, Subject string
	Occurred            time.Time
	EventType, EventID  string
}

// markScript keeps the latest mark per flow, step and subject.
// KEYS: cancels. ARGV: field, occurred ms, value.
var markScript = redis.NewScript(`
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if cur then
  local at = tonumber(string.sub(cur, 1, string.find(cur, '|', 1, true) - 1))
  if at >= tonumber(ARGV[2]) then return 0 end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
return 1
`)

// MarkCancel records m.
func (s *EventStore) MarkCancel(ctx context.Context, cus string, m CancelMark) error {
	field := m.Flow + "|" + m.Step + "|" + m.Subject
	ms := m.Occurred.UnixMilli()
	val := strconv.FormatInt(ms, 10) + "|" + m.EventType + "|" + m.EventID
	if err := markScript.Run(ctx, s.rdb, []string{cancelsKey(cus)}, field, ms, val).Err(); err != nil {
		return fmt.Errorf("mark cancel: %w", err)
	}
	return nil
}

func decodeMarks(m map[string]string) []CancelMark {
	out := make([]CancelMark, 0, len(m))
	for field, val := range m {
		f := strings.SplitN(field, "|", 3)
		v := strings.SplitN(val, "|", 3)
		if len(f) != 3 || len(v) != 3 {
			continue
		}
		ms, _ := strconv.ParseInt(v[0], 10, 64)
		out = append(out, CancelMark{Flow: f[0], Step: f[1], Subject: f[2], Occurred: time.UnixMilli(ms).UTC(), EventType: v[1], EventID: v[2]})
	}
	return out
}
