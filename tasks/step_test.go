package tasks

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/aheadhq/ahead/channels"
	"github.com/aheadhq/ahead/engine"
	"github.com/aheadhq/ahead/flows"
	"github.com/aheadhq/ahead/internal/signed"
	"github.com/aheadhq/ahead/internal/store"
)

// invoice routes the welcome flow for a customer and returns the id of its
// invoice step (channels sms, then email).
func (b *bundle) invoice(t *testing.T, cus string, c *flows.Customer) string {
	t.Helper()
	b.route(t, subscriber("evt_"+cus, cus, "", c))
	return engine.InterventionID(cus, "evt_"+cus, "welcome", "invoice")
}

func TestStepSendsOnce(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.invoice(t, "cus_1", anna())
	for try := 0; try < 3; try++ {
		if err := b.step("cus_1", id); err != nil {
			t.Fatalf("run %d: %v", try+1, err)
		}
	}
	msgs := b.sms.messages()
	if len(msgs) != 1 || b.sms.tries() != 1 {
		t.Fatalf("sms sent %d messages in %d tries, want 1 in 1", len(msgs), b.sms.tries())
	}
	m := msgs[0]
	want := channels.Message{
		ID: id, CustomerID: "cus_1", EventID: "evt_cus_1", Flow: "welcome", Step: "invoice", Channel: channels.SMS,
		To: "+31612345678", Name: "Anna", Text: "Hoi Anna, je eerste factuur komt eraan.",
		Locale: "nl", Formality: "informal", Due: time.Date(2030, 11, 25, 9, 0, 0, 0, time.UTC),
	}
	if m.Commit == nil {
		t.Error("message without Commit: the point of no return cannot be recorded")
	}
	got := *m
	got.Commit = nil
	if !reflect.DeepEqual(got, want) {
		t.Errorf("message\n got %+v\nwant %+v", got, want)
	}
	iv := b.iv(t, "cus_1", id)
	if iv.State != store.Sent || iv.Channel != channels.SMS || iv.ProviderID != "sms-"+id || iv.Attempts != 1 {
		t.Errorf("intervention %s via %s provider %s attempts %d", iv.State, iv.Channel, iv.ProviderID, iv.Attempts)
	}
	es := b.entries(t, "cus_1", id, store.Sent)
	if len(es) != 1 || es[0].Channel != channels.SMS || es[0].ProviderID != "sms-"+id {
		t.Errorf("journal %+v, want one sent entry with channel and provider id", es)
	}
	if pending, _ := b.store.PendingOf(b.ctx, "cus_1"); len(pending) != 1 {
		t.Errorf("pending %v, want only the reassurance step", pending)
	}
	if len(b.email.messages()) != 0 {
		t.Errorf("email used although sms worked")
	}
}

func TestStepUnsubscribeLink(t *testing.T) {
	t.Parallel()
	key := []byte("test signing key")
	b := setup(t, func(o *Options) { o.PublicURL, o.SigningKey = "https://ahead.example.com", key })
	id := b.invoice(t, "cus_1", anna())
	if err := b.step("cus_1", id); err != nil {
		t.Fatal(err)
	}
	msgs := b.sms.messages()
	if len(msgs) != 1 {
		t.Fatalf("sent %d messages, want 1", len(msgs))
	}
	token, ok := strings.CutPrefix(msgs[0].Unsubscribe, "https://ahead.example.com/v1/unsubscribe/")
	if !ok {
		t.Fatalf("unsubscribe link %q", msgs[0].Unsubscribe)
	}
	cus, ch, err := signed.Parse(key, token)
	if err != nil || cus != "cus_1" || ch != channels.SMS {
		t.Errorf("token names %s %s (%v), want cus_1 sms", cus, ch, err)
	}
}

