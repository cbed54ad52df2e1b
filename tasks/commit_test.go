package tasks

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/aheadhq/ahead/channels"
	"github.com/aheadhq/ahead/flows"
	"github.com/aheadhq/ahead/internal/store"
)

// committing is a channel that marks its own point of no return, after
// the fake's during hook, as a real provider channel does once it is
// connected.
type committing struct{ f *fake }

func (c committing) Name() string      { return c.f.name }
func (c committing) CallsCommit() bool { return true }
func (c committing) Send(ctx context.Context, m *channels.Message) (channels.Receipt, error) {
	return c.f.send(ctx, m)
}

// useCommittingSMS gives b's worker an sms channel that commits itself:
// the fake's during hook runs first, then the point of no return.
func useCommittingSMS(b *bundle) {
	b.sms.fail = func(m *channels.Message, _ int) error { return m.PointOfNoReturn() }
	b.opts.Channels[channels.SMS] = committing{b.sms}
	b.w = New(b.opts, b.w.Catalog())
}

// cancelWhileConnecting runs the invoice step of cus_1 on a committing
// sms channel while its subscription is cancelled, before the channel's
// point of no return. It returns the bundle and the invoice's id.
func cancelWhileConnecting(t *testing.T) (*bundle, string) {
	t.Helper()
	b := setup(t)
	useCommittingSMS(b)
	id := b.invoice(t, "cus_1", anna())
	b.sms.during = func(context.Context) {
		b.route(t, &flows.Event{ID: "evt_stop", Type: "subscription.cancelled", CustomerID: "cus_1"})
	}
	if err := b.step("cus_1", id); err != nil {
		t.Fatal(err)
	}
	return b, id
}

// A step task whose worker died before the channel's point of no return
// (the claim stands, nothing left) is tried again and sent, once.
func TestStepDiedBeforePointOfNoReturnIsSent(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.invoice(t, "cus_1", anna())
	if _, ok, err := b.store.Begin(b.ctx, "cus_1", id); !ok || err != nil {
		t.Fatalf("claim: %v, %v", ok, err)
	}
	// The worker that claimed it dies here.
	if err := b.step("cus_1", id); err != nil {
		t.Fatal(err)
	}
	iv := b.iv(t, "cus_1", id)
	if iv.State != store.Sent || iv.Attempts != 2 || len(b.sms.messages()) != 1 {
		t.Fatalf("intervention %s after %d claims, %d messages; want sent once on the second", iv.State, iv.Attempts, len(b.sms.messages()))
	}
}

// One whose worker died past the point of no return is not sent again: it
// ends failed as interrupted.
func TestStepDiedPastPointOfNoReturnIsInterrupted(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.invoice(t, "cus_1", anna())
	iv, _, _ := b.store.Begin(b.ctx, "cus_1", id)
	if err := b.store.Commit(b.ctx, iv); err != nil {
		t.Fatal(err)
	}
	// The worker that committed it dies here.
	if err := b.step("cus_1", id); err != nil {
		t.Fatal(err)
	}
	iv = b.iv(t, "cus_1", id)
	if iv.State != store.Failed || !strings.Contains(iv.Reason, "earlier try stopped") || b.sms.tries() != 0 {
		t.Fatalf("intervention %s (%s), %d sends; want failed as interrupted, none sent", iv.State, iv.Reason, b.sms.tries())
	}
}

// A cancel that comes while the channel connects, before its point of no
// return, stops the message: it is cancelled, not sent.
func TestCancelBeforePointOfNoReturnStopsSend(t *testing.T) {
	t.Parallel()
	b, id := cancelWhileConnecting(t)
	if iv := b.iv(t, "cus_1", id); iv.State != store.Cancelled {
		t.Errorf("intervention %s, want cancelled: the cancel came before the message left", iv.State)
	}
	if len(b.sms.messages()) != 0 {
		t.Errorf("%d messages sent, want none", len(b.sms.messages()))
	}
	if es := b.entries(t, "cus_1", id, store.Cancelled); len(es) != 1 {
		t.Errorf("%d cancelled entries, want 1", len(es))
	}
}

// A committing channel is handed a Commit and calls it: a crash after
// that point leaves the intervention interrupted, not retried.
func TestCommittingChannelRecordsPointOfNoReturn(t *testing.T) {
	t.Parallel()
	b := setup(t)
	useCommittingSMS(b)
	id := b.invoice(t, "cus_1", anna())
	var phase string
	b.sms.during = func(context.Context) {
		phase, _ = b.field(t, "cus_1", id, "phase")
	}
	if err := b.step("cus_1", id); err != nil {
		t.Fatal(err)
	}
	if phase != "claimed" {
		t.Errorf("phase %q before the point of no return, want claimed", phase)
	}
	if iv := b.iv(t, "cus_1", id); iv.State != store.Sent {
		t.Errorf("intervention %s, want sent", iv.State)
	}
	if _, got := b.field(t, "cus_1", id, "phase"); got {
		t.Error("a sent intervention keeps its phase")
	}
}

// field reads one field of an intervention's stored record.
func (b *bundle) field(t *testing.T, cus, id, name string) (string, bool) {
	t.Helper()
	var vals []string
	raw, err := b.rdb.HGet(b.ctx, "ahead:{"+cus+"}:ivs", id).Result()
	if err != nil || json.Unmarshal([]byte(raw), &vals) != nil {
		t.Fatalf("record of %s: %q, %v", id, raw, err)
	}
	at := slices.Index(store.RecordFields, name)
	if at < 0 || at >= len(vals) || vals[at] == "" {
		return "", false
	}
	return vals[at], true
}
