package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/aheadhq/ahead/internal/store"
)

type item struct {
	ID   string `json:"id"`
	Text string `json:"text"`
}

func TestPushOutboxOncePerID(t *testing.T) {
	t.Parallel()
	st, _ := setup(t)
	ctx := context.Background()
	if err := st.PushOutbox(ctx, "iv_1", item{ID: "iv_1", Text: "first"}); err != nil {
		t.Fatal(err)
	}
	if err := st.PushOutbox(ctx, "iv_2", item{ID: "iv_2", Text: "second"}); err != nil {
		t.Fatal(err)
	}
	if err := st.PushOutbox(ctx, "iv_1", item{ID: "iv_1", Text: "again"}); err != nil {
		t.Fatal(err)
	}
	got := outbox(t, st, 0)
	if want := "[iv_2:second iv_1:first]"; fmt.Sprint(got) != want {
		t.Fatalf("outbox = %v, want %s", got, want)
	}
	if got := outbox(t, st, 1); fmt.Sprint(got) != "[iv_2:second]" {
		t.Fatalf("outbox limit 1 = %v", got)
	}
}

func TestOutboxCap(t *testing.T) {
	t.Parallel()
	st, rdb := setup(t)
	ctx := context.Background()
	const extra = 5
	for i := range store.OutboxCap + extra {
		id := fmt.Sprint("iv_", i)
		if err := st.PushOutbox(ctx, id, item{ID: id}); err != nil {
			t.Fatal(err)
		}
	}
	got := outbox(t, st, 0)
	if len(got) != store.OutboxCap {
		t.Fatalf("%d messages kept, want %d", len(got), store.OutboxCap)
	}
	if want := fmt.Sprintf("iv_%d:", store.OutboxCap+extra-1); got[0] != want {
		t.Errorf("newest = %s, want %s", got[0], want)
	}
	if want := fmt.Sprintf("iv_%d:", extra); got[len(got)-1] != want {
		t.Errorf("oldest kept = %s, want %s", got[len(got)-1], want)
	}
	if n := rdb.HLen(ctx, store.OutboxByID).Val(); n != store.OutboxCap {
		t.Errorf("%d messages by id, want %d", n, store.OutboxCap)
	}
	if n := rdb.LLen(ctx, store.OutboxList).Val(); n != store.OutboxCap {
		t.Errorf("%d ids in the list, want %d", n, store.OutboxCap)
	}
	for i := range extra {
		if rdb.HExists(ctx, store.OutboxByID, fmt.Sprint("iv_", i)).Val() {
			t.Errorf("dropped message iv_%d is still stored by id", i)
		}
	}
}

// outbox lists the outbox as id:text, newest first.
func outbox(t *testing.T, st *store.Store, limit int) []string {
	t.Helper()
	raw, err := st.Outbox(context.Background(), limit)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(raw))
	for i, r := range raw {
		var it item
		if err := json.Unmarshal(r, &it); err != nil {
			t.Fatal(err)
		}
		out[i] = it.ID + ":" + it.Text
	}
	return out
}
