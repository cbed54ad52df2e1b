package tasks

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/aheadhq/ahead/channels"
	"github.com/aheadhq/ahead/engine"
	"github.com/aheadhq/ahead/flows"
	"github.com/aheadhq/ahead/internal/store"
)

// The flows in testdata/guards share a policy: no contact from 21:00 to
// 08:00 or on Sundays (customer local), at most 3 contacts per 7 days and
// 2 hours between two, service flows up to 4.

var ams = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		panic(err)
	}
	return loc
}()

// guarded is a bundle serving testdata/guards, with a fake callback
// channel beside sms and email.
type guarded struct {
	*bundle
	call *fake
}

func setupGuards(t *testing.T, change ...func(*Options)) *guarded {
	t.Helper()
	call := &fake{name: channels.Callback}
	withCall := func(o *Options) { o.Channels[channels.Callback] = call.channel() }
	b := setup(t, append([]func(*Options){withCall}, change...)...)
	cat, err := engine.Load("testdata/guards")
	if err != nil {
		t.Fatalf("load testdata/guards: %v", err)
	}
	b.w.SetCatalog(cat)
	return &guarded{bundle: b, call: call}
}

// ev is an event of Anna (cus) about subject, with data.
func ev(id, typ, cus, subject string, data map[string]any) *flows.Event {
	return &flows.Event{ID: id, Type: typ, CustomerID: cus, Subject: subject, Customer: anna(), Data: data}
}

// run runs the step task of intervention id and fails the test on an error.
func (b *bundle) run(t *testing.T, cus, id string) {
	t.Helper()
	if err := b.step(cus, id); err != nil {
		t.Fatalf("step %s: %v", id, err)
	}
}

// one returns the only entry of es.
func one(t *testing.T, es []store.Entry, what string) store.Entry {
	t.Helper()
	if len(es) != 1 {
		t.Fatalf("%s: got %d journal entries, want 1: %+v", what, len(es), es)
	}
	return es[0]
}

// sent returns all messages the fake channels sent, by intervention id.
func (g *guarded) sent() map[string][]*channels.Message {
	out := map[string][]*channels.Message{}
	for _, f := range []*fake{g.sms, g.email, g.call} {
		for _, m := range f.messages() {
			out[m.ID] = append(out[m.ID], m)
		}
	}
	return out
}

// consent records the customer's consent to marketing over chans.
func (b *bundle) consent(t *testing.T, cus string, chans ...string) {
	t.Helper()
	p := store.Profile{}
	for _, ch := range chans {
		p[store.ConsentField(ch)] = "granted"
	}
	if err := b.store.UpsertProfile(b.ctx, cus, p); err != nil {
		t.Fatal(err)
	}
}

func utc(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// hook calls before for every command the client sends, pipelined or not,
// and after once the command has its reply; either may be nil.
type hook struct{ before, after func(redis.Cmder) }

func (h hook) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h hook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if h.before != nil {
			h.before(cmd)
		}
		err := next(ctx, cmd)
		if h.after != nil {
			h.after(cmd)
		}
		return err
	}
}

func (h hook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		if h.before != nil {
			for _, c := range cmds {
				h.before(c)
			}
		}
		err := next(ctx, cmds)
		if h.after != nil {
			for _, c := range cmds {
				h.after(c)
			}
		}
		return err
	}
}

// onCommand runs f once, just before the first command called name that
// the client sends from now on.
func onCommand(rdb *redis.Client, name string, f func()) {
	var fired atomic.Bool
	rdb.AddHook(hook{before: func(c redis.Cmder) {
		if c.Name() == name && fired.CompareAndSwap(false, true) {
			f()
		}
	}})
}

// --- cancellation ---

func TestStepCancelOnCancelsOnlyThatStep(t *testing.T) {
	t.Parallel()
	g := setupGuards(t)
	g.route(t, ev("evt_inv", "invoice.created", "cus_1", "inv_1", nil))
	explain := engine.InterventionID("cus_1", "evt_inv", "invoice", "explain")
	remind := engine.InterventionID("cus_1", "evt_inv", "invoice", "remind")

	// A dispute about something else does not match the rule's if.
	g.clock.Advance(10 * time.Minute)
	g.route(t, ev("evt_d1", "invoice.disputed", "cus_1", "inv_1", map[string]any{"reason": "late"}))
	if iv := g.iv(t, "cus_1", explain); iv.State != store.Scheduled {
		t.Fatalf("explain is %s after a dispute about lateness, want scheduled", iv.State)
	}
	// A dispute about the amount of another invoice does not either.
	g.route(t, ev("evt_d2", "invoice.disputed", "cus_1", "inv_2", map[string]any{"reason": "amount"}))
	if iv := g.iv(t, "cus_1", explain); iv.State != store.Scheduled {
		t.Fatalf("explain is %s after a dispute about another invoice, want scheduled", iv.State)
	}

	g.route(t, ev("evt_d3", "invoice.disputed", "cus_1", "inv_1", map[string]any{"reason": "amount"}))
	if iv := g.iv(t, "cus_1", explain); iv.State != store.Cancelled {
		t.Fatalf("explain is %s, want cancelled by its step's cancel_on", iv.State)
	}
	if iv := g.iv(t, "cus_1", remind); iv.State != store.Scheduled {
		t.Errorf("remind is %s, want scheduled: the rule is the explainer's alone", iv.State)
	}
	e := one(t, g.entries(t, "cus_1", explain, store.Cancelled), "cancelled explain")
	if e.Cause != "cancel_on" || e.EventID != "evt_d3" || e.EventType != "invoice.disputed" ||
		e.Details["event_id"] != "evt_d3" || e.Details["event_type"] != "invoice.disputed" ||
		e.Flow != "invoice" || e.Step != "explain" || e.Subject != "inv_1" ||
		!strings.Contains(e.Reason, "invoice.disputed") || !strings.Contains(e.Reason, "evt_d3") {
		t.Errorf("cancelled entry %+v, want cause cancel_on naming evt_d3 (invoice.disputed)", e)
	}
	tasks := g.tasks(t)
	if _, ok := tasks[explain]; ok {
		t.Errorf("the cancelled step's task is still queued")
	}
	if _, ok := tasks[remind]; !ok {
		t.Errorf("the other step's task is gone")
	}
	pending, _ := g.store.PendingOf(g.ctx, "cus_1")
	if len(pending) != 1 || pending[remind].Step != "remind" {
		t.Errorf("pending %v, want only remind", pending)
	}
}

func TestFlowCancelOnCancelsEveryStepOfThatSubject(t *testing.T) {
	t.Parallel()
	g := setupGuards(t)
	for _, inv := range []string{"inv_1", "inv_2"} {
		g.route(t, ev("evt_"+inv, "invoice.created", "cus_1", inv, nil))
		g.route(t, ev("evt_"+inv, "invoice.created", "cus_2", inv, nil))
	}
	g.clock.Advance(time.Minute)
	g.route(t, ev("evt_paid", "invoice.paid", "cus_1", "inv_2", nil))

	tasks := g.tasks(t)
	for _, c := range []struct {
		cus, inv, state string
	}{
		{"cus_1", "inv_2", store.Cancelled},
		{"cus_1", "inv_1", store.Scheduled}, // another subject
		{"cus_2", "inv_2", store.Scheduled}, // another customer
		{"cus_2", "inv_1", store.Scheduled},
	} {
		for _, step := range []string{"explain", "remind"} {
			id := engine.InterventionID(c.cus, "evt_"+c.inv, "invoice", step)
			iv := g.iv(t, c.cus, id)
			if iv.State != c.state {
				t.Errorf("%s %s %s: %s, want %s", c.cus, c.inv, step, iv.State, c.state)
			}
			if _, queued := tasks[id]; queued != (c.state == store.Scheduled) {
				t.Errorf("%s %s %s: queued %v in state %s", c.cus, c.inv, step, queued, iv.State)
			}
		}
	}
	for _, step := range []string{"explain", "remind"} {
		e := one(t, g.entries(t, "cus_1", engine.InterventionID("cus_1", "evt_inv_2", "invoice", step), store.Cancelled), step)
		if e.Cause != "cancel_on" || e.Details["event_id"] != "evt_paid" || e.Details["event_type"] != "invoice.paid" {
			t.Errorf("%s: cancelled entry %+v, want cause cancel_on by evt_paid", step, e)
		}
	}
}

