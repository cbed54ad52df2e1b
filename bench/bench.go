package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Options configure a run. Zero values take the defaults in brackets.
type Options struct {
	// Redis is the database bench owns for the run; it must be empty.
	Redis *redis.Options
	// Start runs ahead's API and worker; required.
	Start Starter
	// N is the number of tasks, events and interventions per measurement
	// [20000]. Ingest posts N events of two steps each.
	N int
	// C is the number of concurrent producers: goroutines enqueueing raw
	// tasks, clients posting event batches [8].
	C int
	// K is the worker concurrency of raw asynq and of ahead [20].
	K int
	// Batch is the number of events per POST /v1/events [100].
	Batch int
	// Shards is the number of step queues [4].
	Shards int
	// Poll is the worker's delayed-task check interval [100ms].
	Poll time.Duration
	// LagRate is how many interventions come due per second while lag is
	// measured [200], over LagWindow [20s].
	LagRate   int
	LagWindow time.Duration
	// Rounds repeats the paired measurements, raw and hand-built
	// scheduling beside ingest and raw and hand-built processing beside
	// dispatch, one right after the other [1]. Each figure is then the
	// median of the rounds, and each ratio the median of the rounds'
	// ratios: on a machine whose speed drifts during a run, both sides of
	// a ratio drift alike.
	Rounds int
	// Preload, when above 0, schedules that many interventions (due
	// tomorrow) and measures ingest and dispatch again beside them.
	Preload int
	// Profile, when set, is a folder that receives CPU profiles of the
	// ingest and dispatch measurements (ingest.pprof, dispatch.pprof).
	Profile string
	// Only, when not empty, limits the run to these measurements: asynq
	// (the id-only baseline), handbuilt (the hand-built app on asynq),
	// ingest, dispatch, replay, lean (the lean layout's ceiling), lag.
	// Ratios whose parts were left out are NaN.
	Only []string
	// Progress receives a line as each measurement starts; nil for none.
	Progress io.Writer
}

// Measurements are the names Options.Only takes.
var Measurements = []string{"asynq", "handbuilt", "ingest", "dispatch", "replay", "lean", "lag"}

func (o *Options) defaults() {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&o.N, 20000)
	def(&o.C, 8)
	def(&o.K, 20)
	def(&o.Batch, 100)
	def(&o.Shards, 4)
	def(&o.LagRate, 200)
	def(&o.Rounds, 1)
	if o.Poll <= 0 {
		o.Poll = 100 * time.Millisecond
	}
	if o.LagWindow <= 0 {
		o.LagWindow = 20 * time.Second
	}
	if o.Progress == nil {
		o.Progress = io.Discard
	}
}

func (o *Options) validate() error {
	switch {
	case o.Redis == nil:
		return errors.New("bench: no redis")
	case o.Start == nil:
		return errors.New("bench: no starter")
	case o.N < 2:
		return fmt.Errorf("bench: n: at least 2, got %d", o.N)
	case o.Batch > 1000:
		return fmt.Errorf("bench: batch: at most 1000 events per post, got %d", o.Batch)
	case o.Shards > 64:
		return fmt.Errorf("bench: shards: at most 64, got %d", o.Shards)
	case o.Rounds > 20:
		return fmt.Errorf("bench: rounds: at most 20, got %d", o.Rounds)
	}
	for _, m := range o.Only {
		if !slices.Contains(Measurements, m) {
			return fmt.Errorf("bench: unknown measurement %q (want %s)", m, strings.Join(Measurements, ", "))
		}
	}
	return nil
}

// Starter runs ahead on a Redis client the way `ahead serve` does.
type Starter func(ctx context.Context, o NodeOptions) (*Node, error)

// NodeOptions say what a Starter runs.
type NodeOptions struct {
	// Redis is the client ahead must use (bench counts its round trips).
	Redis redis.UniversalClient
	// Flows is the flow folder.
	Flows string
	// API and Worker say which parts run. An API without a worker takes
	// events (and routes them as it takes them) but runs no task.
	API, Worker bool
	// Concurrency, Shards and Poll configure the worker.
	Concurrency, Shards int
	Poll                time.Duration
}

// Node is a running ahead.
type Node struct {
	// URL is the API's base URL, "" without the API.
	URL string
	// Stop stops the API and the worker and waits for them.
	Stop func() error
}

// step is one measurement of a run.
type step struct {
	measure string
	name    string
	fn      func(context.Context) error
}

// run is the state of one bench run.
type run struct {
	o     Options
	flows string
	admin *redis.Client // bench's own reads; not counted
	rdb   *redis.Client // handed to asynq and ahead; counted
	trips *trips
	res   *Result
}

