package callbacks

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/aheadhq/ahead/channels"
	"github.com/aheadhq/ahead/flows"
	"github.com/aheadhq/ahead/internal/clock"
	"github.com/aheadhq/ahead/internal/metrics"
	"github.com/aheadhq/ahead/internal/store"
)

// Errors of Claim and Record.
var (
	// ErrUnknownQueue: queues.yaml does not define the queue.
	ErrUnknownQueue = errors.New("unknown callback queue")
	// ErrNotHolder: the callback is not claimed by the agent (any more).
	ErrNotHolder = errors.New("callback is not claimed by this agent")
)

// Options configure Queues.
type Options struct {
	Store *store.Store
	Clock clock.Clock
	// Flows returns the flow folder in force: its queues.yaml and the
	// steps' windows. Nil, or a nil result, means every queue is
	// flows.DefaultQueue and no step has a window.
	Flows func() *flows.Set
	// Location returns a customer's time zone from the stored profile;
	// nil uses the profile's timezone, else UTC.
	Location func(store.Profile) *time.Location
	// Emit takes in an event for a customer, as POST /v1/events would:
	// the queue's on_exhausted event. Nil takes in none.
	Emit func(ctx context.Context, ev *flows.Event) error
	// Contacted counts a call outcome in which the customer asked to be
	// called back (source flows.SourceCallbackRequested) toward the goals
	// that include it; id identifies the outcome. Nil counts none.
	Contacted func(ctx context.Context, customer, source, id string, at time.Time) error
	// Export offers callable callbacks of queues with a taskrouter
	// section to TaskRouter; nil offers none.
	Export Exporter
	Log    *slog.Logger
	// Retention is how long ended callbacks stay listed (default 30 days).
	Retention time.Duration
}

// Queues hands callbacks to agents and records what came of the calls.
// It is safe for concurrent use, also from several processes: every
// change is a checked write on the queue's Redis slot.
type Queues struct {
	o     Options
	zones sync.Map // tz name → *time.Location
	wins  sync.Map // window spec → *flows.Window
}