// TestCancelReadsOnlyTheCustomersPendingIndex cancels for one customer
// while 10,000 interventions of other customers, of the same flow and
// subject, are pending: the cancel reads and writes that customer's keys
// and its tasks only, never anything of the others, and leaves them pending.
func TestCancelReadsOnlyTheCustomersPendingIndex(t *testing.T) {
	t.Parallel()
	g := setupGuards(t)
	const others = 10000
	for from := 0; from < others; from += 1000 {
		var ivs []*store.Intervention
		var entries []store.Entry
		for i := from; i < from+1000; i++ {
			cus := fmt.Sprintf("cus_other_%05d", i)
			iv := &store.Intervention{
				ID: engine.InterventionID(cus, "evt_inv", "invoice", "explain"), Customer: cus, Flow: "invoice",
				Step: "explain", EventID: "evt_inv", EventType: "invoice.created", Subject: "inv_1",
				Channels: []string{"email"}, Due: start.Add(time.Hour), TaskQueue: StepQueue(cus, 4), State: store.Scheduled,
			}
			ivs = append(ivs, iv)
			entries = append(entries, store.Entry{At: start, Kind: store.KindIntervention, State: store.Scheduled, Intervention: iv.ID})
		}
		if _, err := g.store.Schedule(g.ctx, ivs, entries); err != nil {
			t.Fatal(err)
		}
	}
	g.route(t, ev("evt_inv", "invoice.created", "cus_1", "inv_1", nil))
	stop := g.post(t, ev("evt_paid", "invoice.paid", "cus_1", "inv_1", nil))

	var mu sync.Mutex
	var cmds [][]any
	var replies []int // the length of each command with its reply, as text
	var recording atomic.Bool
	g.rdb.AddHook(hook{
		before: func(c redis.Cmder) {
			if recording.Load() {
				mu.Lock()
				cmds = append(cmds, c.Args())
				mu.Unlock()
			}
		},
		after: func(c redis.Cmder) {
			if recording.Load() {
				mu.Lock()
				replies = append(replies, len(c.String()))
				mu.Unlock()
			}
		},
	})
	recording.Store(true)
	if err := g.w.HandleRoute(g.ctx, stop); err != nil {
		t.Fatal(err)
	}
	recording.Store(false)

	for _, step := range []string{"explain", "remind"} {
		if iv := g.iv(t, "cus_1", engine.InterventionID("cus_1", "evt_inv", "invoice", step)); iv.State != store.Cancelled {
			t.Errorf("cus_1 %s: %s, want cancelled", step, iv.State)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	t.Logf("the cancel sent %d commands", len(cmds))
	if len(cmds) > 60 {
		t.Errorf("the cancel sent %d commands with %d other customers pending; it should not grow with them", len(cmds), others)
	}
	for _, args := range cmds {
		name := strings.ToLower(fmt.Sprint(args[0]))
		if name == "scan" || name == "keys" || strings.HasPrefix(name, "sscan") || strings.HasPrefix(name, "hscan") {
			t.Errorf("the cancel scanned: %v", args)
		}
		for _, a := range args[1:] {
			s, ok := a.(string)
			if !ok {
				continue
			}
			if strings.Contains(s, "cus_other") {
				t.Errorf("the cancel touched another customer: %.200v", args)
			}
			// The one key outside the customer's that a cancel may touch
			// is a due index, to take the customer's own task out.
			due := strings.HasPrefix(s, "ahead:{steps-") && strings.HasSuffix(s, "}:due")
			if strings.HasPrefix(s, "ahead:") && !strings.HasPrefix(s, "ahead:{cus_1}:") && !due {
				t.Errorf("the cancel touched a key outside cus_1's: %s in %.200v", s, args)
			}
		}
	}
	// A reply that lists the other customers' work would be far longer.
	if n := slices.Max(replies); n > 20000 {
		t.Errorf("the cancel read a reply of %d characters with %d other customers pending", n, others)
	}
	for _, i := range []int{0, 4711, others - 1} {
		cus := fmt.Sprintf("cus_other_%05d", i)
		pending, err := g.store.PendingOf(g.ctx, cus)
		if err != nil || len(pending) != 1 {
			t.Errorf("%s: pending %v (%v), want its one intervention", cus, pending, err)
		}
	}
}

// --- the race between a cancel and a due step ---

// TestCancelWhileStepIsBeingDeferred lands a cancel after the step was
// claimed and before the contact budget defers it. The step was not sent,
// so it must end cancelled: not deferred to go out later.
func TestCancelWhileStepIsBeingDeferred(t *testing.T) {
	t.Parallel()
	g := setupGuards(t)
	// A contact an hour before the explainer is due: the 2h gap defers it.
	g.route(t, ev("evt_n", "notice.due", "cus_1", "", nil))
	g.run(t, "cus_1", engine.InterventionID("cus_1", "evt_n", "notice", "now"))
	g.route(t, ev("evt_inv", "invoice.created", "cus_1", "inv_1", nil))
	explain := engine.InterventionID("cus_1", "evt_inv", "invoice", "explain")
	stop := g.post(t, ev("evt_paid", "invoice.paid", "cus_1", "inv_1", nil))
	g.clock.Advance(time.Hour)

	// The guards read the customer's contacts after claiming the step;
	// the payment is routed right then.
	var routed error
	onCommand(g.rdb, "zrevrangebyscore", func() { routed = g.w.HandleRoute(g.ctx, stop) })
	g.run(t, "cus_1", explain)
	if routed != nil {
		t.Fatalf("route the payment: %v", routed)
	}
	iv := g.iv(t, "cus_1", explain)
	if iv.State != store.Cancelled {
		t.Errorf("explainer is %s (task %s, due %s) after a cancel that landed before it was sent, want cancelled",
			iv.State, iv.TaskID, utc(iv.Due))
	}
	// Whatever is queued for it sends nothing.
	g.clock.Advance(3 * time.Hour)
	g.run(t, "cus_1", explain)
	if msgs := g.sent()[explain]; len(msgs) != 0 {
		t.Errorf("the explainer was sent after the invoice was paid")
	}
	if pending, _ := g.store.PendingOf(g.ctx, "cus_1"); len(pending) != 0 {
		t.Errorf("pending %v, want nothing after the payment", pending)
	}
}

// TestCancelWhileDeferralMovesTheTask defers a step between the cancel's
// reading of the pending index and its cancelling: the step ends cancelled
// and the task the deferral queued is removed, not the one it replaced.
func TestCancelWhileDeferralMovesTheTask(t *testing.T) {
	t.Parallel()
	g := setupGuards(t)
	g.route(t, ev("evt_n", "notice.due", "cus_1", "", nil))
	g.run(t, "cus_1", engine.InterventionID("cus_1", "evt_n", "notice", "now"))
	g.route(t, ev("evt_inv", "invoice.created", "cus_1", "inv_1", nil))
	explain := engine.InterventionID("cus_1", "evt_inv", "invoice", "explain")
	g.clock.Advance(time.Hour)
	var fired atomic.Bool
	var stepErr error
	g.rdb.AddHook(hook{after: func(c redis.Cmder) {
		args := c.Args()
		if c.Name() == "hgetall" && len(args) > 1 && args[1] == "ahead:{cus_1}:ivs" && fired.CompareAndSwap(false, true) {
			stepErr = g.step("cus_1", explain) // deferred by the 2h gap
		}
	}})
	g.route(t, ev("evt_paid", "invoice.paid", "cus_1", "inv_1", nil))
	if stepErr != nil || !fired.Load() {
		t.Fatalf("step during the cancel: ran %v, %v", fired.Load(), stepErr)
	}
	if es := g.entries(t, "cus_1", explain, "deferred"); len(es) != 1 {
		t.Fatalf("the step was not deferred during the cancel: %+v", g.journal(t, "cus_1"))
	}
	if iv := g.iv(t, "cus_1", explain); iv.State != store.Cancelled {
		t.Errorf("explainer is %s, want cancelled", iv.State)
	}
	if _, ok := g.tasks(t)[explain+"-d1"]; ok {
		t.Errorf("the deferred task of the cancelled explainer is still queued")
	}
}

// TestCancelDuringFailedSend lands a cancel while the provider handles the
// message and then fails it with a transient error: nothing went out, so
// the step ends cancelled instead of being retried.
func TestCancelDuringFailedSend(t *testing.T) {
	t.Parallel()
	g := setupGuards(t)
	g.route(t, ev("evt_inv", "invoice.created", "cus_1", "inv_1", nil))
	explain := engine.InterventionID("cus_1", "evt_inv", "invoice", "explain")
	stop := g.post(t, ev("evt_paid", "invoice.paid", "cus_1", "inv_1", nil))
	g.clock.Advance(time.Hour)
	var once sync.Once
	g.email.during = func(context.Context) {
		once.Do(func() {
			if err := g.w.HandleRoute(g.ctx, stop); err != nil {
				t.Errorf("route the payment: %v", err)
			}
		})
	}
	g.email.failWith(channels.Transient(channels.Email, "421", errors.New("try again later")))
	_ = g.step("cus_1", explain) // the send fails; the cancel landed meanwhile
	if g.email.tries() != 1 {
		t.Fatalf("email tried %d times, want 1", g.email.tries())
	}
	g.email.failWith(nil)
	g.clock.Advance(time.Minute)
	_ = g.step("cus_1", explain) // asynq's retry
	if n := len(g.email.messages()); n != 0 {
		t.Errorf("the explainer went out on the retry after the invoice was paid")
	}
	if iv := g.iv(t, "cus_1", explain); iv.State != store.Cancelled {
		t.Errorf("explainer is %s, want cancelled", iv.State)
	}
}

// TestCancelDuringSendThatFallsBack lands a cancel while the first channel
// handles the message and then refuses it for good: nothing went out, so
// the step ends cancelled instead of going on to the next channel.
func TestCancelDuringSendThatFallsBack(t *testing.T) {
	t.Parallel()
	g := setupGuards(t)
	g.consent(t, "cus_1", channels.Email, channels.SMS)
	g.route(t, ev("evt_news", "news.a", "cus_1", "", nil)) // email, then sms
	id := engine.InterventionID("cus_1", "evt_news", "news-a", "send")
	var once sync.Once
	g.email.during = func(context.Context) {
		once.Do(func() {
			// The customer unsubscribed from the news: the API cancels.
			pending, err := g.store.PendingOf(g.ctx, "cus_1")
			if err == nil {
				_, err = g.w.CancelPending(g.ctx, "cus_1", []string{id}, pending,
					store.Entry{At: g.clock.Now(), Cause: "api", Reason: "cancelled through the API"})
			}
			if err != nil {
				t.Errorf("cancel: %v", err)
			}
		})
	}
	g.email.failWith(channels.Permanent(channels.Email, "550", errors.New("mailbox unavailable")))
	g.run(t, "cus_1", id)
	if n := len(g.sms.messages()); n != 0 {
		t.Errorf("the step fell back to sms after it was cancelled")
	}
	if iv := g.iv(t, "cus_1", id); iv.State != store.Cancelled {
		t.Errorf("intervention is %s, want cancelled", iv.State)
	}
	if e := one(t, g.entries(t, "cus_1", id, store.Cancelled), "cancelled"); e.Cause != "api" {
		t.Errorf("cancelled entry %+v, want the API's", e)
	}
}

// TestCancelAfterCrashDuringSend cancels a step whose worker claimed it and
// died before sending: asynq runs the task again, and it sends nothing.
func TestCancelAfterCrashDuringSend(t *testing.T) {
	t.Parallel()
	g := setupGuards(t)
	g.route(t, ev("evt_inv", "invoice.created", "cus_1", "inv_1", nil))
	explain := engine.InterventionID("cus_1", "evt_inv", "invoice", "explain")
	g.clock.Advance(time.Hour)
	if _, ok, err := g.store.Begin(g.ctx, "cus_1", explain); err != nil || !ok {
		t.Fatalf("claim: %v %v", ok, err)
	}
	// The worker is gone; the invoice is paid.
	g.route(t, ev("evt_paid", "invoice.paid", "cus_1", "inv_1", nil))
	g.clock.Advance(time.Minute)
	g.run(t, "cus_1", explain) // asynq hands the task to another worker
	if n := len(g.email.messages()); n != 0 {
		t.Errorf("the explainer was sent after the invoice was paid")
	}
	if iv := g.iv(t, "cus_1", explain); iv.State != store.Cancelled {
		t.Errorf("explainer is %s, want cancelled", iv.State)
	}
}

// TestCancelRacesDeferredStep runs the cancel and the due step at the same
// time for 100 interventions of one customer, with the contact budget in
// play: the first one to get the budget is sent, the others are deferred
// or cancelled. Each ends sent or cancelled, never both, and nothing
// cancelled goes out later.
func TestCancelRacesDeferredStep(t *testing.T) {
	t.Parallel()
	g := setupGuards(t)
	const n = 100
	ids := make([]string, n)
	stops := make([]*asynq.Task, n)
	for i := range n {
		inv := fmt.Sprintf("inv_%d", i)
		g.route(t, ev("evt_"+inv, "invoice.created", "cus_1", inv, nil))
		ids[i] = engine.InterventionID("cus_1", "evt_"+inv, "invoice", "explain")
		stops[i] = g.post(t, ev("evt_paid_"+inv, "invoice.paid", "cus_1", inv, nil))
	}
	g.clock.Advance(time.Hour)
	cancels := make([]error, n)
	steps := make([]error, n)
	var wg sync.WaitGroup
	ready := make(chan struct{})
	for i := range n {
		wg.Add(2)
		// A few round trips before one or the other let either win, or
		// land in the middle of the other.
		go func() {
			defer wg.Done()
			<-ready
			for range i % 7 * 3 {
				_ = g.rdb.Ping(g.ctx).Err()
			}
			cancels[i] = g.w.HandleRoute(g.ctx, stops[i])
		}()
		go func() {
			defer wg.Done()
			<-ready
			for range i % 6 {
				_ = g.rdb.Ping(g.ctx).Err()
			}
			steps[i] = g.step("cus_1", ids[i])
		}()
	}
	close(ready)
	wg.Wait()
	for i := range n {
		if cancels[i] != nil || steps[i] != nil {
			t.Fatalf("intervention %d: cancel %v, step %v", i, cancels[i], steps[i])
		}
	}
	// Every deferred task comes due; none may send.
	g.clock.Advance(3 * time.Hour)
	for _, id := range ids {
		g.run(t, "cus_1", id)
	}
	sent := g.sent()
	journaled := map[string]map[string]int{} // intervention → state → entries
	for _, e := range g.journal(t, "cus_1") {
		if journaled[e.Intervention] == nil {
			journaled[e.Intervention] = map[string]int{}
		}
		journaled[e.Intervention][e.State]++
	}
	var nsent, ndeferred int
	for _, id := range ids {
		iv := g.iv(t, "cus_1", id)
		if journaled[id]["deferred"] > 0 {
			ndeferred++
		}
		switch iv.State {
		case store.Sent:
			nsent++
			if len(sent[id]) != 1 {
				t.Errorf("%s is sent, but the channel sent it %d times", id, len(sent[id]))
			}
			if journaled[id][store.Cancelled] != 0 {
				t.Errorf("%s is sent and journaled as cancelled", id)
			}
		case store.Cancelled:
			if len(sent[id]) != 0 {
				t.Errorf("%s is cancelled, but the channel sent it", id)
			}
			if journaled[id][store.Sent] != 0 || journaled[id][store.Cancelled] != 1 {
				t.Errorf("%s is cancelled, journaled %v", id, journaled[id])
			}
		default:
			t.Errorf("%s ended %s (deferred %d times), want sent or cancelled", id, iv.State, iv.Deferrals)
		}
	}
	if nsent > 1 {
		t.Errorf("%d explainers sent at the same time, the 2h gap allows 1", nsent)
	}
	// The tasks that deferrals queued went with the cancels, also when the
	// deferral moved the task between the cancel's reading of the pending
	// index and its cancelling.
	for tid := range g.tasks(t) {
		if strings.Contains(tid, "-d") {
			t.Errorf("deferred task %s of a cancelled intervention is still queued", tid)
		}
	}
	t.Logf("%d sent, %d deferred before they were cancelled", nsent, ndeferred)
	if pending, _ := g.store.PendingOf(g.ctx, "cus_1"); len(pending) != 0 {
		t.Errorf("%d interventions still pending", len(pending))
	}
}

// --- skip_if ---

func TestSkipIfEventSinceTrigger(t *testing.T) {
	t.Parallel()
	g := setupGuards(t)
	// cus_2 asked before the invoice was made: that does not count.
	g.route(t, ev("evt_q0", "invoice.question", "cus_2", "inv_1", nil))
	g.clock.Advance(time.Minute)
	for _, cus := range []string{"cus_1", "cus_2", "cus_3"} {
		g.route(t, ev("evt_inv", "invoice.created", cus, "inv_1", nil))
	}
	// cus_1 calls about the invoice after it was made.
	g.clock.Advance(10 * time.Minute)
	g.route(t, ev("evt_q1", "invoice.question", "cus_1", "inv_1", nil))
	g.route(t, ev("evt_x", "invoice.viewed", "cus_3", "inv_1", nil))
	g.clock.Advance(time.Hour)
	expr := `"invoice.question" in events_since`
	for _, cus := range []string{"cus_1", "cus_2", "cus_3"} {
		g.run(t, cus, engine.InterventionID(cus, "evt_inv", "invoice", "explain"))
	}

	id := engine.InterventionID("cus_1", "evt_inv", "invoice", "explain")
	iv := g.iv(t, "cus_1", id)
	if iv.State != store.Skipped {
		t.Fatalf("cus_1 explainer is %s, want skipped: the customer already asked", iv.State)
	}
	e := one(t, g.entries(t, "cus_1", id, store.Skipped), "skipped explainer")
	if e.Cause != "skip_if" || e.Details["expr"] != expr || !strings.Contains(e.Reason, expr) {
		t.Errorf("skipped entry %+v, want cause skip_if with the expression", e)
	}
	if len(g.sent()[id]) != 0 {
		t.Errorf("the skipped explainer was sent")
	}
	if pending, _ := g.store.PendingOf(g.ctx, "cus_1"); pending[id].Flow != "" {
		t.Errorf("the skipped explainer is still pending")
	}
	for _, cus := range []string{"cus_2", "cus_3"} {
		if iv := g.iv(t, cus, engine.InterventionID(cus, "evt_inv", "invoice", "explain")); iv.State != store.Sent {
			t.Errorf("%s explainer is %s, want sent", cus, iv.State)
		}
	}
}

func TestSkipIfContactsInTheLastDays(t *testing.T) {
	t.Parallel()
	g := setupGuards(t)
	// Both customers got a notice now (Thursday).
	for _, cus := range []string{"cus_1", "cus_2"} {
		g.route(t, ev("evt_n", "notice.due", cus, "", nil))
		g.run(t, cus, engine.InterventionID(cus, "evt_n", "notice", "now"))
	}
	// Two days later (Saturday) cus_1 is due a check-in: skipped, the
	// notice is less than 72h ago.
	g.clock.Advance(48 * time.Hour)
	g.route(t, ev("evt_c", "checkin.due", "cus_1", "", nil))
	g.run(t, "cus_1", engine.InterventionID("cus_1", "evt_c", "checkin", "contacted"))
	// Four days later (Monday) cus_2's check-in goes out.
	g.clock.Advance(48 * time.Hour)
	g.route(t, ev("evt_c", "checkin.due", "cus_2", "", nil))
	g.run(t, "cus_2", engine.InterventionID("cus_2", "evt_c", "checkin", "contacted"))

	id := engine.InterventionID("cus_1", "evt_c", "checkin", "contacted")
	e := one(t, g.entries(t, "cus_1", id, store.Skipped), "cus_1 check-in")
	if e.Cause != "skip_if" || e.Details["expr"] != `contacts.exists(c, c.at > now - duration("72h"))` {
		t.Errorf("skipped entry %+v", e)
	}
	if iv := g.iv(t, "cus_2", engine.InterventionID("cus_2", "evt_c", "checkin", "contacted")); iv.State != store.Sent {
		t.Errorf("cus_2 check-in is %s (%s), want sent: the last contact is 4 days ago", iv.State, iv.Reason)
	}
}

func TestSkipIfLastInbound(t *testing.T) {
	t.Parallel()
	g := setupGuards(t)
	for cus, inbound := range map[string]string{
		"cus_wrote":   utc(start.Add(5 * time.Minute)), // after the trigger
		"cus_earlier": utc(start.Add(-time.Hour)),      // before it
		"cus_never":   "",
	} {
		g.route(t, ev("evt_c", "checkin.due", cus, "", nil))
		if inbound != "" {
			if err := g.store.UpsertProfile(g.ctx, cus, store.Profile{"last_inbound_at": inbound}); err != nil {
				t.Fatal(err)
			}
		}
	}
	g.clock.Advance(10 * time.Minute)
	want := map[string]string{"cus_wrote": store.Skipped, "cus_earlier": store.Sent, "cus_never": store.Sent}
	for cus, state := range want {
		id := engine.InterventionID(cus, "evt_c", "checkin", "inbound")
		g.run(t, cus, id)
		if iv := g.iv(t, cus, id); iv.State != state {
			t.Errorf("%s: %s (%s), want %s", cus, iv.State, iv.Reason, state)
		}
	}
	e := one(t, g.entries(t, "cus_wrote", engine.InterventionID("cus_wrote", "evt_c", "checkin", "inbound"), store.Skipped), "skipped")
	if e.Cause != "skip_if" || e.Details["expr"] != "customer.last_inbound_at > event.occurred_at" {
		t.Errorf("skipped entry %+v", e)
	}
}

func TestSkipIfErrorFails(t *testing.T) {
	t.Parallel()
	g := setupGuards(t)
	g.route(t, ev("evt_c", "checkin.due", "cus_1", "", map[string]any{"other": 1}))
	id := engine.InterventionID("cus_1", "evt_c", "checkin", "broken")
	g.run(t, "cus_1", id)
	iv := g.iv(t, "cus_1", id)
	if iv.State != store.Failed || !strings.Contains(iv.Reason, "skip_if") || !strings.Contains(iv.Reason, "missing") {
		t.Errorf("intervention %s %q, want failed with the expression's error", iv.State, iv.Reason)
	}
	e := one(t, g.entries(t, "cus_1", id, store.Failed), "failed")
	if e.Cause != "skip_if" || e.Details["expr"] != `event.data.missing == "x"` || e.Reason != iv.Reason {
		t.Errorf("failed entry %+v", e)
	}
	if g.sms.tries() != 0 {
		t.Errorf("sent although skip_if could not be evaluated")
	}
}

// --- the contact budget ---

func TestBudgetAcrossFlowsAndChannels(t *testing.T) {
	t.Parallel()
	g := setupGuards(t)
	T := start // Thursday 10:12 in Amsterdam
	cus := "cus_1"
	g.consent(t, cus, channels.Email, channels.SMS, channels.Callback)
	step := func(evID, typ string, at time.Time) (string, *store.Intervention) {
		t.Helper()
		g.clock.Set(at)
		e := ev(evID, typ, cus, "", nil)
		g.route(t, e)
		f := g.w.Catalog().Flows.Get(map[string]string{"news.a": "news-a", "news.b": "news-b", "care.due": "care"}[typ])
		id := engine.InterventionID(cus, evID, f.Name, f.Steps[0].ID)
		g.run(t, cus, id)
		return id, g.iv(t, cus, id)
	}
	// Three marketing contacts in 6 hours over two flows and two channels,
	// one of them a call.
	for i, c := range []struct {
		typ     string
		at      time.Time
		channel string
	}{
		{"news.a", T, channels.Email},
		{"news.b", T.Add(3 * time.Hour), channels.Callback},
		{"news.a", T.Add(6 * time.Hour), channels.Email},
	} {
		_, iv := step(fmt.Sprintf("evt_%d", i+1), c.typ, c.at)
		if iv.State != store.Sent || iv.Channel != c.channel {
			t.Fatalf("contact %d: %s via %s (%s), want sent via %s", i+1, iv.State, iv.Channel, iv.Reason, c.channel)
		}
	}
	if n := len(g.call.messages()); n != 1 {
		t.Fatalf("%d calls queued, want 1", n)
	}

	// The fourth marketing contact waits until the first leaves the 7 days.
	id, iv := step("evt_4", "news.a", T.Add(9*time.Hour))
	free := T.Add(7 * 24 * time.Hour)
	if iv.State != store.Scheduled || !iv.Due.Equal(free) || iv.TaskID != id+"-d1" || iv.Deferrals != 1 {
		t.Fatalf("fourth contact: %s due %s task %s, want scheduled at %s as %s-d1", iv.State, utc(iv.Due), iv.TaskID, utc(free), id)
	}
	e := one(t, g.entries(t, cus, id, "deferred"), "deferred")
	if e.Cause != "budget" || e.Details["deferred_to"] != utc(free) || e.Due == nil || !e.Due.Equal(free) ||
		!strings.Contains(e.Reason, "3 contacts per 7d") {
		t.Errorf("deferred entry %+v, want cause budget, deferred_to %s", e, utc(free))
	}
	ti, err := g.task(StepQueue(cus, 4), cus, id+"-d1")
	if err != nil {
		t.Fatalf("deferred task: %v", err)
	}
	if !ti.NextProcessAt.Equal(free) || ti.Type != TypeStep {
		t.Errorf("deferred task runs at %s, want %s", utc(ti.NextProcessAt), utc(free))
	}
	if p, _ := g.store.PendingOf(g.ctx, cus); p[id].TaskID != id+"-d1" {
		t.Errorf("pending index names task %q, want the deferred task", p[id].TaskID)
	}

	// A call whose deadline (the 24h late limit) comes before that is
	// skipped, and says why.
	id5, iv5 := step("evt_5", "news.b", T.Add(9*time.Hour))
	if iv5.State != store.Skipped {
		t.Fatalf("call past its deadline: %s, want skipped", iv5.State)
	}
	e = one(t, g.entries(t, cus, id5, store.Skipped), "skipped")
	if e.Cause != "budget" || e.Details["deferred_to"] != utc(free) || e.Details["deadline"] != utc(T.Add(33*time.Hour)) ||
		!strings.Contains(e.Reason, "past the deadline") {
		t.Errorf("skipped entry %+v", e)
	}

	// A service call may go past max, up to service_max (4).
	_, care := step("evt_6", "care.due", T.Add(9*time.Hour))
	if care.State != store.Sent {
		t.Fatalf("service call: %s (%s), want sent", care.State, care.Reason)
	}
	id7, care2 := step("evt_7", "care.due", T.Add(11*time.Hour))
	if care2.State != store.Scheduled || !care2.Due.Equal(free) {
		t.Fatalf("fifth contact: %s due %s, want deferred to %s", care2.State, utc(care2.Due), utc(free))
	}
	contacts, _ := g.store.Contacts(g.ctx, cus, T.Add(-time.Hour))
	if len(contacts) != 4 {
		t.Errorf("%d contacts recorded, want 4", len(contacts))
	}

	// A week later the service call goes out; the marketing one has to
	// wait again, now for the second contact to leave the period.
	g.clock.Set(free)
	g.run(t, cus, id7)
	if iv := g.iv(t, cus, id7); iv.State != store.Sent {
		t.Errorf("deferred service call: %s (%s), want sent", iv.State, iv.Reason)
	}
	g.run(t, cus, id)
	iv = g.iv(t, cus, id)
	again := T.Add(7*24*time.Hour + 6*time.Hour)
	if iv.State != store.Scheduled || iv.TaskID != id+"-d2" || !iv.Due.Equal(again) {
		t.Errorf("deferred marketing contact: %s task %s due %s, want deferred again to %s", iv.State, iv.TaskID, utc(iv.Due), utc(again))
	}
	g.clock.Set(again)
	g.run(t, cus, id)
	if iv := g.iv(t, cus, id); iv.State != store.Sent {
		t.Errorf("marketing contact at %s: %s (%s), want sent", utc(again), iv.State, iv.Reason)
	}
	if n := len(g.sent()); n != 6 {
		t.Errorf("%d interventions sent, want 6", n)
	}
}

// TestBudgetTwoWorkers runs eight contacts of one customer that are due at
// once on two workers at the same time, round after round: the budget is
// never exceeded, whoever takes the last place.
func TestBudgetTwoWorkers(t *testing.T) {
	t.Parallel()
	g := setupGuards(t)
	other := New(g.opts, g.w.Catalog())
	workers := []*Worker{g.w, other}
	const n = 8
	ids := make([]string, n)
	for i := range n {
		evID := fmt.Sprintf("evt_%d", i)
		g.route(t, ev(evID, "notice.due", "cus_1", "", nil))
		ids[i] = engine.InterventionID("cus_1", evID, "notice", "now")
	}
	round := func() {
		t.Helper()
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i, id := range ids {
			wg.Add(1)
			go func() {
				defer wg.Done()
				task, _ := NewStepTask("cus_1", id, id)
				errs[i] = workers[i%2].HandleStep(g.ctx, task)
			}()
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("step %d: %v", i, err)
			}
		}
	}
	// Service flow: up to 4 per 7 days, 2 hours apart. Rounds at 10:12,
	// 12:12, 14:12 and 16:12 each send one; at 18:12 the week is full and
	// the rest would wait past their 5-day deadline.
	for r := range 5 {
		g.clock.Set(start.Add(time.Duration(2*r) * time.Hour))
		round()
		sent := g.sent()
		want := min(r+1, 4)
		if len(sent) != want || len(g.sms.messages()) != want {
			t.Fatalf("round %d: %d interventions sent in %d messages, want %d", r+1, len(sent), len(g.sms.messages()), want)
		}
		contacts, _ := g.store.Contacts(g.ctx, "cus_1", start.Add(-time.Hour))
		if len(contacts) != want {
			t.Fatalf("round %d: %d contacts recorded, want %d", r+1, len(contacts), want)
		}
	}
	var skipped int
	for _, id := range ids {
		iv := g.iv(t, "cus_1", id)
		switch iv.State {
		case store.Sent:
		case store.Skipped:
			skipped++
			e := one(t, g.entries(t, "cus_1", id, store.Skipped), "skipped")
			if e.Cause != "budget" || !strings.Contains(e.Reason, "past the deadline") {
				t.Errorf("skipped entry %+v, want cause budget past the deadline", e)
			}
		default:
			t.Errorf("%s ended %s, want sent or skipped", id, iv.State)
		}
	}
	if skipped != 4 {
		t.Errorf("%d skipped, want 4", skipped)
	}
}

// --- quiet hours ---

func TestQuietHoursDefer(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name     string
		due      time.Time // local
		flow     string
		deferred time.Time // local
		cause    string
	}{
		{"saturday night", time.Date(2030, 11, 23, 22, 0, 0, 0, ams), "notice", time.Date(2030, 11, 25, 8, 0, 0, 0, ams), "quiet_hours"},
		{"sunday noon", time.Date(2030, 11, 24, 12, 0, 0, 0, ams), "notice", time.Date(2030, 11, 25, 8, 0, 0, 0, ams), "quiet_hours"},
		{"early morning", time.Date(2030, 11, 26, 6, 30, 0, 0, ams), "notice", time.Date(2030, 11, 26, 8, 0, 0, 0, ams), "quiet_hours"},
		// Summer time ends in the night from Saturday to Sunday.
		{"autumn clock change", time.Date(2030, 10, 26, 22, 0, 0, 0, ams), "notice", time.Date(2030, 10, 28, 8, 0, 0, 0, ams), "quiet_hours"},
		// Summer time starts in the night from Saturday to Sunday.
		{"spring clock change", time.Date(2030, 3, 30, 22, 0, 0, 0, ams), "notice", time.Date(2030, 4, 1, 8, 0, 0, 0, ams), "quiet_hours"},
		// Friday 21:30 is in the window (20:00-22:00) but quiet; Saturday
		// morning is outside the window; Monday 20:00 is both open.
		{"window and quiet hours", time.Date(2030, 11, 22, 21, 30, 0, 0, ams), "evening", time.Date(2030, 11, 25, 20, 0, 0, 0, ams), "quiet_hours,window"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			g := setupGuards(t)
			g.clock.Set(c.due)
			typ := map[string]string{"notice": "notice.due", "evening": "evening.due"}[c.flow]
			step := g.w.Catalog().Flows.Get(c.flow).Steps[0].ID
			g.route(t, ev("evt_1", typ, "cus_1", "", nil))
			id := engine.InterventionID("cus_1", "evt_1", c.flow, step)
			if iv := g.iv(t, "cus_1", id); !iv.Due.Equal(c.due) {
				t.Fatalf("planned for %s, want %s", iv.Due.In(ams), c.due)
			}
			g.run(t, "cus_1", id)
			iv := g.iv(t, "cus_1", id)
			if iv.State != store.Scheduled || !iv.Due.Equal(c.deferred) || iv.TaskID != id+"-d1" {
				t.Fatalf("%s due %s task %s, want deferred to %s", iv.State, iv.Due.In(ams), iv.TaskID, c.deferred)
			}
			e := one(t, g.entries(t, "cus_1", id, "deferred"), "deferred")
			if e.Cause != c.cause || e.Details["deferred_to"] != utc(c.deferred) || !strings.Contains(e.Reason, "quiet hours") {
				t.Errorf("deferred entry %+v, want cause %s to %s", e, c.cause, utc(c.deferred))
			}
			if ti, err := g.task(StepQueue("cus_1", 4), "cus_1", id+"-d1"); err != nil || !ti.NextProcessAt.Equal(c.deferred) {
				t.Errorf("deferred task: %v %v, want it at %s", ti, err, c.deferred)
			}
			if g.sms.tries() != 0 {
				t.Fatalf("sent in quiet hours")
			}
			g.clock.Set(c.deferred)
			g.run(t, "cus_1", id)
			if iv := g.iv(t, "cus_1", id); iv.State != store.Sent {
				t.Errorf("at %s: %s (%s), want sent", c.deferred, iv.State, iv.Reason)
			}
		})
	}
}

