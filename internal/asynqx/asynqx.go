package asynqx

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
	"google.golang.org/protobuf/encoding/protowire"
)

// Task is one task to queue.
type Task struct {
	Type    string
	Payload []byte
	// ID is the task id; a task with this id already queued is left as it is.
	ID    string
	Queue string
	// Retry is the maximum number of retries.
	Retry int
	// ProcessAt is when the task is due; a time not in the future queues it
	// at once.
	ProcessAt time.Time
	// New says that no task with this ID can exist: the caller has just
	// created, atomically and once, the record the ID is derived from. The
	// task is then written with plain commands, without the script that
	// checks for the ID first, which costs Redis several times as much.
	New bool
}

// timeout is asynq's default task timeout, used when a task sets none.
const timeout = 30 * time.Minute

// encode writes the task as asynq's TaskMessage protobuf.
func (t Task) encode() []byte {
	var b []byte
	str := func(num protowire.Number, s string) {
		if s != "" {
			b = protowire.AppendTag(b, num, protowire.BytesType)
			b = protowire.AppendString(b, s)
		}
	}
	varint := func(num protowire.Number, v uint64) {
		if v != 0 {
			b = protowire.AppendTag(b, num, protowire.VarintType)
			b = protowire.AppendVarint(b, v)
		}
	}
	str(1, t.Type) // type
	if len(t.Payload) > 0 {
		b = protowire.AppendTag(b, 2, protowire.BytesType) // payload
		b = protowire.AppendBytes(b, t.Payload)
	}
	str(3, t.ID)                                // id
	str(4, t.Queue)                             // queue
	varint(5, uint64(int64(int32(t.Retry))))    // retry
	varint(8, uint64(int64(timeout.Seconds()))) // timeout in seconds; deadline stays 0
	return b
}

// The scripts asynq's client runs (internal/rdb: scheduleCmd, enqueueCmd).
var (
	scheduleScript = redis.NewScript(`
if redis.call("EXISTS", KEYS[1]) == 1 then
	return 0
end
redis.call("HSET", KEYS[1],
           "msg", ARGV[1],
           "state", "scheduled")
redis.call("ZADD", KEYS[2], ARGV[2], ARGV[3])
return 1
`)
	enqueueScript = redis.NewScript(`
if redis.call("EXISTS", KEYS[1]) == 1 then
	return 0
end
redis.call("HSET", KEYS[1],
           "msg", ARGV[1],
           "state", "pending",
           "pending_since", ARGV[3])
redis.call("LPUSH", KEYS[2], ARGV[2])
return 1
`)
)

func taskKey(q, id string) string { return "asynq:{" + q + "}:t:" + id }

const allQueues = "asynq:queues"

// Queue writes tasks in pipelines of up to 500 and reports, per task,
// whether it was queued (false: a task with that id already existed).
// now decides which tasks are due at once.
func Queue(ctx context.Context, rdb redis.UniversalClient, now time.Time, tasks []Task) ([]bool, error) {
	if len(tasks) == 0 {
		return nil, nil
	}
	out := make([]bool, 0, len(tasks))
	for len(tasks) > 0 {
		n := min(len(tasks), 500)
		ok, err := queue(ctx, rdb, now, tasks[:n])
		if err != nil {
			return nil, err
		}
		out = append(out, ok...)
		tasks = tasks[n:]
	}
	return out, nil
}

func queue(ctx context.Context, rdb redis.UniversalClient, now time.Time, tasks []Task) ([]bool, error) {
	cmds := make([]*redis.Cmd, len(tasks))
	_, err := rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		seen := map[string]bool{}
		for _, t := range tasks {
			if !seen[t.Queue] {
				seen[t.Queue] = true
				p.SAdd(ctx, allQueues, t.Queue)
			}
		}
		for i, t := range tasks {
			if t.ID == "" || t.Queue == "" || t.Type == "" {
				return fmt.Errorf("queue task %d: id, queue and type are required", i)
			}
			if t.New {
				writeNew(ctx, p, t, now)
				continue
			}
			script, keys, args := checked(t, now)
			cmds[i] = script.EvalSha(ctx, p, keys, args...)
		}
		return nil
	})
	if err != nil && !isNoScript(err) {
		return nil, fmt.Errorf("queue tasks: %w", err)
	}
	// A Redis (or a cluster node) that has not run a script yet answers
	// NOSCRIPT: those tasks go again, with the script's body, which Redis
	// then keeps.
	var retry []int
	for i, c := range cmds {
		if c != nil && isNoScript(c.Err()) {
			retry = append(retry, i)
		}
	}
	if len(retry) > 0 {
		_, err := rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for _, i := range retry {
				script, keys, args := checked(tasks[i], now)
				cmds[i] = script.Eval(ctx, p, keys, args...)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("queue tasks: %w", err)
		}
	}
	out := make([]bool, len(tasks))
	for i, c := range cmds {
		if c == nil {
			out[i] = true // New: written, not checked
			continue
		}
		n, err := c.Int()
		if err != nil {
			return nil, fmt.Errorf("queue task %s: %w", tasks[i].ID, err)
		}
		out[i] = n == 1
	}
	return out, nil
}

// checked returns the script that queues t unless a task with its id
// exists, as asynq's client does, with its keys and arguments.
func checked(t Task, now time.Time) (*redis.Script, []string, []any) {
	if t.ProcessAt.After(now) {
		return scheduleScript, []string{taskKey(t.Queue, t.ID), "asynq:{" + t.Queue + "}:scheduled"},
			[]any{t.encode(), t.ProcessAt.Unix(), t.ID}
	}
	return enqueueScript, []string{taskKey(t.Queue, t.ID), "asynq:{" + t.Queue + "}:pending"},
		[]any{t.encode(), t.ID, now.UnixNano()}
}

// writeNew writes what scheduleScript and enqueueScript write, without
// their check that the task is not there yet.
func writeNew(ctx context.Context, p redis.Pipeliner, t Task, now time.Time) {
	msg := t.encode()
	if t.ProcessAt.After(now) {
		p.HSet(ctx, taskKey(t.Queue, t.ID), "msg", msg, "state", "scheduled")
		p.ZAdd(ctx, "asynq:{"+t.Queue+"}:scheduled", redis.Z{Score: float64(t.ProcessAt.Unix()), Member: t.ID})
		return
	}
	p.HSet(ctx, taskKey(t.Queue, t.ID), "msg", msg, "state", "pending", "pending_since", now.UnixNano())
	p.LPush(ctx, "asynq:{"+t.Queue+"}:pending", t.ID)
}

func isNoScript(err error) bool {
	return err != nil && redis.HasErrorPrefix(err, "NOSCRIPT")
}