func TestStepLocale(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		locale, formality string
		text              string
		variant           string // locale and formality of the variant used
	}{
		{"nl", "informal", "Hoi Anna, je eerste factuur komt eraan.", "nl informal"},
		{"nl", "formal", "Beste Anna, uw eerste factuur komt eraan.", "nl formal"},
		{"en", "formal", "Hi Anna, your first invoice is on its way.", "en "},
		{"en-GB", "", "Hi Anna, your first invoice is on its way.", "en "},
		// No German texts: the default locale nl, in the default formality.
		{"de", "", "Hoi Anna, je eerste factuur komt eraan.", "nl informal"},
		{"", "formal", "Beste Anna, uw eerste factuur komt eraan.", "nl formal"},
	} {
		t.Run(tc.locale+"-"+tc.formality, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			c := anna()
			c.Locale, c.Formality = tc.locale, tc.formality
			id := b.invoice(t, "cus_1", c)
			if err := b.step("cus_1", id); err != nil {
				t.Fatal(err)
			}
			msgs := b.sms.messages()
			if len(msgs) != 1 {
				t.Fatalf("sent %d messages, want 1", len(msgs))
			}
			if got := msgs[0].Text; got != tc.text {
				t.Errorf("text %q, want %q", got, tc.text)
			}
			if got := msgs[0].Locale + " " + msgs[0].Formality; got != tc.variant {
				t.Errorf("variant %q, want %q", got, tc.variant)
			}
		})
	}
}

func TestStepFallbackOnPermanentFailure(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.sms.failWith(channels.Permanent(channels.SMS, "21614", errors.New("not a mobile number")))
	c := anna()
	c.Formality = "formal"
	id := b.invoice(t, "cus_1", c)
	if err := b.step("cus_1", id); err != nil {
		t.Fatalf("step: %v", err)
	}
	if b.sms.tries() != 1 {
		t.Errorf("sms tried %d times, want 1 (a permanent failure is not retried)", b.sms.tries())
	}
	msgs := b.email.messages()
	if len(msgs) != 1 {
		t.Fatalf("email sent %d messages, want 1", len(msgs))
	}
	if m := msgs[0]; m.To != "anna@example.nl" || m.Subject != "Uw eerste factuur" || m.Text != "Beste Anna, uw eerste factuur komt eraan." {
		t.Errorf("email to %s subject %q text %q", m.To, m.Subject, m.Text)
	}
	iv := b.iv(t, "cus_1", id)
	if iv.State != store.Sent || iv.Channel != channels.Email || iv.Next != 1 {
		t.Errorf("intervention %s via %s next %d, want sent via email", iv.State, iv.Channel, iv.Next)
	}
	fb := b.entries(t, "cus_1", id, "fallback")
	if len(fb) != 1 {
		t.Fatalf("got %d fallback entries, want 1", len(fb))
	}
	if e := fb[0]; e.Channel != channels.SMS || e.Code != "21614" || !strings.Contains(e.Reason, "not a mobile number") || !strings.Contains(e.Reason, "trying email") {
		t.Errorf("fallback entry %+v, want sms with code 21614, the provider's reason and the next channel", e)
	}
	if es := b.entries(t, "cus_1", id, store.Sent); len(es) != 1 || es[0].Channel != channels.Email {
		t.Errorf("sent entries %+v, want one via email", es)
	}

	// Running the task again sends nothing more.
	if err := b.step("cus_1", id); err != nil {
		t.Fatal(err)
	}
	if b.sms.tries() != 1 || len(b.email.messages()) != 1 {
		t.Errorf("a second run tried sms %d times and sent %d emails", b.sms.tries(), len(b.email.messages()))
	}
}