// TestQuietHoursNeverEarlier runs a step every 2h37m for two weeks: it goes
// out at once when that is allowed, and is otherwise deferred to the first
// allowed instant after it, never earlier.
func TestQuietHoursNeverEarlier(t *testing.T) {
	t.Parallel()
	g := setupGuards(t)
	allowed := func(t time.Time) bool {
		l := t.In(ams)
		return l.Weekday() != time.Sunday && l.Hour() >= 8 && l.Hour() < 21
	}
	from := time.Date(2030, 10, 20, 0, 5, 0, 0, ams) // two weeks around the autumn change
	for i, at := 0, from; at.Before(from.Add(14 * 24 * time.Hour)); i, at = i+1, at.Add(157*time.Minute) {
		cus := fmt.Sprintf("cus_%d", i)
		g.clock.Set(at)
		g.route(t, ev("evt_1", "notice.due", cus, "", nil))
		id := engine.InterventionID(cus, "evt_1", "notice", "now")
		g.run(t, cus, id)
		iv := g.iv(t, cus, id)
		switch {
		case allowed(at):
			if iv.State != store.Sent {
				t.Errorf("%s: %s, want sent at once", at, iv.State)
			}
		case iv.State != store.Scheduled:
			t.Errorf("%s: %s, want deferred", at, iv.State)
		case !iv.Due.After(at) || !allowed(iv.Due) || allowed(iv.Due.Add(-time.Minute)):
			t.Errorf("%s (local %s): deferred to %s, want the first allowed minute after it", at, at.In(ams), iv.Due.In(ams))
		}
	}
}