// NewQueues returns Queues for o.
func NewQueues(o Options) *Queues {
	if o.Clock == nil {
		o.Clock = clock.Real{}
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Retention <= 0 {
		o.Retention = 30 * 24 * time.Hour
	}
	return &Queues{o: o}
}

// Channel returns the callback channel that queues into q.
func (q *Queues) Channel() *Channel { return &Channel{q: q} }

func (q *Queues) flows() *flows.Set {
	if q.o.Flows == nil {
		return nil
	}
	return q.o.Flows()
}

// Config returns the rules of queue name and whether the flow folder
// defines it (always true without queues.yaml).
func (q *Queues) Config(name string) (*flows.Queue, bool) { return q.queue(name) }

func (q *Queues) queue(name string) (*flows.Queue, bool) {
	return q.flows().Queue(name)
}

// rules returns the rules of a queue that holds callbacks: its own, or
// the defaults when queues.yaml no longer defines it.
func (q *Queues) rules(name string) *flows.Queue {
	if cfg, ok := q.queue(name); ok {
		return cfg
	}
	return flows.DefaultQueue(name)
}

// Names lists the queues agents can work, by name: those queues.yaml
// defines, and those that hold callbacks.
func (q *Queues) Names(ctx context.Context) ([]string, error) {
	used, err := q.o.Store.Queues(ctx)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var out []string
	for _, c := range q.flows().Queues() {
		seen[c.Name] = true
		out = append(out, c.Name)
	}
	for _, n := range used {
		if !seen[n] {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out, nil
}

func (q *Queues) location(p store.Profile) *time.Location {
	if q.o.Location != nil {
		if loc := q.o.Location(p); loc != nil {
			return loc
		}
	}
	return q.zone(p["timezone"])
}

// zone loads a time zone by name; UTC for "" or an unknown name.
func (q *Queues) zone(name string) *time.Location {
	if name == "" {
		return time.UTC
	}
	if l, ok := q.zones.Load(name); ok {
		return l.(*time.Location)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		loc = time.UTC
	}
	q.zones.Store(name, loc)
	return loc
}

// window returns a callback's window and the customer's zone; nil when
// the callback has none.
func (q *Queues) window(cb *store.Callback) (*flows.Window, *time.Location) {
	if cb.Window == "" {
		return nil, nil
	}
	loc := q.zone(cb.Timezone)
	if w, ok := q.wins.Load(cb.Window); ok {
		return w.(*flows.Window), loc
	}
	w, err := flows.ParseWindow(cb.Window)
	if err != nil {
		q.o.Log.Warn("callback has a window that does not parse; ignoring it", "callback", cb.ID, "window", cb.Window, "err", err)
		return nil, nil
	}
	q.wins.Store(cb.Window, w)
	return w, loc
}

// free reports whether nobody works cb at now: it is queued and due, or
// its lease ran out; and its deadline has not passed.
func free(cb *store.Callback, now time.Time) bool {
	switch cb.State {
	case store.CallbackQueued:
		if cb.Due.After(now) {
			return false
		}
	case store.CallbackClaimed:
		if cb.LeaseUntil.After(now) {
			return false
		}
	default:
		return false
	}
	return cb.Deadline.IsZero() || now.Before(cb.Deadline)
}

// Callable reports whether an agent may call cb at now: nobody works it,
// it is due and before its deadline, its queue is open and the step's
// window is open in the customer's zone.
func (q *Queues) Callable(cb *store.Callback, now time.Time) bool {
	return free(cb, now) && q.open(cb, q.rules(cb.Queue), now)
}

// open reports whether both the queue and the customer's window are open.
func (q *Queues) open(cb *store.Callback, cfg *flows.Queue, now time.Time) bool {
	if !cfg.Open(now) {
		return false
	}
	w, loc := q.window(cb)
	return w == nil || w.Open(now, loc)
}

// nextOpen returns the first instant at or after t at which both the
// queue and the customer's window are open; zero when there is none
// within a year.
func (q *Queues) nextOpen(cb *store.Callback, cfg *flows.Queue, t time.Time) time.Time {
	w, loc := q.window(cb)
	limit := t.Add(366 * 24 * time.Hour)
	for t.Before(limit) {
		n := cfg.Next(t)
		if n.IsZero() {
			return time.Time{}
		}
		if w == nil {
			return n
		}
		m := w.Next(n, loc)
		if m.Equal(n) {
			return n
		}
		t = m
	}
	return time.Time{}
}

// claimBatch is how many callbacks one claim looks at per round.
const claimBatch = 200

// Claim leases the next callable callback of queue to agent for lease
// (the queue's lease when 0) and journals it. The next is the first by
// priority, then due time, that is callable now. It returns nil when none
// is callable, ErrUnknownQueue when queues.yaml does not define queue.
// Concurrent claims never hand one callback to two agents.
func (q *Queues) Claim(ctx context.Context, queue, agent string, lease time.Duration) (*store.Callback, error) {
	cfg, ok := q.queue(queue)
	if !ok {
		return nil, fmt.Errorf("claim: %w %q", ErrUnknownQueue, queue)
	}
	if lease <= 0 {
		lease = cfg.Lease
	}
	now := q.o.Clock.Now().UTC()
	if !cfg.Open(now) {
		return nil, nil
	}
	for off := 0; off < 100*claimBatch; off += claimBatch {
		cbs, err := q.o.Store.OpenCallbacks(ctx, queue, off, claimBatch)
		if err != nil {
			return nil, err
		}
		var ids []string
		for _, cb := range cbs {
			if free(cb, now) && q.open(cb, cfg, now) {
				ids = append(ids, cb.ID)
			}
		}
		cb, err := q.o.Store.ClaimCallback(ctx, queue, ids, agent, now, now.Add(lease))
		if err != nil {
			return nil, err
		}
		if cb != nil {
			q.claimed(ctx, cb, cfg)
			return cb, nil
		}
		if len(cbs) < claimBatch {
			return nil, nil
		}
	}
	return nil, nil
}

// Take leases callback id to agent for lease, callable or not, as long as
// nobody else works it: for an outside system that assigned the call. It
// returns ErrNotHolder when somebody works it or it has ended.
func (q *Queues) Take(ctx context.Context, id, agent string, lease time.Duration) (*store.Callback, error) {
	cb, err := q.o.Store.FindCallback(ctx, id)
	if err != nil {
		return nil, err
	}
	cfg := q.rules(cb.Queue)
	if lease <= 0 {
		lease = cfg.Lease
	}
	now := q.o.Clock.Now().UTC()
	if cb.State == store.CallbackClaimed && cb.Agent == agent {
		return cb, nil
	}
	got, err := q.o.Store.ClaimCallback(ctx, cb.Queue, []string{id}, agent, now, now.Add(lease))
	if err != nil {
		return nil, err
	}
	if got == nil {
		return nil, fmt.Errorf("take callback %s: it is %s: %w", id, cb.State, ErrNotHolder)
	}
	q.journal(ctx, got, "claimed", fmt.Sprintf("claimed by %s until %s", agent, q.local(got.LeaseUntil, cfg)))
	return got, nil
}

// claimed journals a claim by one of ahead's agents. A callback that a
// TaskRouter task offered is no longer on offer there.
func (q *Queues) claimed(ctx context.Context, cb *store.Callback, cfg *flows.Queue) {
	if cb.TaskSID != "" {
		if err := q.o.Store.CloseTaskLater(ctx, cb.Queue, cb.TaskSID); err != nil {
			q.o.Log.Warn("note taskrouter task to close", "callback", cb.ID, "err", err)
		}
		cb.TaskSID = ""
		if err := q.o.Store.SaveCallback(ctx, cb); err != nil {
			q.o.Log.Warn("forget taskrouter task of claimed callback", "callback", cb.ID, "err", err)
		}
	}
	q.journal(ctx, cb, "claimed", fmt.Sprintf("claimed by %s until %s", cb.Agent, q.local(cb.LeaseUntil, cfg)))
}

// local formats t in the queue's zone for journal reasons.
func (q *Queues) local(t time.Time, cfg *flows.Queue) string {
	loc := cfg.Location
	if loc == nil {
		loc = time.UTC
	}
	return t.In(loc).Format("2006-01-02 15:04 MST")
}

// journal appends a callback entry to the customer's timeline.
func (q *Queues) journal(ctx context.Context, cb *store.Callback, state, reason string) {
	e := store.Entry{
		At: q.o.Clock.Now().UTC(), Kind: store.KindCallback, State: state, Flow: cb.Flow, Step: cb.Step,
		Intervention: cb.Intervention, Channel: channels.Callback, Queue: cb.Queue, Reason: reason,
	}
	if err := q.o.Store.Journal(ctx, cb.Customer, e); err != nil {
		q.o.Log.Error("journal callback", "callback", cb.ID, "state", state, "err", err)
	}
}

// ended counts a callback that became done.
func ended(cb *store.Callback) {
	metrics.CallbackEnded.WithLabelValues(cb.Queue, cb.Result).Inc()
	metrics.CallbackAttempts.WithLabelValues(cb.Queue).Observe(float64(cb.Attempts))
}

// Unoffer forgets the outside offer sid of callback id, which ended
// without an outcome (it timed out or was canceled there), so that the
// sweep offers the callback again while it is callable. An offer that is
// not the callback's current one changes nothing.
func (q *Queues) Unoffer(ctx context.Context, id, sid, why string) error {
	for range 3 {
		cb, err := q.o.Store.FindCallback(ctx, id)
		if err != nil {
			return err
		}
		if sid == "" || cb.TaskSID != sid {
			return nil
		}
		cb.TaskSID = ""
		err = q.o.Store.SaveCallback(ctx, cb)
		if errors.Is(err, store.ErrCallbackChanged) {
			continue
		}
		if err != nil {
			return err
		}
		q.journal(ctx, cb, "offer_ended", fmt.Sprintf("TaskRouter task %s ended without an outcome (%s)", sid, why))
		return nil
	}
	return fmt.Errorf("unoffer callback %s: %w", id, store.ErrCallbackChanged)
}

// Forget withdraws the outside offers (TaskRouter Tasks) of a customer's
// callbacks, for an erasure: call it before store.Erase. The sweep cancels
// the Tasks; what it needs for that names no customer.
func (q *Queues) Forget(ctx context.Context, cus string) error {
	cbs, err := q.o.Store.CustomerCallbacks(ctx, cus)
	if err != nil {
		return err
	}
	for _, cb := range cbs {
		if cb.TaskSID == "" {
			continue
		}
		if err := q.o.Store.CloseTaskLater(ctx, cb.Queue, cb.TaskSID); err != nil {
			return err
		}
	}
	return nil
}

// Find returns the callback id of any queue, or store.ErrNotFound.
func (q *Queues) Find(ctx context.Context, id string) (*store.Callback, error) {
	return q.o.Store.FindCallback(ctx, id)
}

// List returns up to limit callbacks of queue in state, all when limit
// is 0.
func (q *Queues) List(ctx context.Context, queue, state string, limit int) ([]*store.Callback, error) {
	return q.o.Store.Callbacks(ctx, queue, state, limit)
}

// Waiting returns up to limit callbacks of queue that wait for an agent,
// skipping the first offset.
func (q *Queues) Waiting(ctx context.Context, queue string, offset, limit int) ([]*store.Callback, error) {
	return q.o.Store.OpenCallbacks(ctx, queue, offset, limit)
}

// Customer returns what an agent sees of a callback's customer: the
// profile and the newest limit journal entries.
func (q *Queues) Customer(ctx context.Context, cus string, limit int) (store.Profile, []store.Entry, error) {
	prof, err := q.o.Store.Profile(ctx, cus)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, nil, err
	}
	entries, err := q.o.Store.Timeline(ctx, cus, limit)
	return prof, entries, err
}

// Reassign hands callback id to agent for lease, whoever works it now:
// what an admin does when a call must move to another agent. The journal
// names actor, who reassigned it. It returns ErrNotHolder for a callback
// that has ended.
func (q *Queues) Reassign(ctx context.Context, id, agent, actor string, lease time.Duration) (*store.Callback, error) {
	cb, err := q.o.Store.FindCallback(ctx, id)
	if err != nil {
		return nil, err
	}
	if cb.State == store.CallbackDone {
		return nil, fmt.Errorf("reassign callback %s: it has ended (%s): %w", id, cb.Result, ErrNotHolder)
	}
	cfg := q.rules(cb.Queue)
	if lease <= 0 {
		lease = cfg.Lease
	}
	now := q.o.Clock.Now().UTC()
	from := cb.Agent
	cb.State, cb.Agent, cb.Claimed, cb.LeaseUntil = store.CallbackClaimed, agent, now, now.Add(lease)
	if err := q.o.Store.SaveCallback(ctx, cb); err != nil {
		if errors.Is(err, store.ErrCallbackChanged) {
			return nil, fmt.Errorf("reassign callback %s: %w: %w", id, err, ErrNotHolder)
		}
		return nil, err
	}
	why := fmt.Sprintf("reassigned to %s by %s until %s", agent, actor, q.local(cb.LeaseUntil, cfg))
	if from != "" && from != agent {
		why = fmt.Sprintf("reassigned from %s to %s by %s until %s", from, agent, actor, q.local(cb.LeaseUntil, cfg))
	}
	q.journal(ctx, cb, "claimed", why)
	return cb, nil
}
