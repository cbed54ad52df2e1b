package tasks

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/aheadhq/ahead/channels"
	"github.com/aheadhq/ahead/engine"
	"github.com/aheadhq/ahead/flows"
	"github.com/aheadhq/ahead/internal/clock"
	"github.com/aheadhq/ahead/internal/redistest"
	"github.com/aheadhq/ahead/internal/store"
)

func TestMain(m *testing.M) { os.Exit(redistest.Main(m)) }

// start is a Thursday; 09:12 UTC is 10:12 in Amsterdam.
var start = time.Date(2030, 11, 21, 9, 12, 0, 0, time.UTC)

// fake is a channel that records what it sends and fails when told to.
type fake struct {
	name string

	mu    sync.Mutex
	calls int
	sent  []*channels.Message
	fail  func(m *channels.Message, call int) error
	// during runs inside Send, before the outcome is decided.
	during func(ctx context.Context)
}

func (f *fake) channel() channels.Channel {
	return channels.Func{ChannelName: f.name, SendFunc: f.send}
}

func (f *fake) send(ctx context.Context, m *channels.Message) (channels.Receipt, error) {
	f.mu.Lock()
	f.calls++
	n, fail, during := f.calls, f.fail, f.during
	f.mu.Unlock()
	if during != nil {
		during(ctx)
	}
	if fail != nil {
		if err := fail(m, n); err != nil {
			return channels.Receipt{}, err
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sent = append(f.sent, m)
	return channels.Receipt{ProviderID: f.name + "-" + m.ID}, nil
}

// failWith makes every send fail with err.
func (f *fake) failWith(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail = func(*channels.Message, int) error { return err }
}

// messages returns what was sent so far.
func (f *fake) messages() []*channels.Message {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.sent)
}

// tries returns how often Send was called.
func (f *fake) tries() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

// bundle is one test's worker on a Redis database of its own.
type bundle struct {
	ctx    context.Context
	rdb    *redis.Client
	store  *store.Store
	client *asynq.Client
	insp   *asynq.Inspector
	clock  *clock.Fake
	w      *Worker
	opts   Options
	sms    *fake
	email  *fake
}

// setup returns a worker serving testdata/flows with fake sms and email
// channels, a fake clock at start, default zone Europe/Amsterdam, locale nl
// and formality informal. change, when given, edits the options first.
func setup(t *testing.T, change ...func(*Options)) *bundle {
	t.Helper()
	rdb := redistest.New(t)
	cat, err := engine.Load("testdata/flows")
	if err != nil {
		t.Fatalf("load flows: %v", err)
	}
	b := &bundle{
		ctx:    context.Background(),
		rdb:    rdb,
		store:  store.New(rdb),
		client: asynq.NewClientFromRedisClient(rdb),
		insp:   asynq.NewInspectorFromRedisClient(rdb),
		clock:  clock.NewFake(start),
		sms:    &fake{name: channels.SMS},
		email:  &fake{name: channels.Email},
	}
	b.opts = Options{Options: engine.Options{
		Store:    b.store,
		Channels: map[string]channels.Channel{channels.SMS: b.sms.channel(), channels.Email: b.email.channel()},
		Clock:    b.clock, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Timezone: "Europe/Amsterdam", Locale: "nl", Formality: "informal",
	}, Redis: rdb, Shards: 4}
	for _, c := range change {
		c(&b.opts)
	}
	b.w = New(b.opts, cat)
	return b
}

// post stores ev and its customer block as the API does and returns its
// route task.
func (b *bundle) post(t *testing.T, ev *flows.Event) *asynq.Task {
	t.Helper()
	if ev.OccurredAt.IsZero() {
		ev.OccurredAt = b.clock.Now()
	}
	raw, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	got, err := b.store.Accept(b.ctx, []store.EventRef{{Customer: ev.CustomerID, ID: ev.ID, JSON: raw}}, 90*24*time.Hour)
	if err != nil {
		t.Fatalf("accept event: %v", err)
	}
	if got[0] != store.AcceptNew {
		t.Fatalf("event %s posted twice", ev.ID)
	}
	if ev.Customer != nil {
		if err := b.store.UpsertProfile(b.ctx, ev.CustomerID, engine.ProfileFields(ev.Customer)); err != nil {
			t.Fatalf("store profile: %v", err)
		}
	}
	task, _ := NewRouteTask(ev.CustomerID, ev.ID)
	return task
}

// route posts ev and routes it.
func (b *bundle) route(t *testing.T, ev *flows.Event) {
	t.Helper()
	if err := b.w.HandleRoute(b.ctx, b.post(t, ev)); err != nil {
		t.Fatalf("route %s: %v", ev.ID, err)
	}
}

// step runs the step task of intervention id.
func (b *bundle) step(cus, id string) error {
	task, _ := NewStepTask(cus, id, id)
	return b.w.HandleStep(b.ctx, task)
}

// iv loads an intervention.
func (b *bundle) iv(t *testing.T, cus, id string) *store.Intervention {
	t.Helper()
	iv, err := b.store.Intervention(b.ctx, cus, id)
	if err != nil {
		t.Fatalf("load intervention: %v", err)
	}
	return iv
}

// journal returns the customer's journal, oldest first.
func (b *bundle) journal(t *testing.T, cus string) []store.Entry {
	t.Helper()
	es, err := b.store.Timeline(b.ctx, cus, 0)
	if err != nil {
		t.Fatalf("load journal: %v", err)
	}
	slices.Reverse(es)
	return es
}

// reroute runs the route task of event evID again, as a retry would, and
// returns what it journaled.
func (b *bundle) reroute(t *testing.T, cus, evID string) []store.Entry {
	t.Helper()
	n := len(b.journal(t, cus))
	task, _ := NewRouteTask(cus, evID)
	if err := b.w.HandleRoute(b.ctx, task); err != nil {
		t.Fatalf("route %s again: %v", evID, err)
	}
	return b.journal(t, cus)[n:]
}

// entries returns the journal entries of intervention id in state.
func (b *bundle) entries(t *testing.T, cus, id, state string) []store.Entry {
	t.Helper()
	var out []store.Entry
	for _, e := range b.journal(t, cus) {
		if e.Intervention == id && e.State == state {
			out = append(out, e)
		}
	}
	return out
}

// tasks returns the step tasks waiting in any step queue (in its due
// index, pending, scheduled or retry), by task id. A task in a due index
// is listed as scheduled at its due time, with the payload its promotion
// would give it.
func (b *bundle) tasks(t *testing.T) map[string]*asynq.TaskInfo {
	t.Helper()
	out := map[string]*asynq.TaskInfo{}
	add := func(ti *asynq.TaskInfo) {
		if _, dup := out[ti.ID]; dup {
			t.Errorf("task %s listed twice", ti.ID)
		}
		out[ti.ID] = ti
	}
	for _, q := range StepQueues(b.opts.Shards) {
		waiting, err := b.queue().Waiting(b.ctx, q, 0, 10000)
		if err != nil {
			t.Fatal(err)
		}
		for _, ti := range waiting {
			add(ti)
		}
		for _, list := range []func(string, ...asynq.ListOption) ([]*asynq.TaskInfo, error){
			b.insp.ListPendingTasks, b.insp.ListScheduledTasks, b.insp.ListRetryTasks,
		} {
			infos, err := list(q, asynq.PageSize(1000))
			if errors.Is(err, asynq.ErrQueueNotFound) {
				break
			}
			if err != nil {
				t.Fatalf("list tasks of %s: %v", q, err)
			}
			for _, ti := range infos {
				add(ti)
			}
		}
	}
	return out
}

// queue returns the task queue of the bundle's worker.
func (b *bundle) queue() *Queue { return NewQueue(b.rdb, b.clock, b.opts.Shards, 0) }

// task returns step task id of customer in queue (see Queue.Task).
func (b *bundle) task(queue, customer, id string) (*asynq.TaskInfo, error) {
	return b.queue().Task(b.ctx, queue, customer, id)
}

// subscriber is an event that starts the welcome flow for cus.
func subscriber(id, cus, subject string, c *flows.Customer) *flows.Event {
	return &flows.Event{
		ID: id, Type: "subscription.created", CustomerID: cus, Subject: subject,
		Customer: c, Data: map[string]any{"plan": "family"},
	}
}

// anna is a customer with a phone and an email address in Amsterdam.
func anna() *flows.Customer {
	return &flows.Customer{
		Name: "Anna", Email: "anna@example.nl", Phone: "+31612345678",
		Timezone: "Europe/Amsterdam", Locale: "nl", Formality: "informal",
	}
}