// --- re-entry ---

func TestOncePer(t *testing.T) {
	t.Parallel()
	g := setupGuards(t)
	started := func(evID string) map[string]bool {
		t.Helper()
		out := map[string]bool{}
		for _, f := range []string{"once-customer", "once-subject", "every-event"} {
			_, err := g.store.Intervention(g.ctx, "cus_1", engine.InterventionID("cus_1", evID, f, "hello"))
			out[f] = err == nil
		}
		return out
	}
	notStarted := func(evID string) map[string]store.Entry {
		out := map[string]store.Entry{}
		for _, e := range g.journal(t, "cus_1") {
			if e.EventID == evID && e.State == "not_started" {
				out[e.Flow] = e
			}
		}
		return out
	}
	day := 24 * time.Hour
	for _, c := range []struct {
		ev, subject string
		at          time.Duration
		want        map[string]bool
	}{
		{"evt_1", "acc_1", 0, map[string]bool{"once-customer": true, "once-subject": true, "every-event": true}},
		{"evt_2", "acc_1", day, map[string]bool{"once-customer": false, "once-subject": false, "every-event": true}},
		{"evt_3", "acc_2", 2 * day, map[string]bool{"once-customer": false, "once-subject": true, "every-event": true}},
		// 31 days after the first entry the customer may enter again; the
		// subject never.
		{"evt_4", "acc_1", 31 * day, map[string]bool{"once-customer": true, "once-subject": false, "every-event": true}},
		{"evt_5", "acc_3", 32 * day, map[string]bool{"once-customer": false, "once-subject": true, "every-event": true}},
	} {
		g.clock.Set(start.Add(c.at))
		g.route(t, ev(c.ev, "account.opened", "cus_1", c.subject, nil))
		got := started(c.ev)
		ns := notStarted(c.ev)
		for f, want := range c.want {
			if got[f] != want {
				t.Errorf("%s: %s started %v, want %v", c.ev, f, got[f], want)
			}
			e, journaled := ns[f]
			if journaled == want {
				t.Errorf("%s: %s not_started entry %v, want %v", c.ev, f, journaled, !want)
			}
			if journaled && (e.Cause != "once_per" || e.Details["entered"] == "" || !strings.Contains(e.Reason, "once per")) {
				t.Errorf("%s: %s not_started entry %+v", c.ev, f, e)
			}
		}
	}
	e := notStarted("evt_5")["once-customer"]
	if e.Details["entered"] != utc(start.Add(31*day)) || !strings.Contains(e.Reason, "again after "+utc(start.Add(61*day))) {
		t.Errorf("not_started entry %+v, want the entry of evt_4 and when it may enter again", e)
	}

	// A retried route of an event that entered is not blocked by its own
	// entry, and plans nothing new.
	tasks := len(g.tasks(t))
	g.clock.Advance(time.Minute)
	again := g.reroute(t, "cus_1", "evt_4")
	if _, blocked := notStarted("evt_4")["once-customer"]; blocked {
		t.Errorf("the retried route of evt_4 was blocked by evt_4's own entry")
	}
	if len(again) > 0 {
		t.Errorf("the retried route journaled again: %+v", again)
	}
	if n := len(g.tasks(t)); n != tasks {
		t.Errorf("the retried route changed the step tasks from %d to %d", tasks, n)
	}
	if ivs, _ := g.store.Interventions(g.ctx, "cus_1"); len(ivs) != 10 {
		t.Errorf("%d interventions after the retried route, want the 10 started", len(ivs))
	}
}

