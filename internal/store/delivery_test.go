package store_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/aheadhq/ahead/internal/store"
)

func TestRecordDeliveryOnce(t *testing.T) {
	t.Parallel()
	st, rdb := setup(t)
	ctx := context.Background()
	record := func(cus, sid, status string) bool {
		t.Helper()
		fresh, err := st.RecordDelivery(ctx, cus, sid, status)
		if err != nil {
			t.Fatal(err)
		}
		return fresh
	}
	if !record("cus_1", "SM1", "delivered") {
		t.Fatal("first report not fresh")
	}
	if record("cus_1", "SM1", "delivered") {
		t.Fatal("repeated report fresh")
	}
	for _, c := range []struct{ cus, sid, status string }{
		{"cus_1", "SM1", "read"},      // another status of the message
		{"cus_1", "SM2", "delivered"}, // another message
		{"cus_2", "SM1", "delivered"}, // another customer
	} {
		if !record(c.cus, c.sid, c.status) {
			t.Errorf("%+v not fresh", c)
		}
	}
	// The record is the customer's: erasing the customer removes it.
	if err := st.Erase(ctx, "cus_1"); err != nil {
		t.Fatal(err)
	}
	if keys := rdb.Keys(ctx, "ahead:{cus_1}:*").Val(); len(keys) != 0 {
		t.Fatalf("keys of cus_1 after erase: %v", keys)
	}
	if record("cus_2", "SM1", "delivered") {
		t.Fatal("erasing cus_1 forgot cus_2's report")
	}
}

// sentVia stores an intervention over chans that was sent on chans[next]
// with provider id sid.
func sentVia(t *testing.T, st *store.Store, id string, chans []string, next int, sid string) {
	t.Helper()
	iv := newIV("cus_1", id, t0)
	iv.TaskID, iv.Channels, iv.Next = id, chans, next
	iv.State, iv.Channel, iv.ProviderID = store.Sent, chans[next], sid
	schedule(t, st, iv)
}

func TestReopen(t *testing.T) {
	t.Parallel()
	st, _ := setup(t)
	ctx := context.Background()
	sentVia(t, st, "iv_1", []string{"sms", "whatsapp", "email"}, 0, "SM1")

	iv, next, err := st.Reopen(ctx, "cus_1", "iv_1", "sms", "SM1")
	if err != nil || !next || iv == nil {
		t.Fatalf("Reopen = %v, %v, %v; want the intervention on its next channel", iv, next, err)
	}
	if iv.State != store.Scheduled || iv.Next != 1 || iv.TaskID != "iv_1-f1" || iv.Channels[iv.Next] != "whatsapp" {
		t.Fatalf("reopened %s next %d task %s, want scheduled on whatsapp (1) as iv_1-f1", iv.State, iv.Next, iv.TaskID)
	}
	pending, err := st.PendingOf(ctx, "cus_1")
	if err != nil {
		t.Fatal(err)
	}
	if p := pending["iv_1"]; p.TaskID != "iv_1-f1" || p.TaskQueue != iv.TaskQueue || p.Flow != "welcome" {
		t.Fatalf("pending entry %+v, want the task iv_1-f1", p)
	}

	// The same report again (undelivered, then failed; or twice) gives the
	// same answer, so the caller can queue the same task again.
	for range 2 {
		again, next, err := st.Reopen(ctx, "cus_1", "iv_1", "sms", "SM1")
		if err != nil || !next || again.TaskID != "iv_1-f1" || again.Next != 1 {
			t.Fatalf("repeated Reopen = %+v, %v, %v", again, next, err)
		}
	}

	// The step goes out on WhatsApp. A late repeat of the SMS report does
	// nothing any more.
	sending, ok, err := st.Begin(ctx, "cus_1", "iv_1")
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	again, next, err := st.Reopen(ctx, "cus_1", "iv_1", "sms", "SM1")
	if err != nil || !next || again.TaskID != "iv_1-f1" {
		t.Fatalf("repeat while sending = %+v, %v, %v", again, next, err)
	}
	sending.State, sending.Channel, sending.ProviderID = store.Sent, "whatsapp", "WA1"
	if err := st.Update(ctx, sending); err != nil {
		t.Fatal(err)
	}
	if iv, next, err := st.Reopen(ctx, "cus_1", "iv_1", "sms", "SM1"); err != nil || iv != nil || next {
		t.Fatalf("repeat after the next channel sent = %v, %v, %v; want nothing", iv, next, err)
	}

	// WhatsApp reports its message undelivered: on to email.
	iv, next, err = st.Reopen(ctx, "cus_1", "iv_1", "whatsapp", "WA1")
	if err != nil || !next || iv.Next != 2 || iv.TaskID != "iv_1-f2" || iv.State != store.Scheduled {
		t.Fatalf("second Reopen = %+v, %v, %v; want email as iv_1-f2", iv, next, err)
	}
	sending, _, _ = st.Begin(ctx, "cus_1", "iv_1")
	sending.State, sending.Channel, sending.ProviderID = store.Sent, "email", "EM1"
	if err := st.Update(ctx, sending); err != nil {
		t.Fatal(err)
	}

	// The email bounces: no channel left, every time it is reported.
	for range 2 {
		iv, next, err = st.Reopen(ctx, "cus_1", "iv_1", "email", "EM1")
		if err != nil || next || iv == nil || iv.State != store.Sent || iv.Channel != "email" {
			t.Fatalf("Reopen of the last channel = %+v, %v, %v; want the intervention and no next channel", iv, next, err)
		}
	}
	if cur, _ := st.Intervention(ctx, "cus_1", "iv_1"); cur.State != store.Sent || cur.Next != 2 {
		t.Fatalf("the last channel's report changed the intervention: %+v", cur)
	}
	if pending, _ := st.PendingOf(ctx, "cus_1"); len(pending) != 0 {
		t.Fatalf("pending %v after the last channel was sent", pending)
	}
}

