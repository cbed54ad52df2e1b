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

// Callback states. A callback is queued until an agent claims it; a
// claimed callback goes back to queued (a retry, a requested call-back, an
// expired lease) or ends as done.
const (
	CallbackQueued  = "queued"
	CallbackClaimed = "claimed"
	CallbackDone    = "done"
)

// ErrCallbackChanged is returned by SaveCallback when the callback changed
// since it was read (another agent claimed it, a lease ran out); nothing
// was saved.
var ErrCallbackChanged = errors.New("callback changed meanwhile")

// Callback is a call request waiting in a contact-centre queue.
type Callback struct {
	ID           string    `json:"id"`
	Queue        string    `json:"queue"`
	Customer     string    `json:"customer_id"`
	Name         string    `json:"name,omitempty"`
	Phone        string    `json:"phone,omitempty"`
	TalkingPoint string    `json:"talking_points"`
	Flow         string    `json:"flow"`
	Step         string    `json:"step"`
	Intervention string    `json:"intervention"`
	Due          time.Time `json:"due"`
	Priority     int       `json:"priority"`
	State        string    `json:"state"`
	Created      time.Time `json:"created"`
	Attempts     int       `json:"attempts"`
	Agent        string    `json:"agent,omitempty"`
	Outcome      string    `json:"outcome,omitempty"`
	Note         string    `json:"note,omitempty"`
	// Window is the step's window ("mon-fri 09:00-17:00") in the
	// customer's zone Timezone; "" when the step has none.
	Window   string `json:"window,omitempty"`
	Timezone string `json:"timezone,omitempty"`
	// Deadline is when the callback is exhausted if nobody completed it;
	// zero for none.
	Deadline time.Time `json:"deadline,omitzero"`
	// Claimed is when Agent claimed it; LeaseUntil when the claim lapses.
	Claimed    time.Time `json:"claimed_at,omitzero"`
	LeaseUntil time.Time `json:"lease_until,omitzero"`
	// Ended is when it became done, and Result how it ended: reached,
	// declined, wrong_number, exhausted (no tries left) or expired (its
	// deadline passed).
	Ended  time.Time `json:"ended_at,omitzero"`
	Result string    `json:"result,omitempty"`
	// TaskSID is the Twilio TaskRouter task that offers it, if any.
	TaskSID string `json:"task_sid,omitempty"`
	// Version counts the changes; SaveCallback checks it.
	Version int `json:"-"`
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func millis(t time.Time) string {
	if t.IsZero() {
		return "0"
	}
	return strconv.FormatInt(t.UnixMilli(), 10)
}

func (c *Callback) fields() []any {
	return []any{
		"id", c.ID, "queue", c.Queue, "customer", c.Customer, "name", c.Name,
		"phone", c.Phone, "talking_points", c.TalkingPoint, "flow", c.Flow,
		"step", c.Step, "intervention", c.Intervention,
		"due", stamp(c.Due), "priority", c.Priority,
		"state", c.State, "created", stamp(c.Created),
		"attempts", c.Attempts, "agent", c.Agent, "outcome", c.Outcome, "note", c.Note,
		"window", c.Window, "timezone", c.Timezone, "deadline", stamp(c.Deadline),
		"claimed_at", stamp(c.Claimed), "lease_until", stamp(c.LeaseUntil),
		"ended_at", stamp(c.Ended), "result", c.Result, "task_sid", c.TaskSID,
		// For the scripts, which cannot read RFC 3339.
		"due_ms", millis(c.Due), "lease_ms", millis(c.LeaseUntil), "deadline_ms", millis(c.Deadline),
	}
}

func decodeCallback(m map[string]string) *Callback {
	c := &Callback{
		ID: m["id"], Queue: m["queue"], Customer: m["customer"], Name: m["name"],
		Phone: m["phone"], TalkingPoint: m["talking_points"], Flow: m["flow"],
		Step: m["step"], Intervention: m["intervention"], State: m["state"],
		Agent: m["agent"], Outcome: m["outcome"], Note: m["note"],
		Window: m["window"], Timezone: m["timezone"], Result: m["result"], TaskSID: m["task_sid"],
	}
	parse := func(k string) time.Time {
		t, _ := time.Parse(time.RFC3339Nano, m[k])
		return t
	}
	c.Due, c.Created, c.Deadline = parse("due"), parse("created"), parse("deadline")
	c.Claimed, c.LeaseUntil, c.Ended = parse("claimed_at"), parse("lease_until"), parse("ended_at")
	c.Priority, _ = strconv.Atoi(m["priority"])
	c.Attempts, _ = strconv.Atoi(m["attempts"])
	c.Version, _ = strconv.Atoi(m["version"])
	return c
}

// Priorities outside [MinPriority, MaxPriority] are clamped.
const (
	MinPriority = -100
	MaxPriority = 100
)

// callbackScore orders a queue: callbacks still to be worked by priority
// (higher first), then due time, all at 0 or above; done callbacks below
// 0, most recently ended first.
func callbackScore(c *Callback) float64 {
	if c.State == CallbackDone {
		end := c.Ended
		if end.IsZero() {
			end = c.Due
		}
		return -float64(end.UnixMilli()) - 1
	}
	p := min(max(c.Priority, MinPriority), MaxPriority)
	return float64(MaxPriority-p)*1e13 + float64(max(c.Due.UnixMilli(), 0))
}

// addCallbackScript stores a callback and queues it, unless it exists.
// KEYS: record, queue. ARGV: id, score, fields…
var addCallbackScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local f = {}
for i = 3, #ARGV do f[#f+1] = ARGV[i] end
redis.call('HSET', KEYS[1], unpack(f))
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
return 1
`)

// AddCallback queues a callback. Adding the same id again changes nothing,
// so a retried step does not queue a second call.
func (s *CallbackStore) AddCallback(ctx context.Context, c *Callback) (added bool, err error) {
	if c.State == "" {
		c.State = CallbackQueued
	}
	c.Priority = min(max(c.Priority, MinPriority), MaxPriority)
	args := append([]any{c.ID, callbackScore(c)}, c.fields()...)
	n, err := addCallbackScript.Run(ctx, s.rdb, []string{callbackKey(c.Queue, c.ID), queueKey(c.Queue)}, args...).Int()
	if err != nil {
		return false, fmt.Errorf("queue callback: %w", err)
	}
	_, err = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.SAdd(ctx, callbackRefsKey(c.Customer), c.Queue+"|"+c.ID)
		p.SAdd(ctx, queuesKey(), c.Queue)
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("index callback: %w", err)
	}
	return n == 1, nil
}

// loadCallbacks reads the callbacks ids of queue, in order, leaving out
// those that are gone.
func (s *CallbackStore) loadCallbacks(ctx context.Context, queue string, ids []string) ([]*Callback, error) {
	cmds := make([]*redis.MapStringStringCmd, len(ids))
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range ids {
			cmds[i] = p.HGetAll(ctx, callbackKey(queue, id))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load callbacks: %w", err)
	}
	out := make([]*Callback, 0, len(ids))
	for _, c := range cmds {
		if len(c.Val()) > 0 {
			out = append(out, decodeCallback(c.Val()))
		}
	}
	return out, nil
}

// Callbacks lists a queue's callbacks: those still to be worked in queue
// order, then the done ones, most recently ended first. state "" lists
// all; limit <= 0 means 1000.
func (s *CallbackStore) Callbacks(ctx context.Context, queue, state string, limit int) ([]*Callback, error) {
	if limit <= 0 {
		limit = 1000
	}
	out := []*Callback{}
	if state != CallbackDone {
		for off := 0; len(out) < limit; off += 500 {
			page, n, err := s.page(ctx, queue, "0", "+inf", off, 500)
			if err != nil {
				return nil, err
			}
			for _, c := range page {
				if (state == "" || c.State == state) && len(out) < limit {
					out = append(out, c)
				}
			}
			if n < 500 {
				break
			}
		}
	}
	if state == "" || state == CallbackDone {
		page, _, err := s.page(ctx, queue, "-inf", "(0", 0, int64(limit-len(out)))
		if err != nil {
			return nil, err
		}
		out = append(out, page...)
	}
	return out, nil
}

// page loads count callbacks of queue with a score in [lo, hi] from offset;
// n is how many ids the range held.
func (s *CallbackStore) page(ctx context.Context, queue, lo, hi string, offset int, count int64) ([]*Callback, int, error) {
	if count <= 0 {
		return nil, 0, nil
	}
	ids, err := s.rdb.ZRangeByScore(ctx, queueKey(queue), &redis.ZRangeBy{Min: lo, Max: hi, Offset: int64(offset), Count: count}).Result()
	if err != nil {
		return nil, 0, fmt.Errorf("list callbacks: %w", err)
	}
	cbs, err := s.loadCallbacks(ctx, queue, ids)
	return cbs, len(ids), err
}

// OpenCallbacks returns up to count callbacks of queue that are still to
// be worked (queued or claimed), in queue order from offset.
func (s *CallbackStore) OpenCallbacks(ctx context.Context, queue string, offset, count int) ([]*Callback, error) {
	cbs, _, err := s.page(ctx, queue, "0", "+inf", offset, int64(count))
	return cbs, err
}

// Callback returns callback id of queue, or ErrNotFound.
func (s *CallbackStore) Callback(ctx context.Context, queue, id string) (*Callback, error) {
	m, err := s.rdb.HGetAll(ctx, callbackKey(queue, id)).Result()
	if err != nil {
		return nil, fmt.Errorf("load callback: %w", err)
	}
	if len(m) == 0 {
		return nil, fmt.Errorf("callback %q: %w", id, ErrNotFound)
	}
	return decodeCallback(m), nil
}

// FindCallback returns callback id from whichever queue holds it, or
// ErrNotFound. It asks each known queue, so it keeps no index that could
// outlive an erased customer.
func (s *CallbackStore) FindCallback(ctx context.Context, id string) (*Callback, error) {
	queues, err := s.Queues(ctx)
	if err != nil {
		return nil, err
	}
	cmds := make([]*redis.IntCmd, len(queues))
	_, err = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, q := range queues {
			cmds[i] = p.Exists(ctx, callbackKey(q, id))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("find callback: %w", err)
	}
	for i, c := range cmds {
		if c.Val() == 1 {
			return s.Callback(ctx, queues[i], id)
		}
	}
	return nil, fmt.Errorf("callback %q: %w", id, ErrNotFound)
}

// claimScript claims the first free callback of KEYS[2:] for an agent: a
// queued one that is due, or a claimed one whose lease ran out, and whose
// deadline has not passed.
// KEYS: queue, records…. ARGV: now ms, agent, lease ms, lease_until, claimed_at.
var claimScript = redis.NewScript(`
local now = tonumber(ARGV[1])
for i = 2, #KEYS do
  local f = redis.call('HMGET', KEYS[i], 'state', 'due_ms', 'lease_ms', 'deadline_ms')
  local free = false
  if f[1] == 'queued' then
    free = (tonumber(f[2] or '0') or 0) <= now
  elseif f[1] == 'claimed' then
    free = (tonumber(f[3] or '0') or 0) <= now
  end
  local dl = tonumber(f[4] or '0') or 0
  if free and (dl == 0 or dl > now) then
    redis.call('HSET', KEYS[i], 'state', 'claimed', 'agent', ARGV[2], 'lease_ms', ARGV[3],
      'lease_until', ARGV[4], 'claimed_at', ARGV[5])
    redis.call('HINCRBY', KEYS[i], 'version', 1)
    return i - 1
  end
end
return 0
`)

// ClaimCallback claims for agent, until until, the first of the callbacks
// ids of queue that is still free at now: queued and due, or claimed with
// a lapsed lease, and not past its deadline. The caller picks and orders
// ids (those that are callable now); the claim itself is one script, so
// each callback goes to one agent only. It returns nil when none was free.
func (s *CallbackStore) ClaimCallback(ctx context.Context, queue string, ids []string, agent string, now, until time.Time) (*Callback, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	keys := make([]string, 0, len(ids)+1)
	keys = append(keys, queueKey(queue))
	for _, id := range ids {
		keys = append(keys, callbackKey(queue, id))
	}
	i, err := claimScript.Run(ctx, s.rdb, keys, now.UnixMilli(), agent, until.UnixMilli(), stamp(until), stamp(now)).Int()
	if err != nil {
		return nil, fmt.Errorf("claim callback: %w", err)
	}
	if i == 0 {
		return nil, nil
	}
	return s.Callback(ctx, queue, ids[i-1])
}

// saveCallbackScript replaces a callback if its version is unchanged and
// moves it in its queue; a callback that becomes done is counted.
// KEYS: record, queue, stats. ARGV: id, version, score, fields…
// Returns -1 when the callback is gone, 0 when it changed, 1 when saved.
var saveCallbackScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
local cur = redis.call('HMGET', KEYS[1], 'version', 'state')
if (cur[1] or '0') ~= ARGV[2] then return 0 end
local f = {}
local state, result = '', ''
for i = 4, #ARGV, 2 do
  f[#f+1] = ARGV[i]
  f[#f+1] = ARGV[i+1]
  if ARGV[i] == 'state' then state = ARGV[i+1] end
  if ARGV[i] == 'result' then result = ARGV[i+1] end
end
redis.call('HSET', KEYS[1], unpack(f))
redis.call('HSET', KEYS[1], 'version', tonumber(ARGV[2]) + 1)
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
if state == 'done' and cur[2] ~= 'done' then
  redis.call('HINCRBY', KEYS[3], 'ended', 1)
  if result ~= '' then redis.call('HINCRBY', KEYS[3], 'result:' .. result, 1) end
end
return 1
`)