// --- debounce ---

func TestDebounceSendsLatestOnce(t *testing.T) {
	t.Parallel()
	g := setupGuards(t)
	statuses := []string{"received", "packed", "shipped", "in transit", "out for delivery"}
	for i, s := range statuses {
		g.clock.Set(start.Add(time.Duration(i) * 150 * time.Second)) // five in ten minutes
		g.route(t, ev(fmt.Sprintf("evt_%d", i), "order.status", "cus_1", "ord_1", map[string]any{"status": s}))
	}
	// Another order's status is its own message.
	g.route(t, ev("evt_other", "order.status", "cus_1", "ord_2", map[string]any{"status": "packed"}))

	first := engine.InterventionID("cus_1", "evt_0", "status", "update")
	ivs, _ := g.store.Interventions(g.ctx, "cus_1")
	if len(ivs) != 2 {
		t.Fatalf("%d interventions, want one per order", len(ivs))
	}
	iv := g.iv(t, "cus_1", first)
	if iv.EventID != "evt_4" || !iv.Due.Equal(start.Add(15*time.Minute)) {
		t.Errorf("intervention carries %s due %s, want evt_4 due 15m after the first", iv.EventID, utc(iv.Due))
	}
	sched := one(t, g.entries(t, "cus_1", first, store.Scheduled), "scheduled")
	if sched.Cause != "debounce" || !strings.Contains(sched.Reason, "debounce 15m") {
		t.Errorf("scheduled entry %+v, want cause debounce", sched)
	}
	deb := g.entries(t, "cus_1", first, "debounced")
	if len(deb) != 4 {
		t.Fatalf("%d debounced entries, want 4", len(deb))
	}
	for i, e := range deb {
		if e.EventID != fmt.Sprintf("evt_%d", i+1) || e.Cause != "debounce" || e.Step != "update" {
			t.Errorf("debounced entry %d: %+v", i, e)
		}
	}
	if tasks := g.tasks(t); len(tasks) != 2 || tasks[first] == nil {
		t.Errorf("step tasks %v, want one per order", tasks)
	}
	// A retried route of an event that joined changes nothing and
	// journals nothing again.
	if again := g.reroute(t, "cus_1", "evt_2"); len(again) > 0 {
		t.Errorf("the retried route journaled again: %+v", again)
	}
	if iv := g.iv(t, "cus_1", first); iv.EventID != "evt_4" {
		t.Errorf("after the retried route the intervention carries %s, want evt_4", iv.EventID)
	}

	g.clock.Set(start.Add(15 * time.Minute))
	g.run(t, "cus_1", first)
	g.run(t, "cus_1", first)
	msgs := g.sms.messages()
	if len(msgs) != 1 || msgs[0].ID != first || msgs[0].Text != "Bestelling ord_1: out for delivery" {
		t.Fatalf("messages %+v, want one with the latest status", msgs)
	}

	// After it went out, a new status starts a new message.
	g.clock.Set(start.Add(3 * time.Hour))
	g.route(t, ev("evt_5", "order.status", "cus_1", "ord_1", map[string]any{"status": "delivered"}))
	next := engine.InterventionID("cus_1", "evt_5", "status", "update")
	if iv := g.iv(t, "cus_1", next); iv.State != store.Scheduled || iv.EventID != "evt_5" {
		t.Fatalf("new status: %s carrying %s, want a new scheduled intervention", iv.State, iv.EventID)
	}
	g.clock.Advance(15 * time.Minute)
	g.run(t, "cus_1", next)
	msgs = g.sms.messages()
	if len(msgs) != 2 || msgs[1].Text != "Bestelling ord_1: delivered" {
		t.Errorf("messages %+v, want a second one with the new status", msgs)
	}
}

