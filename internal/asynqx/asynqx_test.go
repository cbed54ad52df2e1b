package asynqx

import (
	"context"
	"maps"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/aheadhq/ahead/internal/redistest"
)

func TestMain(m *testing.M) { os.Exit(redistest.Main(m)) }

// TestSameAsAsynq queues tasks through asynq's client and through asynqx
// and checks that asynq's inspector reads both the same way.
func TestSameAsAsynq(t *testing.T) {
	rdb := redistest.New(t)
	ctx := context.Background()
	client := asynq.NewClientFromRedisClient(rdb)
	ins := asynq.NewInspectorFromRedisClient(rdb)
	now := time.Now()
	later := now.Add(time.Hour).Truncate(time.Second)
	for i, c := range []struct {
		due   time.Time
		fresh bool
	}{{later, false}, {now.Add(-time.Second), false}, {later, true}, {now.Add(-time.Second), true}} {
		due := c.due
		ref := "ref" + string(rune('a'+i))
		mine := "mine" + string(rune('a'+i))
		if _, err := client.Enqueue(asynq.NewTask("step:run", []byte(`{"v":1}`)), asynq.TaskID(ref), asynq.Queue("steps-1"), asynq.MaxRetry(7), asynq.ProcessAt(due)); err != nil {
			t.Fatal(err)
		}
		ok, err := Queue(ctx, rdb, now, []Task{{Type: "step:run", Payload: []byte(`{"v":1}`), ID: mine, Queue: "steps-1", Retry: 7, ProcessAt: due, New: c.fresh}})
		if err != nil || !ok[0] {
			t.Fatalf("Queue = %v, %v", ok, err)
		}
		a, err := ins.GetTaskInfo("steps-1", ref)
		if err != nil {
			t.Fatal(err)
		}
		b, err := ins.GetTaskInfo("steps-1", mine)
		if err != nil {
			t.Fatal(err)
		}
		if a.Type != b.Type || string(a.Payload) != string(b.Payload) || a.MaxRetry != b.MaxRetry ||
			a.Timeout != b.Timeout || a.Deadline != b.Deadline || a.State != b.State || a.Queue != b.Queue ||
			(a.State == asynq.TaskStateScheduled && !a.NextProcessAt.Equal(b.NextProcessAt)) {
			t.Errorf("asynq reads\n%+v\nasynqx wrote (new: %v)\n%+v", a, c.fresh, b)
		}
		// The same keys and fields as asynq's own client.
		ra, _ := rdb.HGetAll(ctx, "asynq:{steps-1}:t:"+ref).Result()
		rb, _ := rdb.HGetAll(ctx, "asynq:{steps-1}:t:"+mine).Result()
		if len(ra) != len(rb) || ra["state"] != rb["state"] || (ra["pending_since"] == "") != (rb["pending_since"] == "") {
			t.Errorf("asynq's task hash %v, asynqx's (new: %v) %v", slices.Sorted(maps.Keys(ra)), c.fresh, slices.Sorted(maps.Keys(rb)))
		}
	}
	// A repeated id is left alone, as asynq's client does.
	ok, err := Queue(ctx, rdb, now, []Task{{Type: "step:run", ID: "minea", Queue: "steps-1", ProcessAt: later}})
	if err != nil || ok[0] {
		t.Fatalf("repeated id: %v, %v", ok, err)
	}
	queues, _ := ins.Queues()
	if len(queues) != 1 || queues[0] != "steps-1" {
		t.Errorf("queues = %v", queues)
	}
}

// A Redis that has not run the scripts yet (a restart, a new cluster node)
// gets their bodies, and a repeated id is still left alone.
func TestQueueWithoutScripts(t *testing.T) {
	rdb := redistest.New(t)
	ctx := context.Background()
	now := time.Now()
	tasks := []Task{
		{Type: "t", ID: "later", Queue: "q", ProcessAt: now.Add(time.Hour)},
		{Type: "t", ID: "now", Queue: "q", ProcessAt: now},
	}
	for _, want := range []bool{true, false} {
		if err := rdb.ScriptFlush(ctx).Err(); err != nil {
			t.Fatal(err)
		}
		ok, err := Queue(ctx, rdb, now, tasks)
		if err != nil || len(ok) != 2 || ok[0] != want || ok[1] != want {
			t.Fatalf("Queue after SCRIPT FLUSH = %v, %v; want both %v", ok, err, want)
		}
	}
	ins := asynq.NewInspectorFromRedisClient(rdb)
	if info, err := ins.GetTaskInfo("q", "later"); err != nil || info.State != asynq.TaskStateScheduled {
		t.Errorf("later: %+v, %v", info, err)
	}
	if info, err := ins.GetTaskInfo("q", "now"); err != nil || info.State != asynq.TaskStatePending {
		t.Errorf("now: %+v, %v", info, err)
	}
}

// TestServerRuns checks that an asynq server runs tasks asynqx queued.
func TestServerRuns(t *testing.T) {
	rdb := redistest.New(t)
	ctx := context.Background()
	var mu sync.Mutex
	seen := map[string]int{}
	done := make(chan struct{})
	const n = 300
	srv := asynq.NewServerFromRedisClient(rdb, asynq.Config{Concurrency: 4, Queues: map[string]int{"q": 1}, DelayedTaskCheckInterval: 100 * time.Millisecond, LogLevel: asynq.ErrorLevel})
	mux := asynq.NewServeMux()
	mux.HandleFunc("t", func(ctx context.Context, task *asynq.Task) error {
		id, _ := asynq.GetTaskID(ctx)
		mu.Lock()
		seen[id]++
		if len(seen) == n {
			close(done)
		}
		mu.Unlock()
		return nil
	})
	if err := srv.Start(mux); err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown()
	now := time.Now()
	var tasks []Task
	for i := range n {
		due := now
		if i%2 == 0 {
			due = now.Add(time.Second)
		}
		tasks = append(tasks, Task{Type: "t", ID: "id" + itoa(i), Queue: "q", Retry: 3, ProcessAt: due, New: i%3 == 0})
	}
	if _, err := Queue(ctx, rdb, now, tasks); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatalf("server ran %d of %d tasks", len(seen), n)
	}
	mu.Lock()
	defer mu.Unlock()
	for id, c := range seen {
		if c != 1 {
			t.Errorf("%s ran %d times", id, c)
		}
	}
}

func itoa(i int) string {
	b := []byte{}
	for {
		b = append([]byte{byte('0' + i%10)}, b...)
		i /= 10
		if i == 0 {
			return string(b)
		}
	}
}
