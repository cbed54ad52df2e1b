package store

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// Callback states.
const (
	CallbackQueued  = "queued"
	CallbackClaimed = "claimed"
	CallbackDone    = "done"
)

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
}

func (c *Callback) fields() []any {
	return []any{
		"id", c.ID, "queue", c.Queue, "customer", c.Customer, "name", c.Name,
		"phone", c.Phone, "talking_points", c.TalkingPoint, "flow", c.Flow,
		"step", c.Step, "intervention", c.Intervention,
		"due", c.Due.UTC().Format(time.RFC3339Nano), "priority", c.Priority,
		"state", c.State, "created", c.Created.UTC().Format(time.RFC3339Nano),
		"attempts", c.Attempts, "agent", c.Agent, "outcome", c.Outcome, "note", c.Note,
	}
}

func decodeCallback(m map[string]string) *Callback {
	c := &Callback{
		ID: m["id"], Queue: m["queue"], Customer: m["customer"], Name: m["name"],
		Phone: m["phone"], TalkingPoint: m["talking_points"], Flow: m["flow"],
		Step: m["step"], Intervention: m["intervention"], State: m["state"],
		Agent: m["agent"], Outcome: m["outcome"], Note: m["note"],
	}
	c.Due, _ = time.Parse(time.RFC3339Nano, m["due"])
	c.Created, _ = time.Parse(time.RFC3339Nano, m["created"])
	c.Priority, _ = strconv.Atoi(m["priority"])
	c.Attempts, _ = strconv.Atoi(m["attempts"])
	return c
}

// callbackScore orders a queue by priority (higher first), then due time.
func callbackScore(priority int, due time.Time) float64 {
	return float64(100-priority)*1e13 + float64(due.UnixMilli())
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
func (s *Store) AddCallback(ctx context.Context, c *Callback) (added bool, err error) {
	if c.State == "" {
		c.State = CallbackQueued
	}
	args := append([]any{c.ID, callbackScore(c.Priority, c.Due)}, c.fields()...)
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

// Callbacks lists a queue's callbacks in queue order; state "" lists all.
func (s *Store) Callbacks(ctx context.Context, queue, state string, limit int) ([]*Callback, error) {
	if limit <= 0 {
		limit = 1000
	}
	ids, err := s.rdb.ZRange(ctx, queueKey(queue), 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("list callbacks: %w", err)
	}
	cmds := make([]*redis.MapStringStringCmd, len(ids))
	_, err = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range ids {
			cmds[i] = p.HGetAll(ctx, callbackKey(queue, id))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load callbacks: %w", err)
	}
	out := []*Callback{}
	for _, c := range cmds {
		if len(c.Val()) == 0 {
			continue
		}
		cb := decodeCallback(c.Val())
		if state != "" && cb.State != state {
			continue
		}
		out = append(out, cb)
		if len(out) == limit {
			break
		}
	}
	return out, nil
}

// Queues lists the names of the callback queues that have been used, in
// alphabetical order.
func (s *Store) Queues(ctx context.Context) ([]string, error) {
	names, err := s.rdb.SMembers(ctx, queuesKey()).Result()
	if err != nil {
		return nil, fmt.Errorf("list callback queues: %w", err)
	}
	slices.Sort(names)
	return names, nil
}