// TestDebounceNewestEventWins routes a burst out of order, as concurrent
// workers may: the message carries the status that happened last.
func TestDebounceNewestEventWins(t *testing.T) {
	t.Parallel()
	g := setupGuards(t)
	events := make([]*asynq.Task, 3)
	for i, s := range []string{"packed", "shipped", "in transit"} {
		e := ev(fmt.Sprintf("evt_%d", i), "order.status", "cus_1", "ord_1", map[string]any{"status": s})
		e.OccurredAt = start.Add(time.Duration(i) * time.Minute)
		events[i] = g.post(t, e)
	}
	g.clock.Advance(3 * time.Minute)
	for _, i := range []int{0, 2, 1} { // "shipped" is routed last
		if err := g.w.HandleRoute(g.ctx, events[i]); err != nil {
			t.Fatal(err)
		}
	}
	id := engine.InterventionID("cus_1", "evt_0", "status", "update")
	if iv := g.iv(t, "cus_1", id); iv.EventID != "evt_2" {
		t.Errorf("intervention carries %s, want evt_2, the newest", iv.EventID)
	}
	if n := len(g.entries(t, "cus_1", id, "debounced")); n != 2 {
		t.Errorf("%d debounced entries, want 2", n)
	}
	g.clock.Set(start.Add(15 * time.Minute))
	g.run(t, "cus_1", id)
	if msgs := g.sms.messages(); len(msgs) != 1 || msgs[0].Text != "Bestelling ord_1: in transit" {
		t.Errorf("messages %+v, want one with the newest status", msgs)
	}
}

