package bench

import (
	"context"
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func TestPercentile(t *testing.T) {
	v := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	for _, c := range []struct {
		q    float64
		want float64
	}{{0.5, 5}, {0.99, 10}, {0.1, 1}, {0, 1}, {1, 10}} {
		if got := percentile(v, c.q); got != c.want {
			t.Errorf("percentile(%v) = %v, want %v", c.q, got, c.want)
		}
	}
	if !math.IsNaN(percentile(nil, 0.5)) {
		t.Errorf("percentile of nothing is a number")
	}
}

func result() *Result {
	r := newResult(Options{N: 10, C: 2, K: 3, Batch: 5, Shards: 4, Poll: 100 * time.Millisecond, LagRate: 20, LagWindow: time.Second})
	r.Machine = Machine{CPUs: 2, MemoryMB: 1024, Go: "go1.x", OS: "linux/amd64", Redis: "7.0.0", RedisLocal: true}
	r.add("asynq", "enqueue_per_sec", 1000, 1)
	r.add("asynq", "process_per_sec", 500, 1)
	r.add("memory", "asynq_bytes_per_task", 600, 0)
	r.add("handbuilt", "enqueue_per_sec", 800, 1)
	r.add("memory", "handbuilt_bytes_per_task", 880, 0)
	r.add("handbuilt", "process_per_sec", 250, 1)
	r.add("ingest", "steps_per_sec", 1500, 1)
	r.add("memory", "ahead_bytes_per_intervention", 900, 0)
	r.add("dispatch", "per_sec", 300, 1)
	r.add("lag", "early_pct", 0, 1)
	r.add("lag", "p99_ms", 250.04, 1)
	r.finish()
	return r
}

func TestSummary(t *testing.T) {
	r := result()
	var b strings.Builder
	if err := r.Print(&b); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	want := []string{
		"ratio ingest_vs_asynq_enqueue=1.500",
		"ratio dispatch_vs_asynq_process=0.600",
		"ratio memory_vs_asynq=1.500",
		"ratio ingest_vs_handbuilt_enqueue=1.875 target>=2 met=no",
		"ratio dispatch_vs_handbuilt_process=1.200 target>=0.8 met=yes",
		"ratio memory_vs_handbuilt=1.023 target<=1 met=no",
		"lag_p99_ms=250.0 target<=250 met=no",
		"lag_early_pct=0.0 target<=0 met=yes",
	}
	if got := lines[len(lines)-len(want):]; strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("summary:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if !strings.HasPrefix(lines[0], "machine cpus=2 memory_mb=1024 go=go1.x") {
		t.Errorf("first line %q", lines[0])
	}
	if lines[2] != "asynq enqueue_per_sec=1000.0" {
		t.Errorf("first figure %q", lines[2])
	}
}

func TestSummaryWithoutParts(t *testing.T) {
	r := newResult(Options{})
	r.add("asynq", "enqueue_per_sec", 1000, 1)
	r.finish()
	var b strings.Builder
	if err := r.Print(&b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"ratio ingest_vs_asynq_enqueue=NaN\n", "ratio ingest_vs_handbuilt_enqueue=NaN target>=2 met=no\n",
		"lag_early_pct=NaN target<=0 met=no\n",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("no %q: a figure without its parts is not NaN:\n%s", want, b.String())
		}
	}
	j, err := r.JSON()
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(j, &doc); err != nil {
		t.Fatalf("JSON with NaN: %v\n%s", err, j)
	}
	if doc["lag_p99_ms"] != nil || doc["lag_early_pct"] != nil {
		t.Errorf("lag_p99_ms = %v, lag_early_pct = %v, want null", doc["lag_p99_ms"], doc["lag_early_pct"])
	}
}

func TestJSON(t *testing.T) {
	j, err := result().JSON()
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Figures map[string]map[string]float64 `json:"figures"`
		Ratio   map[string]float64            `json:"ratio"`
		Lag     float64                       `json:"lag_p99_ms"`
		Early   *float64                      `json:"lag_early_pct"`
		Targets map[string]struct {
			Target string `json:"target"`
			Met    bool   `json:"met"`
		} `json:"targets"`
	}
	if err := json.Unmarshal(j, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Figures["handbuilt"]["enqueue_per_sec"] != 800 || doc.Ratio["memory_vs_asynq"] != 1.5 ||
		doc.Ratio["dispatch_vs_handbuilt_process"] != 1.2 || doc.Lag != 250.04 || doc.Early == nil || *doc.Early != 0 {
		t.Errorf("JSON = %s", j)
	}
	// The ratios beside the id-only baseline have no target.
	if _, ok := doc.Targets["memory_vs_asynq"]; ok {
		t.Errorf("memory_vs_asynq has a target: %+v", doc.Targets)
	}
	if len(doc.Targets) != 5 || !doc.Targets["dispatch_vs_handbuilt_process"].Met || doc.Targets["ingest_vs_handbuilt_enqueue"].Met ||
		doc.Targets["lag_p99_ms"].Target != "<=250" || !doc.Targets["lag_early_pct"].Met {
		t.Errorf("targets = %+v", doc.Targets)
	}
}

