package store

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// MaxHistory is how many of a customer's events one read of their history
// returns at most (History, and the types of the events since a step's
// trigger): the newest.
const MaxHistory = 100

// Recent is one of a customer's recorded events (see NoteEvent), with the
// event itself while it is stored.
type Recent struct {
	ID, Type string
	At       time.Time // when it occurred
	// Event is the event's JSON; nil once it is no longer stored.
	Event []byte
}

// HistoryQuery selects a customer's recorded events by when they
// occurred: after After (exclusive; zero: no bound), from From (inclusive;
// zero: no bound) and before Before (exclusive; zero: no bound); of Types
// (none: every type), other than the event Except; the newest Limit
// (0: MaxHistory), newest first.
type HistoryQuery struct {
	After, From, Before time.Time
	Types               []string
	Except              string
	Limit               int
}

// historyScript reads the newest recorded events in a score range with the
// events themselves. KEYS: recent events, events. ARGV: max score,
// min score, limit, the id to leave out, then the types to keep
// (none: every type). Returns member, score and event (false when gone)
// for each, newest first.
var historyScript = redis.NewScript(`
local limit, except = tonumber(ARGV[3]), ARGV[4]
local want, every = {}, #ARGV < 5
for i = 5, #ARGV do want[ARGV[i]] = true end
local out, n, offset = {}, 0, 0
while n < limit do
  local page = redis.call('ZREVRANGEBYSCORE', KEYS[1], ARGV[1], ARGV[2], 'WITHSCORES', 'LIMIT', offset, 200)
  if #page == 0 then break end
  for i = 1, #page, 2 do
    local m = page[i]
    local sep = string.find(m, '|', 1, true)
    if sep then
      local typ, id = string.sub(m, 1, sep - 1), string.sub(m, sep + 1)
      if id ~= except and (every or want[typ]) then
        out[#out + 1] = m
        out[#out + 1] = page[i + 1]
        out[#out + 1] = redis.call('HGET', KEYS[2], id)
        n = n + 1
        if n >= limit then break end
      end
    end
  end
  offset = offset + 200
end
return out
`)

// History reads, in one round trip, the customer's recorded events that
// each query selects, with the events themselves.
func (s *EventStore) History(ctx context.Context, cus string, qs []HistoryQuery) ([][]Recent, error) {
	calls := make([]*call, len(qs))
	for i, q := range qs {
		limit := q.Limit
		if limit <= 0 {
			limit = MaxHistory
		}
		args := []any{scoreBound(q.Before, true, "+inf"), minBound(q), limit, q.Except}
		for _, t := range q.Types {
			args = append(args, t)
		}
		calls[i] = &call{script: historyScript, keys: []string{recentKey(cus), eventsKey(cus)}, args: args}
	}
	if err := s.evalAll(ctx, calls); err != nil {
		return nil, fmt.Errorf("load history: %w", err)
	}
	now := time.Now()
	out := make([][]Recent, len(qs))
	for i, c := range calls {
		vals, err := c.cmd.Slice()
		if err != nil {
			return nil, fmt.Errorf("load history: %w", err)
		}
		for j := 0; j+2 < len(vals); j += 3 {
			r := Recent{}
			m, _ := vals[j].(string)
			r.Type, r.ID = splitMember(m)
			score, _ := vals[j+1].(string)
			ms, _ := strconv.ParseFloat(score, 64)
			r.At = time.UnixMilli(int64(ms)).UTC()
			if v, ok := vals[j+2].(string); ok {
				r.Event, _ = live(v, now)
			}
			out[i] = append(out[i], r)
		}
	}
	return out, nil
}

// minBound is the lowest score q selects.
func minBound(q HistoryQuery) string {
	if !q.After.IsZero() {
		return scoreBound(q.After, true, "-inf")
	}
	return scoreBound(q.From, false, "-inf")
}

// scoreBound is t as a score bound, exclusive when open; none when t is
// zero.
func scoreBound(t time.Time, open bool, none string) string {
	switch {
	case t.IsZero():
		return none
	case open:
		return "(" + strconv.FormatInt(t.UnixMilli(), 10)
	}
	return strconv.FormatInt(t.UnixMilli(), 10)
}

// splitMember splits a recorded event "type|id".
func splitMember(m string) (typ, id string) {
	typ, id, _ = strings.Cut(m, "|")
	return typ, id
}

// newestTypes returns the types of the newest MaxHistory recorded events
// (type|id, newest first), other than the event except, oldest first.
func newestTypes(members []string, except string) []string {
	out := []string{}
	for _, m := range members {
		typ, id := splitMember(m)
		if id != except && len(out) < MaxHistory {
			out = append(out, typ)
		}
	}
	slices.Reverse(out)
	return out
}