// --- flow versions ---

// copyDir copies a flow folder (files and templates/) to a new temporary one.
func copyDir(t *testing.T, from string) string {
	t.Helper()
	to := t.TempDir()
	if err := os.CopyFS(to, os.DirFS(from)); err != nil {
		t.Fatal(err)
	}
	return to
}

func (b *bundle) reload(t *testing.T, dir string) *engine.Catalog {
	t.Helper()
	cat, err := engine.Load(dir)
	if err != nil {
		t.Fatalf("load %s: %v", dir, err)
	}
	b.w.SetCatalog(cat)
	return cat
}

func TestFlowVersions(t *testing.T) {
	t.Parallel()
	g := setupGuards(t)
	dir := copyDir(t, "testdata/guards")
	a := g.reload(t, dir).Flows.Get("plan")
	for _, cus := range []string{"cus_1", "cus_3"} {
		g.route(t, ev("evt_1", "plan.changed", cus, "", nil))
	}
	confirm := engine.InterventionID("cus_1", "evt_1", "plan", "confirm")
	follow := engine.InterventionID("cus_1", "evt_1", "plan", "follow-up")
	if iv := g.iv(t, "cus_1", confirm); iv.Version != a.Version {
		t.Fatalf("run pinned to %q, want %q", iv.Version, a.Version)
	}
	before := g.tasks(t)

	// Version B confirms by email and has no follow-up.
	if err := os.WriteFile(filepath.Join(dir, "plan.yaml"), []byte(`flow: plan
trigger:
  event: plan.changed
steps:
  - id: confirm
    after: 1d
    channel: email
    template: note
`), 0o644); err != nil {
		t.Fatal(err)
	}
	bv := g.reload(t, dir).Flows.Get("plan")
	if bv.Version == a.Version {
		t.Fatal("changed flow kept its version")
	}
	after := g.tasks(t)
	if len(after) != len(before) {
		t.Errorf("%d step tasks after the reload, %d before", len(after), len(before))
	}
	for id, ti := range before {
		if a := after[id]; a == nil || !a.NextProcessAt.Equal(ti.NextProcessAt) {
			t.Errorf("task %s lost or moved by the reload", id)
		}
	}
	g.route(t, ev("evt_1", "plan.changed", "cus_2", "", nil))
	if iv := g.iv(t, "cus_2", engine.InterventionID("cus_2", "evt_1", "plan", "confirm")); iv.Version != bv.Version {
		t.Errorf("new run pinned to %q, want the new version %q", iv.Version, bv.Version)
	}
	if _, err := g.store.Intervention(g.ctx, "cus_2", engine.InterventionID("cus_2", "evt_1", "plan", "follow-up")); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("new run has the removed step: %v", err)
	}

	g.clock.Advance(24 * time.Hour)
	g.run(t, "cus_1", confirm)
	g.run(t, "cus_2", engine.InterventionID("cus_2", "evt_1", "plan", "confirm"))
	if iv := g.iv(t, "cus_1", confirm); iv.State != store.Sent || iv.Channel != channels.SMS {
		t.Errorf("old run's confirm: %s via %s, want sent via sms as in its version", iv.State, iv.Channel)
	}
	if e := one(t, g.entries(t, "cus_1", confirm, store.Sent), "sent"); e.Version != a.Version || e.Channel != channels.SMS {
		t.Errorf("sent entry %+v, want version %s via sms", e, a.Version)
	}
	if iv := g.iv(t, "cus_2", engine.InterventionID("cus_2", "evt_1", "plan", "confirm")); iv.State != store.Sent || iv.Channel != channels.Email {
		t.Errorf("new run's confirm: %s via %s, want sent via email", iv.State, iv.Channel)
	}

	g.clock.Advance(24 * time.Hour)
	g.run(t, "cus_1", follow)
	e := one(t, g.entries(t, "cus_1", follow, store.Skipped), "removed step")
	if e.Cause != "step_removed" || !strings.Contains(e.Reason, "follow-up") {
		t.Errorf("skipped entry %+v, want cause step_removed", e)
	}

	// Without the flow, what is left of it is skipped.
	if err := os.Remove(filepath.Join(dir, "plan.yaml")); err != nil {
		t.Fatal(err)
	}
	g.reload(t, dir)
	id := engine.InterventionID("cus_3", "evt_1", "plan", "confirm")
	g.run(t, "cus_3", id)
	e = one(t, g.entries(t, "cus_3", id, store.Skipped), "removed flow")
	if e.Cause != "flow_removed" || !strings.Contains(e.Reason, "plan") {
		t.Errorf("skipped entry %+v, want cause flow_removed", e)
	}
	if n := len(g.sms.messages()) + len(g.email.messages()); n != 2 {
		t.Errorf("%d messages, want the two confirms", n)
	}
}