func TestStepFallbackWhenCustomerCannotBeReached(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		profile func(c *flows.Customer)
		extra   store.Profile
		reason  string
	}{
		{"no contact point", func(c *flows.Customer) { c.Phone = "" }, nil, "no contact point"},
		{"opted out", nil, store.Profile{store.OptOutField(channels.SMS): "2030-11-20T10:00:00Z"}, "opted out"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			c := anna()
			if tc.profile != nil {
				tc.profile(c)
			}
			id := b.invoice(t, "cus_1", c)
			if tc.extra != nil {
				if err := b.store.UpsertProfile(b.ctx, "cus_1", tc.extra); err != nil {
					t.Fatal(err)
				}
			}
			if err := b.step("cus_1", id); err != nil {
				t.Fatal(err)
			}
			if b.sms.tries() != 0 {
				t.Errorf("sms was tried")
			}
			if len(b.email.messages()) != 1 {
				t.Errorf("email sent %d messages, want 1", len(b.email.messages()))
			}
			fb := b.entries(t, "cus_1", id, "fallback")
			if len(fb) != 1 || fb[0].Channel != channels.SMS || !strings.Contains(fb[0].Reason, tc.reason) {
				t.Errorf("fallback entries %+v, want one for sms saying %q", fb, tc.reason)
			}
			if iv := b.iv(t, "cus_1", id); iv.State != store.Sent || iv.Channel != channels.Email {
				t.Errorf("intervention %s via %s, want sent via email", iv.State, iv.Channel)
			}
		})
	}
}

func TestStepChannelNotConfigured(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *Options) { delete(o.Channels, channels.SMS) })
	id := b.invoice(t, "cus_1", anna())
	if err := b.step("cus_1", id); err != nil {
		t.Fatal(err)
	}
	if fb := b.entries(t, "cus_1", id, "fallback"); len(fb) != 1 || !strings.Contains(fb[0].Reason, "not configured") {
		t.Errorf("fallback entries %+v, want one saying sms is not configured", fb)
	}
	if len(b.email.messages()) != 1 {
		t.Errorf("email sent %d messages, want 1", len(b.email.messages()))
	}
}

func TestStepAllChannelsFail(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.email.failWith(channels.Permanent(channels.Email, "550", errors.New("mailbox unavailable")))
	c := anna()
	c.Phone = ""
	id := b.invoice(t, "cus_1", c)
	err := b.step("cus_1", id)
	if err != nil {
		t.Fatalf("step: %v, want nil (a final state is not retried)", err)
	}
	iv := b.iv(t, "cus_1", id)
	if iv.State != store.Failed || iv.Code != "550" || !strings.Contains(iv.Reason, "mailbox unavailable") || !strings.Contains(iv.Reason, "no channel left") {
		t.Errorf("intervention %s code %s reason %q, want failed with email's code and reason", iv.State, iv.Code, iv.Reason)
	}
	es := b.entries(t, "cus_1", id, store.Failed)
	if len(es) != 1 || es[0].Code != "550" || es[0].Reason != iv.Reason {
		t.Errorf("failed entries %+v", es)
	}
	if pending, _ := b.store.PendingOf(b.ctx, "cus_1"); pending[id] != (store.Pending{}) {
		t.Errorf("failed intervention is still pending")
	}
	if err := b.step("cus_1", id); err != nil || b.email.tries() != 1 {
		t.Errorf("second run: %v, email tried %d times, want nothing done", err, b.email.tries())
	}
}

