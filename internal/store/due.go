package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Due is a step task in the due index: it waits there, as a sorted-set
// member of a few dozen bytes, until its time comes, and only then
// becomes a task in its queue.
type Due struct {
	Queue    string
	Task     string // the task id: the intervention id, with a suffix per deferral
	Customer string
	// At is the wall-clock instant the task is due, kept to the millisecond.
	At time.Time
}

// Member is d's member in its queue's due index: the task id (which has
// no "|") and the customer.
func (d Due) Member() string { return d.Task + "|" + d.Customer }

// parseDue reads a member of queue's due index and its score.
func parseDue(queue string, z redis.Z) (Due, error) {
	m, _ := z.Member.(string)
	task, cus, ok := strings.Cut(m, "|")
	if !ok || task == "" {
		return Due{}, fmt.Errorf("due index of %s: bad member %q", queue, m)
	}
	return Due{Queue: queue, Task: task, Customer: cus, At: time.UnixMilli(int64(z.Score))}, nil
}

// AddDue puts step tasks in their due indexes, in one round trip. A task
// that is there already moves to its new time.
func (s *DueStore) AddDue(ctx context.Context, ds []Due) error {
	if len(ds) == 0 {
		return nil
	}
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, d := range ds {
			p.ZAdd(ctx, DueKey(d.Queue), redis.Z{Score: float64(d.At.UnixMilli()), Member: d.Member()})
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("add to due index: %w", err)
	}
	return nil
}

// RemoveDue takes a step task out of its due index; one that is not there
// (promoted already, or never added) is no error. It reports whether it
// was there.
func (s *DueStore) RemoveDue(ctx context.Context, d Due) (bool, error) {
	n, err := s.rdb.ZRem(ctx, DueKey(d.Queue), d.Member()).Result()
	if err != nil {
		return false, fmt.Errorf("remove task %s from due index: %w", d.Task, err)
	}
	return n > 0, nil
}

// DueBy returns up to limit tasks of queue's due index that are due at or
// before until, the earliest first.
func (s *DueStore) DueBy(ctx context.Context, queue string, until time.Time, limit int) ([]Due, error) {
	zs, err := s.rdb.ZRangeByScoreWithScores(ctx, DueKey(queue), &redis.ZRangeBy{
		Min: "-inf", Max: strconv.FormatInt(until.UnixMilli(), 10), Count: int64(limit),
	}).Result()
	if err != nil {
		return nil, fmt.Errorf("read due index of %s: %w", queue, err)
	}
	return parseDues(queue, zs)
}

// Dues returns up to limit tasks of queue's due index from offset, the
// earliest first, whatever their time.
func (s *DueStore) Dues(ctx context.Context, queue string, offset, limit int) ([]Due, error) {
	zs, err := s.rdb.ZRangeWithScores(ctx, DueKey(queue), int64(offset), int64(offset+limit-1)).Result()
	if err != nil {
		return nil, fmt.Errorf("read due index of %s: %w", queue, err)
	}
	return parseDues(queue, zs)
}

func parseDues(queue string, zs []redis.Z) ([]Due, error) {
	out := make([]Due, 0, len(zs))
	for _, z := range zs {
		d, err := parseDue(queue, z)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

// DueCount returns how many tasks wait in the due indexes of queues.
func (s *DueStore) DueCount(ctx context.Context, queues ...string) (int64, error) {
	cmds := make([]*redis.IntCmd, len(queues))
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, q := range queues {
			cmds[i] = p.ZCard(ctx, DueKey(q))
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("count due index: %w", err)
	}
	var n int64
	for _, c := range cmds {
		n += c.Val()
	}
	return n, nil
}

// Trigger is what a step task names besides its intervention: the trigger
// event and when it occurred, so that the step's state is read with its
// claim.
type Trigger struct {
	Event    string
	Occurred time.Time
}

// Triggers reads the trigger of each task's intervention (intervention
// ids[i] of tasks[i]'s customer) in one round trip; a zero Trigger for
// one that is gone.
func (s *DueStore) Triggers(ctx context.Context, ds []Due, ids []string) ([]Trigger, error) {
	cmds := make([]*redis.StringCmd, len(ds))
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, d := range ds {
			cmds[i] = p.HGet(ctx, ivsKey(d.Customer), ids[i])
		}
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("read triggers: %w", err)
	}
	out := make([]Trigger, len(ds))
	for i, c := range cmds {
		if c.Err() != nil {
			continue
		}
		m, err := decodeRecord(ids[i], c.Val())
		if err != nil {
			continue
		}
		out[i].Event = m["event"]
		if n, err := strconv.ParseInt(m["occurred"], 10, 64); err == nil {
			out[i].Occurred = time.UnixMilli(n)
		}
	}
	return out, nil
}

// DueAt returns when d waits for in its due index, and false when it is
// not there.
func (s *DueStore) DueAt(ctx context.Context, d Due) (time.Time, bool, error) {
	ms, err := s.rdb.ZScore(ctx, DueKey(d.Queue), d.Member()).Result()
	if errors.Is(err, redis.Nil) {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, fmt.Errorf("read due index of %s: %w", d.Queue, err)
	}
	return time.UnixMilli(int64(ms)), true, nil
}
