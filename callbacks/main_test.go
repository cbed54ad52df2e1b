package callbacks_test

import (
	"context"
	"io"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/aheadhq/ahead/callbacks"
	"github.com/aheadhq/ahead/flows"
	"github.com/aheadhq/ahead/internal/clock"
	"github.com/aheadhq/ahead/internal/redistest"
	"github.com/aheadhq/ahead/internal/store"
)

func TestMain(m *testing.M) { os.Exit(redistest.Main(m)) }

var ams = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		panic(err)
	}
	return loc
}()

// local returns the Amsterdam wall time s ("2006-01-02 15:04").
func local(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.ParseInLocation("2006-01-02 15:04", s, ams)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// tuesday10 is a Tuesday, 10:00 in Amsterdam: the retention queue is open.
var tuesday10 = time.Date(2026, 11, 24, 10, 0, 0, 0, ams)

var testFlows = sync.OnceValues(func() (*flows.Set, error) { return flows.LoadDir("testdata/flows", nil) })

// bundle is what a test works with: Queues on a Redis database of its own,
// on a fake clock, with the events it took in and a fake exporter.
type bundle struct {
	t      *testing.T
	ctx    context.Context
	rdb    *redis.Client
	st     *store.Store
	clk    *clock.Fake
	q      *callbacks.Queues
	emit   *emitted
	export *fakeExport
}

func setup(t *testing.T, now time.Time) *bundle {
	t.Helper()
	set, err := testFlows()
	if err != nil {
		t.Fatal(err)
	}
	rdb := redistest.New(t)
	b := &bundle{
		t: t, ctx: context.Background(), rdb: rdb, st: store.New(rdb), clk: clock.NewFake(now),
		emit: &emitted{}, export: &fakeExport{},
	}
	b.q = callbacks.NewQueues(callbacks.Options{
		Store: b.st, Clock: b.clk, Flows: func() *flows.Set { return set },
		Emit: b.emit.Emit, Export: b.export, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	return b
}

// add queues a callback for customer cus (whose profile is in zone tz)
// in queue with the window of the given step of flow "welcome".
func (b *bundle) add(id, queue, step, cus, tz string, due time.Time, priority int) *store.Callback {
	b.t.Helper()
	if err := b.st.UpsertProfile(b.ctx, cus, store.Profile{"name": "Anna", "phone": "+31612345678", "timezone": tz}); err != nil {
		b.t.Fatal(err)
	}
	cb := &store.Callback{
		ID: id, Queue: queue, Customer: cus, Name: "Anna", Phone: "+31612345678", TalkingPoint: "Ask how it goes.",
		Flow: "welcome", Step: step, Intervention: id, Due: due.UTC(), Priority: priority, Created: due.UTC(), Timezone: tz,
	}
	set, _ := testFlows()
	if st := set.Get("welcome").Step(step); st != nil && st.Window != nil {
		cb.Window = st.Window.Spec
	}
	if cfg, ok := set.Queue(queue); ok && cfg.Deadline > 0 {
		cb.Deadline = cb.Due.Add(cfg.Deadline)
	}
	if _, err := b.st.AddCallback(b.ctx, cb); err != nil {
		b.t.Fatal(err)
	}
	return cb
}

func (b *bundle) claim(queue, agent string) *store.Callback {
	b.t.Helper()
	cb, err := b.q.Claim(b.ctx, queue, agent, 0)
	if err != nil {
		b.t.Fatalf("claim %s: %v", queue, err)
	}
	return cb
}

func (b *bundle) get(id string) *store.Callback {
	b.t.Helper()
	cb, err := b.st.FindCallback(b.ctx, id)
	if err != nil {
		b.t.Fatal(err)
	}
	return cb
}

// journal returns the customer's callback entries, oldest first.
func (b *bundle) journal(cus string) []store.Entry {
	b.t.Helper()
	entries, err := b.st.Timeline(b.ctx, cus, 0)
	if err != nil {
		b.t.Fatal(err)
	}
	var out []store.Entry
	for i := len(entries) - 1; i >= 0; i-- {
		if entries[i].Kind == store.KindCallback {
			out = append(out, entries[i])
		}
	}
	return out
}

// emitted records the events Queues took in.
type emitted struct {
	mu     sync.Mutex
	events []*flows.Event
}

func (e *emitted) Emit(_ context.Context, ev *flows.Event) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if fe := flows.ValidateEvent(ev); fe != nil {
		panic(fe)
	}
	e.events = append(e.events, ev)
	return nil
}

func (e *emitted) list() []*flows.Event {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]*flows.Event(nil), e.events...)
}

// fakeExport records offers and withdrawals.
type fakeExport struct {
	mu        sync.Mutex
	n         int
	offers    map[string]string        // sid → callback id
	timeouts  map[string]time.Duration // sid → timeout
	withdrawn []string
}

func (f *fakeExport) Export(_ context.Context, q *flows.Queue, cb *store.Callback, timeout time.Duration) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if q.TaskRouter == nil {
		panic("export to a queue without taskrouter")
	}
	f.n++
	sid := "WT" + cb.ID
	if f.offers == nil {
		f.offers, f.timeouts = map[string]string{}, map[string]time.Duration{}
	}
	f.offers[sid], f.timeouts[sid] = cb.ID, timeout
	return sid, nil
}

func (f *fakeExport) Withdraw(_ context.Context, _ *flows.Queue, sid string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.withdrawn = append(f.withdrawn, sid)
	return nil
}