func TestStepTransientFailureRetries(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.sms.failWith(channels.Transient(channels.SMS, "20429", errors.New("too many requests")))
	id := b.invoice(t, "cus_1", anna())
	err := b.step("cus_1", id)
	if err == nil || errors.Is(err, asynq.SkipRetry) || channels.IsPermanent(err) {
		t.Fatalf("step: %v, want an error asynq retries", err)
	}
	iv := b.iv(t, "cus_1", id)
	if iv.State != store.Scheduled || iv.Next != 0 || iv.Code != "20429" {
		t.Errorf("intervention %s next %d code %s, want scheduled on sms with the code", iv.State, iv.Next, iv.Code)
	}
	rs := b.entries(t, "cus_1", id, "retrying")
	if len(rs) != 1 || rs[0].Channel != channels.SMS || rs[0].Code != "20429" || !strings.Contains(rs[0].Reason, "too many requests") {
		t.Errorf("retrying entries %+v", rs)
	}
	if len(b.email.messages()) != 0 {
		t.Errorf("a transient failure fell back to email")
	}
	if pending, _ := b.store.PendingOf(b.ctx, "cus_1"); pending[id].Flow != "welcome" {
		t.Errorf("a step that will be retried is not pending, so it cannot be cancelled")
	}

	// The next try works.
	b.sms.failWith(nil)
	if err := b.step("cus_1", id); err != nil {
		t.Fatal(err)
	}
	if iv := b.iv(t, "cus_1", id); iv.State != store.Sent || iv.Attempts != 2 {
		t.Errorf("intervention %s after %d attempts, want sent after 2", iv.State, iv.Attempts)
	}
	if len(b.sms.messages()) != 1 {
		t.Errorf("sms sent %d messages, want 1", len(b.sms.messages()))
	}
}

func TestStepResumesOnFallbackChannelAfterTransientFailure(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.sms.failWith(channels.Permanent(channels.SMS, "21211", errors.New("invalid number")))
	b.email.failWith(channels.Transient(channels.Email, "421", errors.New("try again later")))
	id := b.invoice(t, "cus_1", anna())
	if err := b.step("cus_1", id); err == nil || channels.IsPermanent(err) {
		t.Fatalf("step: %v, want an error asynq retries", err)
	}
	if iv := b.iv(t, "cus_1", id); iv.State != store.Scheduled || iv.Next != 1 {
		t.Errorf("intervention %s next %d, want scheduled on email", iv.State, iv.Next)
	}
	if rs := b.entries(t, "cus_1", id, "retrying"); len(rs) != 1 || rs[0].Channel != channels.Email || rs[0].Code != "421" {
		t.Errorf("retrying entries %+v, want one for email with code 421", rs)
	}
	b.email.failWith(nil)
	if err := b.step("cus_1", id); err != nil {
		t.Fatal(err)
	}
	if b.sms.tries() != 1 {
		t.Errorf("sms tried %d times, want 1: the retry went back to a channel that failed for good", b.sms.tries())
	}
	if iv := b.iv(t, "cus_1", id); iv.State != store.Sent || iv.Channel != channels.Email {
		t.Errorf("intervention %s via %s, want sent via email", iv.State, iv.Channel)
	}
	if n := len(b.entries(t, "cus_1", id, "fallback")); n != 1 {
		t.Errorf("got %d fallback entries, want 1", n)
	}
}

func TestCancelDuringSendLeavesItSent(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.invoice(t, "cus_1", anna())
	// The cancel arrives while the provider is handling the message.
	b.sms.during = func(context.Context) {
		b.route(t, &flows.Event{ID: "evt_stop", Type: "subscription.cancelled", CustomerID: "cus_1"})
	}
	if err := b.step("cus_1", id); err != nil {
		t.Fatal(err)
	}
	if iv := b.iv(t, "cus_1", id); iv.State != store.Sent {
		t.Errorf("intervention %s, want sent: it was on its way when the cancel came", iv.State)
	}
	if es := b.entries(t, "cus_1", id, store.Cancelled); len(es) != 0 {
		t.Errorf("a sent intervention is journaled as cancelled: %+v", es)
	}
	if iv := b.iv(t, "cus_1", engine.InterventionID("cus_1", "evt_cus_1", "welcome", "reassurance")); iv.State != store.Cancelled {
		t.Errorf("the other step is %s, want cancelled", iv.State)
	}
	if pending, _ := b.store.PendingOf(b.ctx, "cus_1"); len(pending) != 0 {
		t.Errorf("pending %v, want none", pending)
	}
}

