package engine

import (
	"context"
	"encoding/json"
	"log/slog"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aheadhq/ahead/channels"
	"github.com/aheadhq/ahead/flows"
	"github.com/aheadhq/ahead/internal/clock"
	"github.com/aheadhq/ahead/internal/metrics"
	"github.com/aheadhq/ahead/internal/store"
	"github.com/aheadhq/ahead/templates"
)

// Catalog is one loaded flow folder: its flows and their templates.
type Catalog struct {
	Dir       string
	Flows     *flows.Set
	Templates *templates.Set
	// Content holds the approved WhatsApp templates (*.content.yaml).
	Content *templates.ContentSet
	// horizon is the longest a step may come due after its event, with
	// its window, debounce and deadline.
	horizon time.Duration
}

// measure fills in what the catalog's flows ask of routing.
func (c *Catalog) measure() *Catalog {
	for _, f := range c.Flows.Flows() {
		for _, s := range f.Steps {
			d := time.Duration(s.AfterDays)*24*time.Hour + s.AfterClock + s.Debounce +
				24*time.Hour + 7*24*time.Hour + max(s.Deadline, f.StepLateLimit(s))
			c.horizon = max(c.horizon, d)
		}
	}
	return c
}

// Load reads and validates a flow folder: DIR/*.yaml and DIR/templates/.
func Load(dir string) (*Catalog, error) {
	tdir := filepath.Join(dir, "templates")
	tpl, err := templates.Load(tdir)
	if err != nil {
		return nil, err
	}
	content, err := templates.LoadContent(tdir)
	if err != nil {
		return nil, err
	}
	set, err := flows.LoadDir(dir, checker{tpl, content})
	if err != nil {
		return nil, err
	}
	return (&Catalog{Dir: dir, Flows: set, Templates: tpl, Content: content}).measure(), nil
}

// checker checks a step's template: a text variant per channel, and for
// WhatsApp the content variants' fields when there are any.
type checker struct {
	tpl     *templates.Set
	content *templates.ContentSet
}

func (c checker) Check(name, channel string) error {
	if channel == "whatsapp" && c.content.Has(name) {
		// An approved template alone will do; a text variant is optional.
		if err := c.content.Check(name); err != nil {
			return err
		}
		if !c.tpl.Has(name, channel) {
			return nil
		}
	}
	return c.tpl.Check(name, channel)
}

// Options configure a Worker.
type Options struct {
	Store *store.Store
	// Queue holds the tasks that route events and run steps.
	Queue    Queue
	Channels map[string]channels.Channel
	Clock    clock.Clock
	Log      *slog.Logger
	// Customer defaults when the profile says nothing.
	Timezone, Locale, Formality string
	// PublicURL and SigningKey build one-click unsubscribe links.
	PublicURL  string
	SigningKey []byte
	// LateLimit is the late limit of flows and steps that set none
	// (defaults.late_limit); 0 means flows.DefaultLateLimit.
	LateLimit time.Duration
	// EventTTL is how long an event is kept after its last step is due (default 30 days).
	EventTTL time.Duration
	// TombstoneTTL is how long an erased customer stays suppressed:
	// their events are acknowledged and dropped, links and webhooks create
	// nothing (default DefaultTombstoneTTL). The tombstone holds a hash of
	// the customer id keyed with SigningKey, never the id.
	TombstoneTTL time.Duration
	// Forget withdraws a customer's callbacks from the systems they were
	// handed to (TaskRouter) when the customer is erased; nil when none.
	Forget func(ctx context.Context, customer string) error
}

// Engine decides what happens to an event and to a step: it takes
// events in, plans their runs, runs steps through the guards and the
// channels, and cancels and erases.
type Engine struct {
	o    Options
	cat  atomic.Pointer[Catalog]
	kept sync.Map // flow versions whose source is stored
	// versions caches earlier flow versions that runs are pinned to, by
	// "name@version".
	versions sync.Map
}

// New returns an engine serving catalog.
func New(o Options, catalog *Catalog) *Engine {
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Clock == nil {
		o.Clock = clock.Real{}
	}
	if o.TombstoneTTL <= 0 {
		o.TombstoneTTL = DefaultTombstoneTTL
	}
	if o.EventTTL <= 0 {
		o.EventTTL = 30 * 24 * time.Hour
	}
	w := &Engine{o: o}
	w.cat.Store(catalog)
	return w
}

// EventTTL is how long an accepted event is kept: long enough for every
// step of the flows in force to come due and render its data.
func (w *Engine) EventTTL() time.Duration {
	return w.Catalog().horizon + w.o.LateLimit + w.o.EventTTL
}

// Catalog returns the flows in force.
func (w *Engine) Catalog() *Catalog { return w.cat.Load() }

// SetCatalog puts a new set of flows in force. Work already scheduled is kept.
func (w *Engine) SetCatalog(c *Catalog) { w.cat.Store(c) }

// scale is how many virtual seconds pass per real second on the worker's clock.
func (w *Engine) scale() float64 {
	if s, ok := w.o.Clock.(interface{ Factor() float64 }); ok && s.Factor() > 0 {
		return s.Factor()
	}
	return 1
}

// Location returns the zone of a customer's profile, else the default, else UTC.
func (w *Engine) Location(p store.Profile) *time.Location {
	return w.location(p["timezone"])
}

// location returns the zone tz, else the default zone, else UTC. A zone
// the system does not know (a profile stored before its tz database
// changed) counts as missing.
func (w *Engine) location(tz string) *time.Location {
	if loc, err := flows.Location(tz, w.o.Timezone); err == nil {
		return loc
	}
	if loc, err := flows.Location(w.o.Timezone, ""); err == nil {
		return loc
	}
	return time.UTC
}

// CancelPending cancels the customer's pending interventions ids and
// removes their scheduled tasks. It returns the ids it cancelled.
func (w *Engine) CancelPending(ctx context.Context, cus string, ids []string, pending map[string]store.Pending, entry store.Entry) ([]string, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	done, err := w.o.Store.Cancel(ctx, cus, ids, pending, entry)
	if err != nil {
		return nil, err
	}
	metrics.Interventions.WithLabelValues(store.Cancelled, "").Add(float64(len(done)))
	byFlow := map[string]int{}
	for _, id := range done {
		byFlow[pending[id].Flow]++
	}
	for flow, n := range byFlow {
		metrics.CountOutcomes(store.Cancelled, flow, "", cancelReason(entry.Cause), n)
	}
	for _, id := range done {
		task := pending[id].TaskID
		if task == "" {
			task = id
		}
		w.DropTask(pending[id].TaskQueue, cus, task)
	}
	return done, nil
}

// DropTask removes a step task of customer, whatever its state; one that
// is gone already is fine. A task that is running cannot be removed: it
// finds its intervention cancelled or erased and ends.
func (w *Engine) DropTask(queue, customer, id string) {
	if queue == "" || id == "" {
		return
	}
	if err := w.o.Queue.Drop(queue, customer, id); err != nil {
		w.o.Log.Warn("remove task", "task", id, "err", err)
	}
}

// Ping reports whether the store answers.
func (w *Engine) Ping(ctx context.Context) error { return w.o.Store.Ping(ctx) }

// Outbox returns up to limit messages the outbox channel kept, newest first.
func (w *Engine) Outbox(ctx context.Context, limit int) ([]json.RawMessage, error) {
	return w.o.Store.Outbox(ctx, limit)
}