// SaveCallback stores c, which was read at c.Version, and moves it to its
// place in the queue. It returns ErrCallbackChanged when the callback
// changed since, and ErrNotFound when it is gone (erased). On success
// c.Version is the new version.
func (s *CallbackStore) SaveCallback(ctx context.Context, c *Callback) error {
	c.Priority = min(max(c.Priority, MinPriority), MaxPriority)
	args := append([]any{c.ID, strconv.Itoa(c.Version), callbackScore(c)}, c.fields()...)
	keys := []string{callbackKey(c.Queue, c.ID), queueKey(c.Queue), statsKey(c.Queue)}
	n, err := saveCallbackScript.Run(ctx, s.rdb, keys, args...).Int()
	switch {
	case err != nil:
		return fmt.Errorf("save callback: %w", err)
	case n < 0:
		return fmt.Errorf("callback %q: %w", c.ID, ErrNotFound)
	case n == 0:
		return fmt.Errorf("callback %q: %w", c.ID, ErrCallbackChanged)
	}
	c.Version++
	return nil
}

// CallbackStats counts the callbacks of a queue that ended, in total and
// by result.
type CallbackStats struct {
	Ended    int64
	ByResult map[string]int64
}

// CallbackStats returns how the callbacks of queue ended so far.
func (s *CallbackStore) CallbackStats(ctx context.Context, queue string) (CallbackStats, error) {
	m, err := s.rdb.HGetAll(ctx, statsKey(queue)).Result()
	if err != nil {
		return CallbackStats{}, fmt.Errorf("load callback stats: %w", err)
	}
	st := CallbackStats{ByResult: map[string]int64{}}
	for k, v := range m {
		n, _ := strconv.ParseInt(v, 10, 64)
		if k == "ended" {
			st.Ended = n
		} else if r, ok := strings.CutPrefix(k, "result:"); ok {
			st.ByResult[r] = n
		}
	}
	return st, nil
}