func TestStepCancelledWhileWaitingForRetry(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.sms.failWith(channels.Transient(channels.SMS, "", errors.New("timeout")))
	id := b.invoice(t, "cus_1", anna())
	if err := b.step("cus_1", id); err == nil {
		t.Fatal("want an error")
	}
	b.route(t, &flows.Event{ID: "evt_stop", Type: "subscription.cancelled", CustomerID: "cus_1"})
	b.sms.failWith(nil)
	if err := b.step("cus_1", id); err != nil {
		t.Fatal(err)
	}
	if iv := b.iv(t, "cus_1", id); iv.State != store.Cancelled {
		t.Errorf("intervention %s, want cancelled", iv.State)
	}
	if len(b.sms.messages()) != 0 {
		t.Errorf("a cancelled step was sent on its retry")
	}
}

func TestStepSentIsRecordedWhenContextEnds(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.invoice(t, "cus_1", anna())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// The provider accepts the message just as the task's context ends
	// (a shutdown, or the task's deadline).
	b.sms.during = func(context.Context) { cancel() }
	task, _ := NewStepTask("cus_1", id, id)
	_ = b.w.HandleStep(ctx, task)
	if iv := b.iv(t, "cus_1", id); iv.State != store.Sent {
		t.Fatalf("intervention %s after a send whose context ended, want sent", iv.State)
	}
	b.sms.during = nil
	if err := b.step("cus_1", id); err != nil {
		t.Fatal(err)
	}
	if n := b.sms.tries(); n != 1 {
		t.Errorf("sms tried %d times, want 1: the retry sent the message again", n)
	}
}

func TestStepFlowRemoved(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.invoice(t, "cus_1", anna())
	gone := engine.InterventionID("cus_1", "evt_cus_1", "welcome", "reassurance")
	tpl := b.w.Catalog().Templates
	set, err := flows.Parse("other.yaml", []byte(`
flow: welcome
trigger: { event: subscription.created }
steps:
  - { id: invoice, after: 4d, channel: sms, template: invoice }
---
flow: late-order
trigger: { event: order.late }
steps:
  - { id: status, channel: sms, template: status }
`), tpl)
	if err != nil {
		t.Fatal(err)
	}
	// welcome lost its reassurance step.
	b.w.SetCatalog(&engine.Catalog{Flows: set, Templates: tpl})
	if err := b.step("cus_1", gone); err != nil {
		t.Fatal(err)
	}
	if iv := b.iv(t, "cus_1", gone); iv.State != store.Skipped || !strings.Contains(iv.Reason, "no longer has step reassurance") {
		t.Errorf("removed step: %s %q, want skipped with a reason", iv.State, iv.Reason)
	}

	// welcome is gone altogether.
	set, err = flows.Parse("other.yaml", []byte(`
flow: late-order
trigger: { event: order.late }
steps:
  - { id: status, channel: sms, template: status }
`), tpl)
	if err != nil {
		t.Fatal(err)
	}
	b.w.SetCatalog(&engine.Catalog{Flows: set, Templates: tpl})
	if err := b.step("cus_1", id); err != nil {
		t.Fatal(err)
	}
	iv := b.iv(t, "cus_1", id)
	if iv.State != store.Skipped || !strings.Contains(iv.Reason, "welcome") || !strings.Contains(iv.Reason, "no longer loaded") {
		t.Errorf("step of a removed flow: %s %q, want skipped with a reason", iv.State, iv.Reason)
	}
	if es := b.entries(t, "cus_1", id, store.Skipped); len(es) != 1 || es[0].Reason != iv.Reason {
		t.Errorf("skipped entries %+v", es)
	}
	if n := b.sms.tries() + b.email.tries(); n != 0 {
		t.Errorf("%d sends for steps no longer in force", n)
	}
	if pending, _ := b.store.PendingOf(b.ctx, "cus_1"); len(pending) != 0 {
		t.Errorf("pending %v, want none", pending)
	}
}