func TestBreakdown(t *testing.T) {
	got := breakdown(map[string]int64{"get": 5}, map[string]int64{"get": 25, "pipeline": 10, "evalsha:abcd1234": 20, "ping": 0}, 10)
	if got != "evalsha:abcd1234 2.00, get 2.00, pipeline 1.00" {
		t.Errorf("breakdown = %q", got)
	}
}

func TestOptions(t *testing.T) {
	o := Options{}
	o.defaults()
	if o.N != 20000 || o.C != 8 || o.K != 20 || o.Batch != 100 || o.Poll != 100*time.Millisecond || o.LagWindow != 20*time.Second {
		t.Errorf("defaults = %+v", o)
	}
	start := func(context.Context, NodeOptions) (*Node, error) { return nil, nil }
	valid := Options{Redis: &redis.Options{}, Start: start}
	valid.defaults()
	if err := valid.validate(); err != nil {
		t.Fatalf("defaults do not validate: %v", err)
	}
	for name, change := range map[string]func(*Options){
		"no redis":    func(o *Options) { o.Redis = nil },
		"no starter":  func(o *Options) { o.Start = nil },
		"big batch":   func(o *Options) { o.Batch = 2000 },
		"tiny n":      func(o *Options) { o.N = 1 },
		"many shards": func(o *Options) { o.Shards = 65 },
		"many rounds": func(o *Options) { o.Rounds = 21 },
		"unknown":     func(o *Options) { o.Only = []string{"nothing"} },
	} {
		o := valid
		change(&o)
		if err := o.validate(); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// Rounds merge into medians, and each ratio is the median of the rounds'
// own ratios, which a drift that slows both sides of one round leaves alone.
func TestMergeRounds(t *testing.T) {
	round := func(enqueue, ingest, process, dispatch float64) *Result {
		r := newResult(Options{Rounds: 3})
		r.add("asynq", "enqueue_per_sec", enqueue, 1)
		r.add("memory", "asynq_bytes_per_task", 600, 0)
		// The hand-built app runs at half the raw rates, beside them.
		r.add("handbuilt", "enqueue_per_sec", enqueue/2, 1)
		r.add("memory", "handbuilt_bytes_per_task", 900, 0)
		r.add("ingest", "steps_per_sec", ingest, 1)
		r.add("memory", "ahead_bytes_per_intervention", 900, 0)
		r.add("asynq", "process_per_sec", process, 1)
		r.add("handbuilt", "process_per_sec", process/2, 1)
		r.add("dispatch", "per_sec", dispatch, 1)
		r.finish()
		return r
	}
	// The second round ran on a machine twice as slow, on both sides.
	rounds := []*Result{round(1000, 500, 400, 200), round(500, 260, 200, 110), round(1100, 500, 420, 190)}
	m := merge(Options{Rounds: 3}, rounds)
	m.spread(rounds)
	m.finish()
	m.medianRatios(rounds)
	if got := m.Get("asynq", "enqueue_per_sec"); got != 1000 {
		t.Errorf("median enqueue_per_sec = %v, want 1000", got)
	}
	if got := m.Get("ingest", "steps_per_sec"); got != 500 {
		t.Errorf("median steps_per_sec = %v, want 500", got)
	}
	// Round ratios: ingest 0.5, 0.52, 0.4545…; dispatch 0.5, 0.55, 0.452…
	if math.Abs(m.Asynq.Ingest-0.5) > 1e-9 || math.Abs(m.Asynq.Dispatch-0.5) > 1e-9 || m.Asynq.Memory != 1.5 {
		t.Errorf("ratios %v %v %v, want the medians of the rounds' ratios", m.Asynq.Ingest, m.Asynq.Dispatch, m.Asynq.Memory)
	}
	if lo, hi := m.Get("rounds", "ingest_vs_asynq_enqueue_min"), m.Get("rounds", "ingest_vs_asynq_enqueue_max"); math.Abs(lo-500.0/1100) > 1e-9 || hi != 0.52 {
		t.Errorf("ingest ratio spread %v – %v", lo, hi)
	}
	if math.Abs(m.Handbuilt.Ingest-1) > 1e-9 || math.Abs(m.Handbuilt.Dispatch-1) > 1e-9 || m.Handbuilt.Memory != 1 {
		t.Errorf("hand-built ratios %v %v %v, want the medians of the rounds' ratios", m.Handbuilt.Ingest, m.Handbuilt.Dispatch, m.Handbuilt.Memory)
	}
	if lo, hi := m.Get("rounds", "dispatch_vs_handbuilt_process_min"), m.Get("rounds", "dispatch_vs_handbuilt_process_max"); math.Abs(lo-380.0/420) > 1e-9 || hi != 1.1 {
		t.Errorf("hand-built dispatch ratio spread %v – %v", lo, hi)
	}
	// Without replays, their spread is there, and NaN.
	if v := m.Get("rounds", "replay_ingest_vs_handbuilt_enqueue_min"); !math.IsNaN(v) {
		t.Errorf("replay spread without replays = %v", v)
	}
	if !math.IsNaN(median(nil)) || !math.IsNaN(median([]float64{1, math.NaN()})) || median([]float64{3, 1, 2, 10}) != 2.5 {
		t.Error("median")
	}
}

// The targets are ahead's beside the hand-built app, and the lag's.
func TestTargets(t *testing.T) {
	for _, c := range []struct {
		t       Target
		v       float64
		met     bool
		printed string
	}{
		{targetIngest, 2, true, "ratio ingest_vs_handbuilt_enqueue=2.000 target>=2 met=yes"},
		{targetIngest, 1.999, false, "ratio ingest_vs_handbuilt_enqueue=1.999 target>=2 met=no"},
		{targetDispatch, 0.8, true, "ratio dispatch_vs_handbuilt_process=0.800 target>=0.8 met=yes"},
		{targetDispatch, 0.79, false, "ratio dispatch_vs_handbuilt_process=0.790 target>=0.8 met=no"},
		{targetMemory, 1, true, "ratio memory_vs_handbuilt=1.000 target<=1 met=yes"},
		{targetMemory, 1.01, false, "ratio memory_vs_handbuilt=1.010 target<=1 met=no"},
		{targetLag, 250, true, "lag_p99_ms=250.000 target<=250 met=yes"},
		{targetLag, 250.1, false, "lag_p99_ms=250.100 target<=250 met=no"},
		{targetEarly, 0, true, "lag_early_pct=0.000 target<=0 met=yes"},
		{targetEarly, 0.05, false, "lag_early_pct=0.050 target<=0 met=no"},
		{targetPreload, 0.8, true, "ratio preload=0.800 target>=0.8 met=yes"},
	} {
		if got := c.t.met(c.v); got != c.met {
			t.Errorf("%s met(%v) = %v", c.t.Name, c.v, got)
		}
		s := summed{ratio: strings.HasPrefix(c.printed, "ratio "), t: c.t, v: c.v, prec: 3}
		if got := s.String(); got != c.printed {
			t.Errorf("line %q, want %q", got, c.printed)
		}
	}
	for _, info := range []Target{infoIngest, infoDispatch, infoMemory} {
		if info.bounded() {
			t.Errorf("%s has a target", info.Name)
		}
		if got := (summed{true, info, 0.5, 3}).String(); got != "ratio "+info.Name+"=0.500" {
			t.Errorf("informational line %q", got)
		}
	}
}

// Each ratio divides by its own baseline: the replays use the same.
func TestBaselines(t *testing.T) {
	r := result()
	for name, want := range map[string]float64{
		"ingest_vs_asynq_enqueue": 1000, "dispatch_vs_asynq_process": 500, "memory_vs_asynq": 600,
		"ingest_vs_handbuilt_enqueue": 800, "dispatch_vs_handbuilt_process": 250, "memory_vs_handbuilt": 880,
	} {
		if got := r.baseline(name); got != want {
			t.Errorf("baseline(%s) = %v, want %v", name, got, want)
		}
	}
	if !math.IsNaN(r.baseline("lag_p99_ms")) {
		t.Error("lag_p99_ms has a baseline")
	}
	for _, tg := range replayed {
		if math.IsNaN(r.baseline(tg.Name)) {
			t.Errorf("replayed %s has no baseline", tg.Name)
		}
	}
}

// With a preload, its two ratios open the summary, with their target.
func TestSummaryWithPreload(t *testing.T) {
	r := result()
	r.add("preload", "ingest_steps_per_sec", 1200, 1)
	r.add("preload", "dispatch_per_sec", 150, 1)
	r.finish()
	lines := r.summaryLines()
	want := []string{"ratio preload_ingest_vs_empty=0.800 target>=0.8 met=yes", "ratio preload_dispatch_vs_empty=0.500 target>=0.8 met=no"}
	if len(lines) != 10 || lines[0] != want[0] || lines[1] != want[1] {
		t.Errorf("summary %q", lines)
	}
}
