package synthetic

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/aheadhq/ahead/engine"
	"github.com/aheadhq/ahead/flows"
	"github.com/aheadhq/ahead/internal/api"
	"github.com/aheadhq/ahead/internal/clock"
	"github.com/aheadhq/ahead/internal/store"
	"github.com/aheadhq/ahead/tasks"
)

// Flow is the name of the flow the synthetic run measures.
const Flow = "synthetic-day2-call"

// Options describe a synthetic run. A zero field takes its default.
type Options struct {
	// Redis is an empty database the run may fill. Required.
	Redis redis.UniversalClient
	// Entrants is the number of customers who enter the flow (default
	// 20,000).
	Entrants int
	// Holdout is the flow's holdout, a percentage such as "10%" (default).
	Holdout string
	// ControlRate and TreatRate are the true chances that a customer of
	// the holdout, or of the treatment group, makes an inbound contact
	// within the goal window (defaults 0.25 and 0.10).
	ControlRate, TreatRate float64
	// Seed seeds the random source that draws the contacts (default 1).
	Seed uint64
	// Batch is the number of events per POST /v1/events (default 1,000).
	Batch int
	// Effect is passed to the report as ?effect= (default 0.02).
	Effect float64
	// Progress, when set, receives a line per stage.
	Progress io.Writer
}