func TestStepEventGone(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.invoice(t, "cus_1", anna())
	if err := b.store.ForgetEvents(b.ctx, []store.EventRef{{Customer: "cus_1", ID: "evt_cus_1"}}); err != nil {
		t.Fatal(err)
	}
	if err := b.step("cus_1", id); err != nil {
		t.Fatal(err)
	}
	if iv := b.iv(t, "cus_1", id); iv.State != store.Failed || !strings.Contains(iv.Reason, "no longer stored") {
		t.Errorf("intervention %s %q, want failed because its event is gone", iv.State, iv.Reason)
	}
}

func TestStepErased(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.invoice(t, "cus_1", anna())
	if err := b.store.Erase(b.ctx, "cus_1"); err != nil {
		t.Fatal(err)
	}
	if err := b.step("cus_1", id); err != nil {
		t.Errorf("step of an erased customer: %v, want nil", err)
	}
	if b.sms.tries() != 0 {
		t.Errorf("sent to an erased customer")
	}
}

// TestCancelRacesStep cancels and runs many steps at the same time: each
// intervention ends either cancelled or sent, never both, and nothing is
// sent for a cancelled one.
func TestCancelRacesStep(t *testing.T) {
	t.Parallel()
	b := setup(t)
	const n = 100
	ids := make([]string, n)
	for i := range n {
		ev := &flows.Event{
			ID: fmt.Sprintf("evt_%d", i), Type: "order.late", CustomerID: "cus_1",
			Subject: fmt.Sprintf("ord_%d", i),
		}
		if i == 0 {
			ev.Customer = anna()
		}
		b.route(t, ev)
		ids[i] = engine.InterventionID("cus_1", ev.ID, "late-order", "status")
	}
	cancels := make([]error, n)
	steps := make([]error, n)
	stops := make([]*asynq.Task, n)
	for i := range n {
		stops[i] = b.post(t, &flows.Event{
			ID: fmt.Sprintf("evt_stop_%d", i), Type: "order.delivered", CustomerID: "cus_1",
			Subject: fmt.Sprintf("ord_%d", i),
		})
	}
	var wg sync.WaitGroup
	ready := make(chan struct{})
	for i := range n {
		wg.Add(2)
		go func() {
			defer wg.Done()
			<-ready
			cancels[i] = b.w.HandleRoute(b.ctx, stops[i])
		}()
		go func() {
			defer wg.Done()
			<-ready
			// Routing a cancel does more work than claiming a step; a few
			// round trips first let either one win.
			for range i % 6 {
				_ = b.rdb.Ping(b.ctx).Err()
			}
			steps[i] = b.step("cus_1", ids[i])
		}()
	}
	close(ready)
	wg.Wait()
	for i := range n {
		if cancels[i] != nil || steps[i] != nil {
			t.Fatalf("intervention %d: cancel %v, step %v", i, cancels[i], steps[i])
		}
	}
	sent := map[string]int{}
	for _, m := range b.sms.messages() {
		sent[m.ID]++
	}
	var nsent, ncancelled int
	for _, id := range ids {
		iv := b.iv(t, "cus_1", id)
		switch iv.State {
		case store.Sent:
			nsent++
			if sent[id] != 1 {
				t.Errorf("%s is sent, but the channel sent it %d times", id, sent[id])
			}
			if es := b.entries(t, "cus_1", id, store.Cancelled); len(es) != 0 {
				t.Errorf("%s is sent and journaled as cancelled", id)
			}
		case store.Cancelled:
			ncancelled++
			if sent[id] != 0 {
				t.Errorf("%s is cancelled, but the channel sent it", id)
			}
			if es := b.entries(t, "cus_1", id, store.Sent); len(es) != 0 {
				t.Errorf("%s is cancelled and journaled as sent", id)
			}
		default:
			t.Errorf("%s ended %s, want sent or cancelled", id, iv.State)
		}
	}
	t.Logf("%d sent, %d cancelled", nsent, ncancelled)
	if pending, _ := b.store.PendingOf(b.ctx, "cus_1"); len(pending) != 0 {
		t.Errorf("%d interventions still pending", len(pending))
	}
}
