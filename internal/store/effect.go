package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// The effect of a flow is measured in two places:
//
//   - per customer, under the customer's hash tag, a mark per run of a
//     measured flow: its arm, its goal window and how many goal events it
//     counted so far (goalsKey). Marks go when the window has closed, and
//     with the customer when the customer is erased.
//   - per flow and report period, under the flow's tag, counters per arm
//     and per day on which goal windows close: entrants (n), entrants who
//     reached the goal (h), goal events (s) and the sum of each entrant's
//     count squared (q). They carry no personal data and outlive erasure.
//
// Every write to a mark is one script on the customer's slot; the counters
// are then raised with single commands on the flow's slot. On a Redis
// Cluster the two are separate steps: a process that dies between them
// leaves a run or a goal event uncounted (in either arm alike), never
// counted twice.

// KindGoal is the kind of the journal entry of a goal event counted for a
// run.
const KindGoal = "goal"

// dayMs is a day in milliseconds: counters are kept per day on which goal
// windows close.
const dayMs = 24 * 60 * 60 * 1000

// markGrace is how long a run's mark is kept after its window's day has
// closed, for goal events that arrive late.
const markGrace = 24 * time.Hour

// seenCap is how many goal events per run are remembered, so that an event
// handled twice counts once.
const seenCap = 32

// Period describes one report period of a flow: the holdout, salt and goal
// its counts were taken under.
type Period struct {
	ID      string    `json:"id"`
	Holdout float64   `json:"holdout"`
	Salt    string    `json:"salt"`
	Goal    string    `json:"goal"`
	Since   time.Time `json:"since"`
}

// Entrant is one run of a measured flow, counted when it starts.
type Entrant struct {
	Customer, Run string
	Flow, Version string
	Period        Period
	Arm           string
	// Event is the trigger event's id, which never counts as its own goal.
	Event   string
	Subject string
	// Start and End bound the goal window; End equals Start for a flow
	// without a goal.
	Start, End time.Time
}

// GoalWindow is a run's mark as stored: what Entrant recorded and the
// number of goal events counted so far.
type GoalWindow struct {
	Customer string    `json:"-"`
	Run      string    `json:"-"`
	Flow     string    `json:"f"`
	Version  string    `json:"v"`
	Period   string    `json:"p"`
	Arm      string    `json:"a"`
	Event    string    `json:"e"`
	Subject  string    `json:"s,omitempty"`
	Start    time.Time `json:"from"`
	End      time.Time `json:"to"`
	Count    int       `json:"-"`
}

// GoalHit is a goal event counted for a run.
type GoalHit struct {
	Window *GoalWindow
	// Event identifies the goal event (an event id, a message id), so that
	// it counts once per run.
	Event string
	// Entry is journaled for the customer when the hit counts.
	Entry Entry
}

// EffectCount is one counter row of a flow's period: entrants of one arm
// whose goal windows close on one day.
type EffectCount struct {
	// Closes is the end of the day (UTC) the windows close on: the rows
	// whose Closes has passed hold only closed windows.
	Closes time.Time
	Arm    string
	N      int64 // entrants
	Hits   int64 // entrants with at least one goal event
	Sum    int64 // goal events
	SumSq  int64 // sum over entrants of their count squared
}

// closeDay returns the day number (days since 1970-01-01 UTC) at whose
// start a window that ends at end counts as closed: end rounded up to
// midnight UTC.
func closeDay(end time.Time) int64 {
	ms := end.UnixMilli()
	return (ms + dayMs - 1) / dayMs
}

func counterField(day int64, arm, stat string) string {
	return strconv.FormatInt(day, 10) + ":" + arm + ":" + stat
}

// goalEnterScript records runs' marks unless they are there, and keeps the
// customer's marks until the last of them may close.
// KEYS: goals. ARGV: ttl in ms, then run and mark pairs. Returns 1 for a
// mark written, 0 for one that was there.
var goalEnterScript = redis.NewScript(`
local out = {}
for i = 2, #ARGV, 2 do
  out[#out+1] = redis.call('HSETNX', KEYS[1], ARGV[i], ARGV[i+1])
end
local want = tonumber(ARGV[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl >= 0 and ttl < want then redis.call('PEXPIRE', KEYS[1], want) end
return out
`)