// Run measures and returns the figures. It writes nothing but progress;
// use Result.Print and Result.JSON for the report.
func Run(ctx context.Context, o Options) (*Result, error) {
	o.defaults()
	if err := o.validate(); err != nil {
		return nil, err
	}
	r := &run{o: o, trips: &trips{}, res: newResult(o)}
	r.admin = redis.NewClient(o.Redis)
	defer r.admin.Close()
	if err := checkEmpty(ctx, r.admin); err != nil {
		return nil, err
	}
	r.rdb = redis.NewClient(o.Redis)
	defer r.rdb.Close()
	r.rdb.AddHook(r.trips)
	dir, err := os.MkdirTemp("", "ahead-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	r.flows = dir
	if err := WriteFlows(dir, time.Now()); err != nil {
		return nil, err
	}
	if err := r.machine(ctx); err != nil {
		return nil, err
	}
	defer r.flush(context.WithoutCancel(ctx))
	paired := []step{
		{"asynq", "raw asynq: enqueue scheduled tasks", r.asynqEnqueue},
		{"handbuilt", "hand-built asynq app: enqueue scheduled steps with their data", r.handbuiltEnqueue},
		{"ingest", "ahead: ingest", func(ctx context.Context) error { return r.ingest(ctx, "") }},
		{"replay", "replay: ahead's ingest round trips alone", r.replayIngest},
		{"lean", "lean layout: the scheduling writes of a store rewritten to it", r.lean},
		{"asynq", "raw asynq: process tasks", r.asynqProcess},
		{"handbuilt", "hand-built asynq app: render, mark and send due steps", r.handbuiltProcess},
		{"dispatch", "ahead: dispatch", func(ctx context.Context) error { return r.dispatch(ctx, "") }},
		{"replay", "replay: ahead's dispatch round trips alone", r.replayDispatch},
	}
	machine := r.res.Machine
	var rounds []*Result
	for i := range o.Rounds {
		if o.Rounds > 1 {
			fmt.Fprintf(o.Progress, "bench: round %d of %d\n", i+1, o.Rounds)
		}
		r.res = newResult(o)
		if err := r.steps(ctx, paired); err != nil {
			return nil, err
		}
		r.res.finish()
		rounds = append(rounds, r.res)
	}
	r.res = merge(o, rounds)
	r.res.spread(rounds)
	r.res.Machine = machine
	rest := []step{{"lag", "ahead: lag", r.lag}}
	if o.Preload > 0 {
		rest = append(rest, step{"preload", fmt.Sprintf("ahead: preload %d interventions", o.Preload), r.preload})
	}
	if err := r.steps(ctx, rest); err != nil {
		return nil, err
	}
	if o.Preload > 0 {
		// Beside the preload, ingest and dispatch run once per round too,
		// each round with events of its own.
		main := r.res
		var beside []*Result
		for i := range o.Rounds {
			series := fmt.Sprintf("preload%d", i+1)
			r.res = newResult(o)
			err := r.steps(ctx, []step{
				{"asynq", "raw asynq: enqueue beside the preload", r.asynqEnqueueBeside},
				{"ingest", "ahead: ingest beside the preload", func(ctx context.Context) error { return r.ingest(ctx, series) }},
				{"dispatch", "ahead: dispatch beside the preload", func(ctx context.Context) error { return r.dispatch(ctx, series) }},
			})
			if err != nil {
				return nil, err
			}
			beside = append(beside, r.res)
		}
		r.res = main
		r.res.Figures = append(r.res.Figures, merge(o, beside).Figures...)
		// How much raw asynq itself slows down beside the preload, for
		// comparison with ahead's ratios.
		r.res.add("preload", "asynq_enqueue_vs_empty", ratio(r.res.Get("preload", "asynq_enqueue_per_sec"), r.res.Get("asynq", "enqueue_per_sec")), 3)
	}
	r.res.finish()
	r.res.medianRatios(rounds)
	return r.res, nil
}

// runs reports whether Options.Only asks for measurement m.
func (r *run) runs(m string) bool {
	return len(r.o.Only) == 0 || slices.Contains(r.o.Only, m)
}

// steps runs the steps that Options.Only asks for.
func (r *run) steps(ctx context.Context, steps []step) error {
	for _, s := range steps {
		if s.measure != "preload" && !r.runs(s.measure) {
			continue
		}
		fmt.Fprintf(r.o.Progress, "bench: %s\n", s.name)
		start := time.Now()
		if err := s.fn(ctx); err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
		fmt.Fprintf(r.o.Progress, "bench: %s took %s\n", s.name, time.Since(start).Round(time.Millisecond))
	}
	return nil
}

// flush empties the database between measurements.
func (r *run) flush(ctx context.Context) error {
	if err := r.admin.FlushDB(ctx).Err(); err != nil {
		return fmt.Errorf("flush redis: %w", err)
	}
	return nil
}

// profiled runs fn under the CPU profiler when a profile folder is set.
func (r *run) profiled(name string, fn func() error) error {
	if r.o.Profile == "" {
		return fn()
	}
	if err := os.MkdirAll(r.o.Profile, 0o755); err != nil {
		return fmt.Errorf("profile folder: %w", err)
	}
	f, err := os.Create(filepath.Join(r.o.Profile, name+".pprof"))
	if err != nil {
		return fmt.Errorf("profile: %w", err)
	}
	defer f.Close()
	if err := pprof.StartCPUProfile(f); err != nil {
		return fmt.Errorf("profile: %w", err)
	}
	defer pprof.StopCPUProfile()
	return fn()
}