func (o *Options) defaults() {
	if o.Entrants <= 0 {
		o.Entrants = 20000
	}
	if o.Holdout == "" {
		o.Holdout = "10%"
	}
	if o.ControlRate == 0 && o.TreatRate == 0 {
		o.ControlRate, o.TreatRate = 0.25, 0.10
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	if o.Batch <= 0 || o.Batch > api.MaxBatch {
		o.Batch = api.MaxBatch
	}
	if o.Effect == 0 {
		o.Effect = 0.02
	}
}

// Result is what a synthetic run measured.
type Result struct {
	// Report is the flow's report, as GET /v1/reports/flows/{id} answered
	// it once every goal window had closed.
	Report *engine.Report
	// Contacts are the inbound contacts drawn per arm; Entrants the
	// customers per arm.
	Contacts, Entrants map[string]int
	// Elapsed is how long the run took.
	Elapsed time.Duration
}

// start is when the synthetic customers enter: a Monday morning.
var start = time.Date(2030, 1, 7, 9, 0, 0, 0, time.UTC)

const flowYAML = `flow: %s
description: A day-2 call to new subscribers, measured against a holdout.
trigger:
  event: subscription.created
holdout: %q
goal: { event: contact.inbound, within: 14d }
steps:
  - { id: call, after: 2d, channel: outbox, template: note }
`

// Run enters o.Entrants customers into the synthetic flow through POST
// /v1/events, posts their inbound contacts as contact.inbound events,
// moves the clock past every goal window and returns the report.
func Run(ctx context.Context, o Options) (*Result, error) {
	o.defaults()
	if o.Redis == nil {
		return nil, fmt.Errorf("synthetic: Options.Redis is required")
	}
	began := time.Now()
	dir, err := os.MkdirTemp("", "ahead-synthetic-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	if err := os.MkdirAll(filepath.Join(dir, "templates"), 0o755); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "flows.yaml"), fmt.Appendf(nil, flowYAML, Flow, o.Holdout), 0o644); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "templates", "note.outbox.en.tmpl"), []byte("Hello {{.Customer.Name}}\n"), 0o644); err != nil {
		return nil, err
	}
	cat, err := engine.Load(dir)
	if err != nil {
		return nil, fmt.Errorf("synthetic flow: %w", err)
	}
	clk := clock.NewFake(start)
	log := slog.New(slog.DiscardHandler)
	w := tasks.New(tasks.Options{Options: engine.Options{
		Store: store.New(o.Redis), Clock: clk, Log: log, Timezone: "Europe/Amsterdam", Locale: "en",
	}, Redis: o.Redis, Shards: 4}, cat)
	h := api.New(api.Options{Engine: w.Engine, Clock: clk, Log: log})
	f := cat.Flows.Get(Flow)

	progress := func(format string, args ...any) {
		if o.Progress != nil {
			fmt.Fprintf(o.Progress, format+"\n", args...)
		}
	}
	sample := Draw(f, start, o)
	res := &Result{Contacts: sample.Contacts, Entrants: sample.Entrants}
	triggers, goals := sample.Triggers, sample.Goals
	day := 24 * time.Hour
	if err := post(ctx, h, triggers, o.Batch); err != nil {
		return nil, err
	}
	progress("posted %d subscription.created events", len(triggers))
	clk.Set(start.Add(14 * day))
	if err := post(ctx, h, goals, o.Batch); err != nil {
		return nil, err
	}
	progress("posted %d contact.inbound events", len(goals))
	clk.Set(start.Add(16 * day))
	rep, err := report(ctx, h, o.Effect)
	if err != nil {
		return nil, err
	}
	res.Report = rep
	res.Elapsed = time.Since(began)
	return res, nil
}

// Sample is a synthetic population of a flow: the trigger events of its
// entrants and the inbound contacts drawn for them, with the counts per
// arm.
type Sample struct {
	// Triggers are the entrants' subscription.created events, spread
	// over the day after the start; Goals their contact.inbound events,
	// each within 13 days of its trigger.
	Triggers, Goals []*flows.Event
	// Entrants and Contacts count the customers and the contacts per arm
	// (flows.ArmTreatment, flows.ArmControl).
	Entrants, Contacts map[string]int
}

// Draw draws o.Entrants customers (ids syn_000000 on) entering flow f
// from start on, each with an inbound contact at the chance of their
// arm, o.ControlRate or o.TreatRate, from a random source seeded with
// o.Seed. The same options draw the same sample.
func Draw(f *flows.Flow, start time.Time, o Options) *Sample {
	o.defaults()
	s := &Sample{Contacts: map[string]int{}, Entrants: map[string]int{}}
	rng := rand.New(rand.NewPCG(o.Seed, 0x5eed))
	// Entrants arrive over the first day; each one's contact, if any,
	// somewhere in the 13 days after.
	day := 24 * time.Hour
	for i := range o.Entrants {
		cus := fmt.Sprintf("syn_%06d", i)
		at := start.Add(time.Duration(i) * day / time.Duration(o.Entrants))
		s.Triggers = append(s.Triggers, &flows.Event{
			ID: "sub_" + cus, Type: "subscription.created", CustomerID: cus, OccurredAt: at,
			Customer: &flows.Customer{Name: "Customer " + cus, Timezone: "Europe/Amsterdam", Locale: "en"},
		})
		arm := f.Arm(cus)
		s.Entrants[arm]++
		p := o.TreatRate
		if arm == flows.ArmControl {
			p = o.ControlRate
		}
		if rng.Float64() < p {
			s.Contacts[arm]++
			s.Goals = append(s.Goals, &flows.Event{
				ID: "in_" + cus, Type: "contact.inbound", CustomerID: cus,
				OccurredAt: at.Add(time.Duration(rng.Int64N(int64(13 * day)))),
			})
		}
	}
	return s
}

// post posts events in batches through the API.
func post(ctx context.Context, h http.Handler, evs []*flows.Event, batch int) error {
	for i := 0; i < len(evs); i += batch {
		body, err := json.Marshal(evs[i:min(i+batch, len(evs))])
		if err != nil {
			return err
		}
		req := httptest.NewRequestWithContext(ctx, http.MethodPost, "/v1/events", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusAccepted {
			return fmt.Errorf("POST /v1/events: %d %s", rec.Code, bytes.TrimSpace(rec.Body.Bytes()))
		}
	}
	return nil
}

// report gets the synthetic flow's report through the API.
func report(ctx context.Context, h http.Handler, effect float64) (*engine.Report, error) {
	req := httptest.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("/v1/reports/flows/%s?effect=%g", Flow, effect), nil)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		return nil, fmt.Errorf("GET /v1/reports/flows/%s: %d %s", Flow, rec.Code, bytes.TrimSpace(rec.Body.Bytes()))
	}
	rep := new(engine.Report)
	if err := json.Unmarshal(rec.Body.Bytes(), rep); err != nil {
		return nil, fmt.Errorf("decode report: %w", err)
	}
	return rep, nil
}
