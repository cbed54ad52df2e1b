package asynqx

import (
	"context"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/aheadhq/ahead/internal/redistest"
)

// TestMoveScheduled reads tasks asynq's own client scheduled, moves one
// into a due index, removes another, and leaves one alone that asynq
// queued meanwhile; a second move finds nothing to do.
func TestMoveScheduled(t *testing.T) {
	rdb := redistest.New(t)
	ctx := context.Background()
	client := asynq.NewClientFromRedisClient(rdb)
	at := time.Now().Add(time.Hour).Truncate(time.Second)
	for _, id := range []string{"a", "b", "c"} {
		if _, err := client.Enqueue(asynq.NewTask("step:run", []byte(`{"v":1,"id":"`+id+`"}`)), asynq.TaskID(id),
			asynq.Queue("steps-1"), asynq.MaxRetry(7), asynq.ProcessAt(at)); err != nil {
			t.Fatal(err)
		}
	}
	got, err := ScheduledTasks(ctx, rdb, "steps-1", 0, 10)
	if err != nil || len(got) != 3 {
		t.Fatalf("ScheduledTasks = %+v, %v", got, err)
	}
	for _, s := range got {
		if s.Type != "step:run" || string(s.Payload) != `{"v":1,"id":"`+s.ID+`"}` || !s.At.Equal(at) {
			t.Errorf("read %+v, want the step task %s at %v", s, s.ID, at)
		}
	}
	if n, err := ScheduledCount(ctx, rdb, []string{"steps-1", "steps-2"}); err != nil || n[0] != 3 || n[1] != 0 {
		t.Errorf("ScheduledCount = %v, %v", n, err)
	}
	// asynq's forwarder queues c first.
	if err := rdb.ZRem(ctx, "asynq:{steps-1}:scheduled", "c").Err(); err != nil {
		t.Fatal(err)
	}
	due := at.Add(123 * time.Millisecond)
	moves := []Move{{ID: "a", Member: "a|cus_1", At: due}, {ID: "b"}, {ID: "c", Member: "c|cus_3", At: due}}
	if _, err := MoveScheduled(ctx, rdb, "ahead:{steps-2}:due", "steps-1", moves); err == nil {
		t.Error("moved into the due index of another queue's slot")
	}
	took, err := MoveScheduled(ctx, rdb, "ahead:{steps-1}:due", "steps-1", moves)
	if err != nil || len(took) != 3 || !took[0] || !took[1] || took[2] {
		t.Fatalf("MoveScheduled = %v, %v; want a and b taken, c left", took, err)
	}
	if z, err := rdb.ZRangeWithScores(ctx, "ahead:{steps-1}:due", 0, -1).Result(); err != nil || len(z) != 1 ||
		z[0].Member != "a|cus_1" || int64(z[0].Score) != due.UnixMilli() {
		t.Errorf("due index %v (%v), want a at %d", z, err, due.UnixMilli())
	}
	for id, want := range map[string]int64{"a": 0, "b": 0, "c": 1} {
		if n := rdb.Exists(ctx, "asynq:{steps-1}:t:"+id).Val(); n != want {
			t.Errorf("task hash of %s: %d, want %d", id, n, want)
		}
	}
	if n := rdb.ZCard(ctx, "asynq:{steps-1}:scheduled").Val(); n != 0 {
		t.Errorf("%d tasks left scheduled", n)
	}
	if took, err := MoveScheduled(ctx, rdb, "ahead:{steps-1}:due", "steps-1", moves); err != nil || took[0] || took[1] || took[2] {
		t.Errorf("second move = %v, %v; want nothing taken", took, err)
	}
}