// PruneCallbacks removes the done callbacks of queue that ended before
// before, with their references from the customers' indexes, and returns
// how many it removed.
func (s *CallbackStore) PruneCallbacks(ctx context.Context, queue string, before time.Time) (int, error) {
	lo := "(" + strconv.FormatFloat(-float64(before.UnixMilli())-1, 'f', -1, 64)
	ids, err := s.rdb.ZRangeByScore(ctx, queueKey(queue), &redis.ZRangeBy{Min: lo, Max: "(0", Count: 1000}).Result()
	if err != nil {
		return 0, fmt.Errorf("list ended callbacks: %w", err)
	}
	n := 0
	for _, id := range ids {
		cus, err := s.rdb.HGet(ctx, callbackKey(queue, id), "customer").Result()
		if err != nil && !errors.Is(err, redis.Nil) {
			return n, fmt.Errorf("prune callback: %w", err)
		}
		_, err = s.rdb.TxPipelined(ctx, func(tx redis.Pipeliner) error {
			tx.ZRem(ctx, queueKey(queue), id)
			tx.Del(ctx, callbackKey(queue, id))
			return nil
		})
		if err != nil {
			return n, fmt.Errorf("prune callback: %w", err)
		}
		if cus != "" {
			if err := s.rdb.SRem(ctx, callbackRefsKey(cus), queue+"|"+id).Err(); err != nil {
				return n, fmt.Errorf("prune callback reference: %w", err)
			}
		}
		n++
	}
	return n, nil
}