// --- explanations ---

func TestTimelineExplainsScheduling(t *testing.T) {
	t.Parallel()
	g := setupGuards(t)
	g.route(t, ev("evt_1", "invoice.created", "cus_1", "inv_1", nil))
	id := engine.InterventionID("cus_1", "evt_1", "invoice", "explain")
	e := one(t, g.entries(t, "cus_1", id, store.Scheduled), "scheduled")
	due := start.Add(time.Hour)
	if e.Due == nil || !e.Due.Equal(due) || e.Cause != "after" || !strings.Contains(e.Reason, "after 1h") ||
		e.Details["due_local"] != due.In(ams).Format(time.RFC3339) || e.Details["timezone"] != "Europe/Amsterdam" ||
		e.Flow != "invoice" || e.Step != "explain" || e.Version == "" || e.Run != engine.RunID("cus_1", "evt_1", "invoice") {
		t.Errorf("scheduled entry %+v, want due %s after 1h with its local time", e, utc(due))
	}

	// An event that arrives days late: the explainer is too late at once.
	old := ev("evt_2", "invoice.created", "cus_1", "inv_2", nil)
	old.OccurredAt = start.Add(-72 * time.Hour)
	g.route(t, old)
	late := engine.InterventionID("cus_1", "evt_2", "invoice", "explain")
	if e := one(t, g.entries(t, "cus_1", late, store.Skipped), "too late"); e.Cause != "too_late" || !strings.Contains(e.Reason, "too late") {
		t.Errorf("skipped entry %+v, want cause too_late", e)
	}
	if _, ok := g.tasks(t)[late]; ok {
		t.Errorf("a step too late to run was queued")
	}

	// A step whose task comes more than its late limit after it was due.
	g.clock.Advance(26 * time.Hour)
	g.run(t, "cus_1", id)
	e = one(t, g.entries(t, "cus_1", id, store.Skipped), "too late at send time")
	if e.Cause != "too_late" || e.Details["planned"] != utc(due) || e.Details["deadline"] != utc(due.Add(24*time.Hour)) {
		t.Errorf("skipped entry %+v, want cause too_late with planned and deadline", e)
	}
}

// --- two workers ---

// serveWith runs an asynq server for w until the test ends.
func serveWith(t *testing.T, rdb *redis.Client, w *Worker, shards int) {
	t.Helper()
	srv := asynq.NewServerFromRedisClient(rdb, asynq.Config{
		Concurrency:              8,
		Queues:                   Queues(shards),
		RetryDelayFunc:           func(int, error, *asynq.Task) time.Duration { return 10 * time.Millisecond },
		DelayedTaskCheckInterval: 20 * time.Millisecond,
		TaskCheckInterval:        20 * time.Millisecond,
		ShutdownTimeout:          time.Second,
		LogLevel:                 asynq.FatalLevel,
	})
	if err := srv.Start(w.Mux()); err != nil {
		t.Fatalf("start asynq server: %v", err)
	}
	t.Cleanup(srv.Shutdown)
}

// TestTwoServers routes and sends 200 interventions on two asynq servers
// with a worker each on the same Redis: each is sent exactly once.
func TestTwoServers(t *testing.T) {
	t.Parallel()
	// A Thursday morning in the past, so asynq runs every step at once and
	// the guards see office hours.
	g := setupGuards(t)
	g.clock.Set(time.Date(2024, 11, 21, 10, 0, 0, 0, ams))
	sms2 := &fake{name: channels.SMS}
	o := g.opts
	o.Channels = map[string]channels.Channel{channels.SMS: sms2.channel()}
	other := New(o, g.w.Catalog())
	const n = 200
	ids := make([]string, n)
	for i := range n {
		cus := fmt.Sprintf("cus_%03d", i)
		g.enqueue(t, ev("evt_1", "notice.due", cus, "", nil))
		ids[i] = engine.InterventionID(cus, "evt_1", "notice", "now")
	}
	serveWith(t, g.rdb, g.w, g.opts.Shards)
	serveWith(t, g.rdb, other, g.opts.Shards)
	for i, id := range ids {
		if iv := g.await(t, fmt.Sprintf("cus_%03d", i), id); iv.State != store.Sent {
			t.Errorf("%s: %s (%s), want sent", id, iv.State, iv.Reason)
		}
	}
	count := map[string]int{}
	for _, f := range []*fake{g.sms, sms2} {
		for _, m := range f.messages() {
			count[m.ID]++
		}
	}
	for _, id := range ids {
		if count[id] != 1 {
			t.Errorf("%s sent %d times, want once", id, count[id])
		}
	}
	if len(count) != n {
		t.Errorf("%d interventions sent, want %d", len(count), n)
	}
	t.Logf("worker 1 sent %d, worker 2 sent %d", len(g.sms.messages()), len(sms2.messages()))
}

// --- a retried route after a deferral ---

// TestRetriedRouteKeepsDeferredTask retries the route of an event whose
// step was already deferred: the retry queues nothing that would run the
// step before its deferred time.
func TestRetriedRouteKeepsDeferredTask(t *testing.T) {
	t.Parallel()
	g := setupGuards(t)
	sat := time.Date(2030, 11, 23, 22, 0, 0, 0, ams)
	g.clock.Set(sat)
	task := g.post(t, ev("evt_1", "notice.due", "cus_1", "", nil))
	if err := g.w.HandleRoute(g.ctx, task); err != nil {
		t.Fatal(err)
	}
	id := engine.InterventionID("cus_1", "evt_1", "notice", "now")
	g.run(t, "cus_1", id)
	// asynq removes the task that ran.
	if err := g.queue().Drop(StepQueue("cus_1", 4), "cus_1", id); err != nil {
		t.Fatal(err)
	}
	g.clock.Advance(time.Minute)
	if err := g.w.HandleRoute(g.ctx, task); err != nil {
		t.Fatal(err)
	}
	monday := time.Date(2030, 11, 25, 8, 0, 0, 0, ams)
	tasks := g.tasks(t)
	var ids []string
	for tid, ti := range tasks {
		ids = append(ids, tid)
		if ti.NextProcessAt.Before(monday) {
			t.Errorf("task %s runs at %s, before the deferred time %s", tid, ti.NextProcessAt.In(ams), monday)
		}
	}
	slices.Sort(ids)
	if !slices.Equal(ids, []string{id + "-d1"}) {
		t.Errorf("tasks %v, want only the deferred one", ids)
	}
}