func TestReopenIgnoresOtherReports(t *testing.T) {
	t.Parallel()
	st, _ := setup(t)
	ctx := context.Background()
	sentVia(t, st, "iv_1", []string{"sms", "email"}, 0, "SM1")
	waiting := newIV("cus_1", "iv_2", t0)
	waiting.Channels = []string{"sms", "email"}
	schedule(t, st, waiting)

	for _, c := range []struct{ name, id, channel, sid string }{
		{"another channel", "iv_1", "whatsapp", "SM1"},
		{"another message", "iv_1", "sms", "SM9"},
		{"not sent yet", "iv_2", "sms", "SM1"},
	} {
		iv, next, err := st.Reopen(ctx, "cus_1", c.id, c.channel, c.sid)
		if err != nil || iv != nil || next {
			t.Errorf("%s: Reopen = %v, %v, %v; want nothing", c.name, iv, next, err)
		}
	}
	if cur, _ := st.Intervention(ctx, "cus_1", "iv_1"); cur.State != store.Sent || cur.Next != 0 || cur.TaskID != "iv_1" {
		t.Fatalf("intervention changed: %+v", cur)
	}
	if cur, _ := st.Intervention(ctx, "cus_1", "iv_2"); cur.State != store.Scheduled || cur.Next != 0 {
		t.Fatalf("scheduled intervention changed: %+v", cur)
	}
	if _, _, err := st.Reopen(ctx, "cus_1", "iv_gone", "sms", "SM1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Reopen of a missing intervention: %v, want ErrNotFound", err)
	}
}

// Twilio may send undelivered and failed for one message at the same time;
// both find the same next channel and task.
func TestReopenConcurrent(t *testing.T) {
	t.Parallel()
	st, _ := setup(t)
	ctx := context.Background()
	sentVia(t, st, "iv_1", []string{"sms", "email"}, 0, "SM1")
	const n = 8
	tasks := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			iv, next, err := st.Reopen(ctx, "cus_1", "iv_1", "sms", "SM1")
			switch {
			case err != nil:
				errs[i] = err
			case !next || iv == nil:
				errs[i] = errors.New("no next channel")
			default:
				tasks[i] = iv.TaskID
			}
		})
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil || tasks[i] != "iv_1-f1" {
			t.Errorf("call %d: task %q, err %v; want iv_1-f1", i, tasks[i], errs[i])
		}
	}
	if cur, _ := st.Intervention(ctx, "cus_1", "iv_1"); cur.Next != 1 || cur.State != store.Scheduled {
		t.Fatalf("intervention %+v, want scheduled on email", cur)
	}
}