// SweepTurn reports whether the caller may sweep queue now: the first to
// ask within ttl gets the turn, so that several workers do not do the same
// work twice.
func (s *CallbackStore) SweepTurn(ctx context.Context, queue, who string, ttl time.Duration) (bool, error) {
	ok, err := s.rdb.SetNX(ctx, sweepKey(queue), who, ttl).Result()
	if err != nil {
		return false, fmt.Errorf("take sweep turn: %w", err)
	}
	return ok, nil
}

// Queues lists the names of the callback queues that have been used, in
// alphabetical order.
func (s *CallbackStore) Queues(ctx context.Context) ([]string, error) {
	names, err := s.rdb.SMembers(ctx, queuesKey()).Result()
	if err != nil {
		return nil, fmt.Errorf("list callback queues: %w", err)
	}
	slices.Sort(names)
	return names, nil
}

// CloseTaskLater notes a Twilio TaskRouter task of queue that no longer
// stands for a callable callback, for the sweep to cancel.
func (s *CallbackStore) CloseTaskLater(ctx context.Context, queue, sid string) error {
	if err := s.rdb.SAdd(ctx, taskCloseKey(queue), sid).Err(); err != nil {
		return fmt.Errorf("note task to close: %w", err)
	}
	return nil
}

// TasksToClose lists up to n tasks of queue noted by CloseTaskLater.
func (s *CallbackStore) TasksToClose(ctx context.Context, queue string, n int) ([]string, error) {
	sids, err := s.rdb.SRandMemberN(ctx, taskCloseKey(queue), int64(n)).Result()
	if err != nil {
		return nil, fmt.Errorf("list tasks to close: %w", err)
	}
	slices.Sort(sids)
	return sids, nil
}

// TaskClosed forgets a task noted by CloseTaskLater.
func (s *CallbackStore) TaskClosed(ctx context.Context, queue, sid string) error {
	if err := s.rdb.SRem(ctx, taskCloseKey(queue), sid).Err(); err != nil {
		return fmt.Errorf("forget closed task: %w", err)
	}
	return nil
}

// CustomerCallbacks returns every callback of a customer, in any queue and
// state.
func (s *CallbackStore) CustomerCallbacks(ctx context.Context, cus string) ([]*Callback, error) {
	refs, err := s.rdb.SMembers(ctx, callbackRefsKey(cus)).Result()
	if err != nil {
		return nil, fmt.Errorf("load callbacks of customer: %w", err)
	}
	slices.Sort(refs)
	var out []*Callback
	for _, ref := range refs {
		q, id, ok := strings.Cut(ref, "|")
		if !ok {
			continue
		}
		cb, err := s.Callback(ctx, q, id)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, cb)
	}
	return out, nil
}
