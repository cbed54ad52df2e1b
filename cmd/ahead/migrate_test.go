package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/aheadhq/ahead/internal/asynqx"
	"github.com/aheadhq/ahead/internal/redistest"
	"github.com/aheadhq/ahead/internal/store"
	"github.com/aheadhq/ahead/tasks"
)

// TestStartRefusesUnmigratedStore: on a Redis where an earlier version
// scheduled step tasks in asynq, ahead refuses to start and names
// `ahead migrate`; that command moves them (also from a queue of an
// earlier shard count), says what it did, does nothing the second time,
// and the start-up check then passes.
func TestStartRefusesUnmigratedStore(t *testing.T) {
	opt := redistest.Options(t)
	rdb := redis.NewClient(opt)
	t.Cleanup(func() { rdb.Close() })
	ctx := context.Background()
	cfg := filepath.Join(t.TempDir(), "ahead.yaml")
	os.WriteFile(cfg, []byte(`redis: { url: "`+redistest.URLOf(opt)+`" }
flows: ../../flows/classics
worker: { shards: 4 }
api: { tokens: [{ name: producer, token: "producer-token-0123456789", scopes: [events] }] }
`), 0o644)

	// What the earlier version left: a step of cus_1, due in a day to the
	// millisecond, and a step of an erased customer in steps-9, a queue of
	// an earlier shard count.
	due := time.Now().Add(24 * time.Hour).Truncate(time.Millisecond)
	queue := tasks.StepQueue("cus_1", 4)
	iv := &store.Intervention{ID: "iv_1", Customer: "cus_1", Flow: "welcome", Step: "reassurance", EventID: "evt_1",
		Channels: []string{"email"}, Due: due, TaskQueue: queue, State: store.Scheduled}
	if _, err := store.New(rdb).Schedule(ctx, []*store.Intervention{iv}, []store.Entry{{At: time.Now(), Kind: "scheduled", Intervention: "iv_1"}}); err != nil {
		t.Fatal(err)
	}
	old := func(queue, cus, id string) asynqx.Task {
		p, _ := json.Marshal(tasks.StepPayload{V: 1, Customer: cus, Intervention: id, Event: "evt_1"})
		return asynqx.Task{Type: tasks.TypeStep, Payload: p, ID: id, Queue: queue, Retry: 8, ProcessAt: due}
	}
	if _, err := asynqx.Queue(ctx, rdb, time.Now(), []asynqx.Task{old(queue, "cus_1", "iv_1"), old("steps-9", "cus_gone", "iv_2")}); err != nil {
		t.Fatal(err)
	}

	_, _, err := runCmd("api", "--config", cfg)
	want := `redis holds 2 step tasks scheduled by an earlier version of ahead; run "ahead migrate" once, then start again`
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("api on an unmigrated store: %v, want %q", err, want)
	}
	// A customer the earlier version kept in a key per intervention, as
	// its create script wrote it, with its index.
	rdb.HSet(ctx, "ahead:{cus_0}:iv:iv_0", "flow", "welcome", "step", "reassurance", "event", "evt_0",
		"due", due.Format(time.RFC3339Nano), "task_queue", tasks.StepQueue("cus_0", 4), "state", "sent")
	rdb.HSet(ctx, "ahead:{cus_0}:keys", "ahead:{cus_0}:iv:iv_0", "")
	rdb.Del(ctx, store.LayoutKey)
	_, _, err = runCmd("api", "--config", cfg)
	want = `redis holds customers in the layout of an earlier version of ahead; stop every process of that version, run "ahead migrate" once, then start again`
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("api on a store in the earlier layout: %v, want %q", err, want)
	}

	out, _, err := runCmd("migrate", "--config", cfg)
	if err != nil {
		t.Fatalf("migrate: %v\n%s", err, out)
	}
	for _, line := range []string{
		"moved 1 customers (1 interventions, 0 events) into this version's layout\n",
		"migrated 1 step tasks of " + queue + " into its due index; removed 0 of ended interventions\n",
		"migrated 0 step tasks of steps-9 into its due index; removed 1 of ended interventions (1 of erased customers, 0 unreadable)\n",
	} {
		if !strings.Contains(out, line) {
			t.Errorf("migrate says\n%s\nwant a line %q", out, line)
		}
	}
	if at, ok, err := store.New(rdb).DueAt(ctx, store.Due{Queue: queue, Task: "iv_1", Customer: "cus_1"}); err != nil || !ok || !at.Equal(due) {
		t.Errorf("iv_1 in the due index at %v (%v, %v), want %v", at, ok, err, due)
	}

	out, _, err = runCmd("migrate", "--config", cfg)
	if err != nil || out != "no customers or step tasks of an earlier version of ahead: nothing to migrate\n" {
		t.Errorf("migrate again: %v\n%s", err, out)
	}
	if iv, err := store.New(rdb).Intervention(ctx, "cus_0", "iv_0"); err != nil || iv.State != store.Sent {
		t.Errorf("cus_0's intervention after the migration: %+v, %v", iv, err)
	}
	if err := checkMigrated(ctx, store.New(rdb), tasks.NewQueue(rdb, nil, 4, 0)); err != nil {
		t.Errorf("start-up check after the migration: %v", err)
	}
}
