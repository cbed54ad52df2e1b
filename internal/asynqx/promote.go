package asynqx

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// promoteScript moves due tasks from a due index into their queue's
// pending list, as asynq's own forwarder moves scheduled tasks. A task
// is written only when this call took its member out of the due index,
// so that promoters on many workers never queue a task twice, and a
// member removed meanwhile (cancelled, erased) is not queued at all. A
// task id already in the queue is left as it is.
// KEYS: due index, pending list. ARGV: queue, time in ns, task key
// prefix, then per task: member, id, message.
var promoteScript = redis.NewScript(`
local n = 0
for i = 4, #ARGV, 3 do
  if redis.call('ZREM', KEYS[1], ARGV[i]) == 1 then
    local key = ARGV[3] .. ARGV[i+1]
    if redis.call('EXISTS', key) == 0 then
      redis.call('HSET', key, 'msg', ARGV[i+2], 'state', 'pending', 'pending_since', ARGV[2])
      redis.call('LPUSH', KEYS[2], ARGV[i+1])
      n = n + 1
    end
  end
end
return n
`)

// Due is a task to move from a due index into its queue.
type Due struct {
	// Member is the task's member in the due index.
	Member string
	Task   Task
}

// Promote moves tasks, all of one queue, out of the due index key into
// the queue's pending list in one atomic script (see promoteScript). The
// due index must share the queue's hash tag. It returns how many tasks
// it queued.
func Promote(ctx context.Context, rdb redis.UniversalClient, key, queue string, now time.Time, due []Due) (int, error) {
	if len(due) == 0 {
		return 0, nil
	}
	args := make([]any, 0, 3+3*len(due))
	args = append(args, queue, now.UnixNano(), "asynq:{"+queue+"}:t:")
	for _, d := range due {
		if d.Task.Queue != queue || d.Task.ID == "" || d.Task.Type == "" {
			return 0, fmt.Errorf("promote task %q: id and type are required, and queue %q", d.Task.ID, queue)
		}
		args = append(args, d.Member, d.Task.ID, d.Task.encode())
	}
	n, err := promoteScript.Run(ctx, rdb, []string{key, "asynq:{" + queue + "}:pending"}, args...).Int()
	if err != nil {
		return 0, fmt.Errorf("promote due tasks of %s: %w", queue, err)
	}
	if n > 0 {
		// asynq lists the queues it knows in a key of its own slot.
		if err := rdb.SAdd(ctx, allQueues, queue).Err(); err != nil {
			return n, fmt.Errorf("register queue %s: %w", queue, err)
		}
	}
	return n, nil
}
