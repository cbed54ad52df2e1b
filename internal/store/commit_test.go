package store_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aheadhq/ahead/internal/store"
)

// A try that dies before its channel's point of no return leaves nothing
// behind: the next try is a try like any other. One that dies past it
// (after Commit) leaves the intervention interrupted.
func TestCommitMarksThePointOfNoReturn(t *testing.T) {
	t.Parallel()
	st, _ := setup(t)
	ctx := context.Background()
	schedule(t, st, newIV("cus_1", "iv_a", t0))

	iv, ok, err := st.Begin(ctx, "cus_1", "iv_a")
	if err != nil || !ok || iv.Interrupted {
		t.Fatalf("first Begin = ok %v, interrupted %v, %v", ok, iv.Interrupted, err)
	}
	// The worker dies before the point of no return.
	iv, ok, err = st.Begin(ctx, "cus_1", "iv_a")
	if err != nil || !ok || iv.Interrupted || iv.Attempts != 2 {
		t.Fatalf("Begin after a try that died before its point of no return = ok %v, interrupted %v, attempts %d, %v; want a plain try",
			ok, iv.Interrupted, iv.Attempts, err)
	}

	// The first try, taken over meanwhile, may not send any more.
	first := *iv
	first.Attempts = 1
	if err := st.Commit(ctx, &first); !errors.Is(err, store.ErrSuperseded) {
		t.Fatalf("Commit of a superseded try: %v, want ErrSuperseded", err)
	}
	if err := st.Commit(ctx, iv); err != nil {
		t.Fatalf("Commit: %v", err)
	}
	// The worker dies past the point of no return.
	iv, ok, err = st.Begin(ctx, "cus_1", "iv_a")
	if err != nil || !ok || !iv.Interrupted {
		t.Fatalf("Begin after a try that died past its point of no return = ok %v, interrupted %v, %v; want interrupted", ok, iv.Interrupted, err)
	}
	// Still interrupted when the try that found it dies too.
	if iv, _, _ = st.Begin(ctx, "cus_1", "iv_a"); !iv.Interrupted {
		t.Fatal("a second Begin forgot that a try died past its point of no return")
	}

	iv.State, iv.Reason = store.Failed, "interrupted"
	if err := st.Update(ctx, iv); err != nil {
		t.Fatal(err)
	}
	if err := st.Commit(ctx, iv); !errors.Is(err, store.ErrEnded) {
		t.Fatalf("Commit of an ended intervention: %v, want ErrEnded", err)
	}
	missing := *iv
	missing.ID = "iv_missing"
	if err := st.Commit(ctx, &missing); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Commit of a missing intervention: %v, want ErrNotFound", err)
	}
}

// Moving on to the next channel after a permanent failure starts a new
// try at that channel's point of no return.
func TestFallbackResetsThePointOfNoReturn(t *testing.T) {
	t.Parallel()
	st, _ := setup(t)
	ctx := context.Background()
	schedule(t, st, newIV("cus_1", "iv_a", t0))
	iv, _, _ := st.Begin(ctx, "cus_1", "iv_a")
	if err := st.Commit(ctx, iv); err != nil {
		t.Fatal(err)
	}
	// The server refused the message after its data: fall back to sms.
	iv.Next = 1
	if err := st.Update(ctx, iv); err != nil {
		t.Fatal(err)
	}
	iv, ok, err := st.Begin(ctx, "cus_1", "iv_a")
	if err != nil || !ok || iv.Interrupted || iv.Next != 1 {
		t.Fatalf("Begin after dying on the fallback channel = ok %v, interrupted %v, next %d, %v", ok, iv.Interrupted, iv.Next, err)
	}
}

// A cancel that comes while a step is being sent stops it at its point of
// no return; the update that follows applies it, naming its cause.
func TestCommitRefusedByHeldCancel(t *testing.T) {
	t.Parallel()
	st, _ := setup(t)
	ctx := context.Background()
	schedule(t, st, newIV("cus_1", "iv_a", t0))
	iv, _, _ := st.Begin(ctx, "cus_1", "iv_a")
	pending, _ := st.PendingOf(ctx, "cus_1")
	if _, err := st.Cancel(ctx, "cus_1", []string{"iv_a"}, pending, store.Entry{At: t0, Cause: "api", Reason: "cancelled through the API"}); err != nil {
		t.Fatal(err)
	}
	if err := st.Commit(ctx, iv); !errors.Is(err, store.ErrCancelled) {
		t.Fatalf("Commit with a cancel held: %v, want ErrCancelled", err)
	}
	iv.State = store.Scheduled
	if err := st.Update(ctx, iv); !errors.Is(err, store.ErrCancelled) {
		t.Fatalf("Update with a cancel held: %v, want ErrCancelled", err)
	}
	if iv.State != store.Cancelled || iv.CancelCause != "api" {
		t.Fatalf("after the held cancel: state %s, cause %q; want cancelled by api", iv.State, iv.CancelCause)
	}
}

// An intervention left sending by a version that did not record the
// point of no return counts as past it.
func TestSendingWithoutPhaseIsInterrupted(t *testing.T) {
	t.Parallel()
	st, rdb := setup(t)
	ctx := context.Background()
	schedule(t, st, newIV("cus_1", "iv_a", t0))
	setRecord(t, rdb, "cus_1", "iv_a", map[string]string{"state": "sending", "attempts": "1"})
	iv, ok, err := st.Begin(ctx, "cus_1", "iv_a")
	if err != nil || !ok || !iv.Interrupted {
		t.Fatalf("Begin = ok %v, interrupted %v, %v; want interrupted", ok, iv.Interrupted, err)
	}
}
