package asynqx

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"google.golang.org/protobuf/encoding/protowire"
)

// Scheduled is a task in a queue's scheduled set, where asynq keeps a
// task until its time (and where earlier versions of ahead kept every
// step task that was not due yet).
type Scheduled struct {
	ID string
	// At is the task's time in the set: asynq keeps it to the second.
	At time.Time
	// Type and Payload come from the task's message; both are empty when
	// its task hash is gone or cannot be read.
	Type    string
	Payload []byte
}

func scheduledKey(q string) string { return "asynq:{" + q + "}:scheduled" }

// ScheduledTasks returns up to limit tasks of queue's scheduled set from
// offset, the earliest first, with their type and payload, in two round
// trips.
func ScheduledTasks(ctx context.Context, rdb redis.UniversalClient, queue string, offset, limit int) ([]Scheduled, error) {
	zs, err := rdb.ZRangeWithScores(ctx, scheduledKey(queue), int64(offset), int64(offset+limit-1)).Result()
	if err != nil {
		return nil, fmt.Errorf("read scheduled tasks of %s: %w", queue, err)
	}
	if len(zs) == 0 {
		return nil, nil
	}
	out := make([]Scheduled, len(zs))
	cmds := make([]*redis.StringCmd, len(zs))
	_, err = rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, z := range zs {
			out[i].ID, _ = z.Member.(string)
			out[i].At = time.Unix(int64(z.Score), 0)
			cmds[i] = p.HGet(ctx, taskKey(queue, out[i].ID), "msg")
		}
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("read scheduled tasks of %s: %w", queue, err)
	}
	for i, c := range cmds {
		if msg, err := c.Bytes(); err == nil {
			out[i].Type, out[i].Payload = decode(msg)
		}
	}
	return out, nil
}

// decode reads the type and payload of asynq's TaskMessage protobuf (see
// Task.encode); a message that cannot be read has neither.
func decode(b []byte) (typ string, payload []byte) {
	for len(b) > 0 {
		num, wt, n := protowire.ConsumeTag(b)
		if n < 0 {
			return "", nil
		}
		b = b[n:]
		if wt == protowire.BytesType && (num == 1 || num == 2) {
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return "", nil
			}
			if num == 1 {
				typ = string(v)
			} else {
				payload = v
			}
			b = b[n:]
			continue
		}
		n = protowire.ConsumeFieldValue(num, wt, b)
		if n < 0 {
			return "", nil
		}
		b = b[n:]
	}
	return typ, payload
}

// ScheduledCount returns how many tasks each queue's scheduled set holds,
// in one round trip.
func ScheduledCount(ctx context.Context, rdb redis.UniversalClient, queues []string) ([]int64, error) {
	cmds := make([]*redis.IntCmd, len(queues))
	_, err := rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, q := range queues {
			cmds[i] = p.ZCard(ctx, scheduledKey(q))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("count scheduled tasks: %w", err)
	}
	out := make([]int64, len(queues))
	for i, c := range cmds {
		out[i] = c.Val()
	}
	return out, nil
}

// QueueNames returns the queues asynq knows: every queue a task was ever
// queued in.
func QueueNames(ctx context.Context, rdb redis.UniversalClient) ([]string, error) {
	qs, err := rdb.SMembers(ctx, allQueues).Result()
	if err != nil {
		return nil, fmt.Errorf("read asynq's queues: %w", err)
	}
	return qs, nil
}

// Move is what becomes of a task of a queue's scheduled set: it goes to
// the queue's due index as Member at At, or, when Member is "", it is
// just removed.
type Move struct {
	ID     string
	Member string
	At     time.Time // kept to the millisecond
}

// moveScript takes tasks out of a queue's scheduled set: a task this
// call took out of the set loses its task hash and, unless its member is
// "", goes to the due index (where a member that is there already keeps
// its time). A task no longer in the set was queued meanwhile by asynq's
// forwarder (a worker of an earlier version) and is left alone, so that
// each task ends up either queued or in the due index, never both.
// KEYS: scheduled set, due index. ARGV: task key prefix, then per task:
// id, member, due time in Unix ms. Returns per task 1 when it took it out.
var moveScript = redis.NewScript(`
local out = {}
for i = 2, #ARGV, 3 do
  if redis.call('ZREM', KEYS[1], ARGV[i]) == 1 then
    redis.call('DEL', ARGV[1] .. ARGV[i])
    if ARGV[i+1] ~= '' then
      redis.call('ZADD', KEYS[2], 'NX', ARGV[i+2], ARGV[i+1])
    end
    out[#out+1] = 1
  else
    out[#out+1] = 0
  end
end
return out
`)

// MoveScheduled moves tasks of queue's scheduled set into the due index
// key, or removes them, in one atomic script (see moveScript). The due
// index must share the queue's hash tag. It reports per task whether it
// took it out of the scheduled set (false: asynq had queued it meanwhile).
func MoveScheduled(ctx context.Context, rdb redis.UniversalClient, key, queue string, ms []Move) ([]bool, error) {
	if len(ms) == 0 {
		return nil, nil
	}
	if !strings.Contains(key, "{"+queue+"}") {
		return nil, fmt.Errorf("move scheduled tasks of %s: due index %s is not in the queue's slot", queue, key)
	}
	args := make([]any, 0, 1+3*len(ms))
	args = append(args, "asynq:{"+queue+"}:t:")
	for _, m := range ms {
		if m.ID == "" {
			return nil, fmt.Errorf("move scheduled tasks of %s: a task without an id", queue)
		}
		args = append(args, m.ID, m.Member, strconv.FormatInt(m.At.UnixMilli(), 10))
	}
	res, err := moveScript.Run(ctx, rdb, []string{scheduledKey(queue), key}, args...).Int64Slice()
	if err != nil {
		return nil, fmt.Errorf("move scheduled tasks of %s: %w", queue, err)
	}
	out := make([]bool, len(ms))
	for i := range out {
		out[i] = i < len(res) && res[i] == 1
	}
	return out, nil
}