// AddEntrants records runs of measured flows as they start: each run's
// mark under its customer, then one entrant in its flow's counters. A run
// recorded before (its event routed again) is not counted again. It
// reports which entrants were new.
func (s *Store) AddEntrants(ctx context.Context, es []Entrant, now time.Time) ([]bool, error) {
	if len(es) == 0 {
		return nil, nil
	}
	var calls []*call
	byCustomer := map[string]int{}
	at := make([][2]int, len(es))
	for i, e := range es {
		mark, err := json.Marshal(GoalWindow{
			Flow: e.Flow, Version: e.Version, Period: e.Period.ID, Arm: e.Arm, Event: e.Event,
			Subject: e.Subject, Start: e.Start.UTC(), End: e.End.UTC(),
		})
		if err != nil {
			return nil, fmt.Errorf("encode goal window: %w", err)
		}
		n, ok := byCustomer[e.Customer]
		if !ok {
			n = len(calls)
			byCustomer[e.Customer] = n
			calls = append(calls, &call{script: goalEnterScript, keys: []string{goalsKey(e.Customer)}, args: []any{int64(0)}})
		}
		c := calls[n]
		keep := time.UnixMilli(closeDay(e.End) * dayMs).Add(markGrace).Sub(now).Milliseconds()
		c.args[0] = max(c.args[0].(int64), keep, 1000)
		at[i] = [2]int{n, (len(c.args) - 1) / 2}
		c.args = append(c.args, e.Run, string(mark))
	}
	if err := s.evalAll(ctx, calls); err != nil {
		return nil, fmt.Errorf("record entrants: %w", err)
	}
	added := make([]bool, len(es))
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		noted := map[string]bool{}
		for i, e := range es {
			res, err := calls[at[i][0]].cmd.Int64Slice()
			if err != nil {
				return err
			}
			if at[i][1] >= len(res) || res[at[i][1]] != 1 {
				continue
			}
			added[i] = true
			p.HIncrBy(ctx, effectKey(e.Flow, e.Period.ID), counterField(closeDay(e.End), e.Arm, "n"), 1)
			if k := e.Flow + "|" + e.Period.ID; !noted[k] {
				noted[k] = true
				b, err := json.Marshal(e.Period)
				if err != nil {
					return err
				}
				p.HSetNX(ctx, periodsKey(e.Flow), e.Period.ID, b)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("count entrants: %w", err)
	}
	return added, nil
}

// GoalWindows returns the marks of the customers' measured runs, open or
// not yet removed, by customer.
func (s *Store) GoalWindows(ctx context.Context, customers []string) (map[string][]*GoalWindow, error) {
	var cmds []*redis.MapStringStringCmd
	var names []string
	seen := map[string]bool{}
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, c := range customers {
			if seen[c] {
				continue
			}
			seen[c] = true
			names = append(names, c)
			cmds = append(cmds, p.HGetAll(ctx, goalsKey(c)))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load goal windows: %w", err)
	}
	out := map[string][]*GoalWindow{}
	for i, cmd := range cmds {
		m := cmd.Val()
		for field, raw := range m {
			if strings.Contains(field, ":") {
				continue
			}
			w := &GoalWindow{Customer: names[i], Run: field}
			if err := json.Unmarshal([]byte(raw), w); err != nil {
				return nil, fmt.Errorf("decode goal window %s: %w", field, err)
			}
			w.Count, _ = strconv.Atoi(m[field+":n"])
			out[names[i]] = append(out[names[i]], w)
		}
	}
	for _, ws := range out {
		slices.SortFunc(ws, func(a, b *GoalWindow) int { return strings.Compare(a.Run, b.Run) })
	}
	return out, nil
}

// Expired reports whether a run's mark may go: its window closed, its day
// ended and the grace for late events passed.
func (w *GoalWindow) Expired(now time.Time) bool {
	return now.After(time.UnixMilli(closeDay(w.End) * dayMs).Add(markGrace))
}

// ForgetGoalWindows removes the marks of runs whose windows have closed.
// Their counts stay in the flow's counters.
func (s *Store) ForgetGoalWindows(ctx context.Context, ws []*GoalWindow) error {
	if len(ws) == 0 {
		return nil
	}
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, w := range ws {
			p.HDel(ctx, goalsKey(w.Customer), w.Run, w.Run+":n", w.Run+":seen")
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("remove closed goal windows: %w", err)
	}
	return nil
}

// goalScript counts goal events for a customer's runs, each event once
// per run, and journals each one counted. KEYS: goals, journal. ARGV: cap
// of the seen list in bytes, journal cap, then run, event digest and
// journal entry triples. Returns per triple the run's new count, or 0 when
// the run has no mark (gone, erased) or the event was counted before.
var goalScript = redis.NewScript(`
local out, cap, entries = {}, tonumber(ARGV[1]), {}
for i = 3, #ARGV, 3 do
  local run, ev = ARGV[i], ARGV[i+1] .. ','
  if redis.call('HEXISTS', KEYS[1], run) == 0 then
    out[#out+1] = 0
  else
    local seen = redis.call('HGET', KEYS[1], run .. ':seen') or ''
    if string.find(seen, ev, 1, true) then
      out[#out+1] = 0
    else
      seen = seen .. ev
      if #seen > cap then seen = string.sub(seen, #seen - cap + 1) end
      redis.call('HSET', KEYS[1], run .. ':seen', seen)
      out[#out+1] = redis.call('HINCRBY', KEYS[1], run .. ':n', 1)
      entries[#entries+1] = ARGV[i+2]
    end
  end
end
if #entries > 0 then
  redis.call('LPUSH', KEYS[2], unpack(entries))
  redis.call('LTRIM', KEYS[2], 0, tonumber(ARGV[2]) - 1)
end
return out
`)

// eventDigest is the short form of a goal event's id kept per run.
func eventDigest(id string) string {
	sum := sha256.Sum256([]byte(id))
	return hex.EncodeToString(sum[:4])
}

// CountGoals counts goal events for runs: in each run's mark first, then
// in its flow's counters (entrants who reached the goal, goal events and
// the sum of squares of the counts), journaling each hit that counts. An
// event counted for a run before is
// not counted again. It returns each run's count after the hit, 0 for a
// hit not counted.
func (s *Store) CountGoals(ctx context.Context, hits []GoalHit) ([]int, error) {
	if len(hits) == 0 {
		return nil, nil
	}
	const digestLen = 8 + 1
	var calls []*call
	byCustomer := map[string]int{}
	at := make([][2]int, len(hits))
	for i, h := range hits {
		cus := h.Window.Customer
		n, ok := byCustomer[cus]
		if !ok {
			n = len(calls)
			byCustomer[cus] = n
			calls = append(calls, &call{script: goalScript, keys: []string{goalsKey(cus), journalKey(cus)}, args: []any{seenCap * digestLen, journalCap}})
		}
		entry, err := encodeEntry(h.Entry)
		if err != nil {
			return nil, fmt.Errorf("count goal event: encode journal entry: %w", err)
		}
		c := calls[n]
		at[i] = [2]int{n, (len(c.args) - 2) / 3}
		c.args = append(c.args, h.Window.Run, eventDigest(h.Event), entry)
	}
	if err := s.evalAll(ctx, calls); err != nil {
		return nil, fmt.Errorf("count goal events: %w", err)
	}
	counts := make([]int, len(hits))
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, h := range hits {
			res, err := calls[at[i][0]].cmd.Int64Slice()
			if err != nil {
				return err
			}
			if at[i][1] >= len(res) || res[at[i][1]] <= 0 {
				continue
			}
			k := res[at[i][1]]
			counts[i] = int(k)
			w := h.Window
			key, day := effectKey(w.Flow, w.Period), closeDay(w.End)
			if k == 1 {
				p.HIncrBy(ctx, key, counterField(day, w.Arm, "h"), 1)
			}
			p.HIncrBy(ctx, key, counterField(day, w.Arm, "s"), 1)
			p.HIncrBy(ctx, key, counterField(day, w.Arm, "q"), 2*k-1) // k² − (k−1)²
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("count goal events: %w", err)
	}
	return counts, nil
}

// EffectCounts returns the counters of one report period of a flow, by
// day and arm, oldest first.
func (s *Store) EffectCounts(ctx context.Context, flow, period string) ([]EffectCount, error) {
	m, err := s.rdb.HGetAll(ctx, effectKey(flow, period)).Result()
	if err != nil {
		return nil, fmt.Errorf("load effect counters: %w", err)
	}
	rows := map[[2]string]*EffectCount{}
	for field, raw := range m {
		parts := strings.Split(field, ":")
		if len(parts) != 3 {
			continue
		}
		day, err1 := strconv.ParseInt(parts[0], 10, 64)
		v, err2 := strconv.ParseInt(raw, 10, 64)
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("effect counter %s: bad value %q", field, raw)
		}
		k := [2]string{parts[0], parts[1]}
		r := rows[k]
		if r == nil {
			r = &EffectCount{Closes: time.UnixMilli(day * dayMs).UTC(), Arm: parts[1]}
			rows[k] = r
		}
		switch parts[2] {
		case "n":
			r.N = v
		case "h":
			r.Hits = v
		case "s":
			r.Sum = v
		case "q":
			r.SumSq = v
		}
	}
	out := make([]EffectCount, 0, len(rows))
	for _, r := range rows {
		out = append(out, *r)
	}
	slices.SortFunc(out, func(a, b EffectCount) int {
		if c := a.Closes.Compare(b.Closes); c != 0 {
			return c
		}
		return strings.Compare(a.Arm, b.Arm)
	})
	return out, nil
}

// Periods returns the report periods a flow has counted in, oldest first.
func (s *Store) Periods(ctx context.Context, flow string) ([]Period, error) {
	m, err := s.rdb.HGetAll(ctx, periodsKey(flow)).Result()
	if err != nil {
		return nil, fmt.Errorf("load report periods: %w", err)
	}
	out := make([]Period, 0, len(m))
	for id, raw := range m {
		var p Period
		if err := json.Unmarshal([]byte(raw), &p); err != nil {
			return nil, fmt.Errorf("decode report period %s: %w", id, err)
		}
		p.ID = id
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b Period) int {
		if c := a.Since.Compare(b.Since); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, nil
}
