package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Figure is one measured number.
type Figure struct {
	Group string
	Name  string
	Value float64
	// Prec is the number of decimals printed.
	Prec int
}

func (f Figure) text() string { return strconv.FormatFloat(f.Value, 'f', f.Prec, 64) }

// Target is a figure's goal.
type Target struct {
	Name string
	// Min or Max bounds the value; the other is NaN.
	Min, Max float64
}

// untargeted names a figure printed without a target.
func untargeted(name string) Target {
	return Target{Name: name, Min: math.NaN(), Max: math.NaN()}
}

// bounded reports whether t has a bound.
func (t Target) bounded() bool { return !math.IsNaN(t.Min) || !math.IsNaN(t.Max) }

func (t Target) met(v float64) bool {
	if math.IsNaN(v) {
		return false
	}
	if !math.IsNaN(t.Min) {
		return v >= t.Min
	}
	return v <= t.Max
}

func (t Target) text() string {
	if !math.IsNaN(t.Min) {
		return ">=" + strconv.FormatFloat(t.Min, 'f', -1, 64)
	}
	return "<=" + strconv.FormatFloat(t.Max, 'f', -1, 64)
}

// The summary figures and their targets: ahead beside the hand-built app,
// the lag, and ahead beside a preload.
var (
	targetIngest   = Target{Name: "ingest_vs_handbuilt_enqueue", Min: 2.0, Max: math.NaN()}
	targetDispatch = Target{Name: "dispatch_vs_handbuilt_process", Min: 0.8, Max: math.NaN()}
	targetMemory   = Target{Name: "memory_vs_handbuilt", Min: math.NaN(), Max: 1.0}
	targetLag      = Target{Name: "lag_p99_ms", Min: math.NaN(), Max: 250}
	targetEarly    = Target{Name: "lag_early_pct", Min: math.NaN(), Max: 0}
	targetPreload  = Target{Name: "preload", Min: 0.8, Max: math.NaN()}
)

// The ratios beside the id-only asynq baseline, which carries no data:
// printed without a target, for comparison with earlier runs.
var (
	infoIngest   = untargeted("ingest_vs_asynq_enqueue")
	infoDispatch = untargeted("dispatch_vs_asynq_process")
	infoMemory   = untargeted("memory_vs_asynq")
)

// Beside holds ahead's ratios to a baseline: ingest steps per second to
// its enqueue rate, dispatch to its processing rate, and Redis bytes per
// intervention to its bytes per task.
type Beside struct {
	Ingest, Dispatch, Memory float64
}

func nanBeside() Beside { return Beside{math.NaN(), math.NaN(), math.NaN()} }

// baseline is a measurement ahead is compared with.
type baseline struct {
	// group holds its rates; mem names its bytes per task in the group
	// "memory".
	group, mem string
	// targets name the ratios to it, ingest, dispatch and memory.
	targets [3]Target
	// ratios is where a Result keeps the ratios.
	ratios func(*Result) *Beside
}

// baselines are the informational one first, in the order printed.
var baselines = []baseline{
	{"asynq", "asynq_bytes_per_task", [3]Target{infoIngest, infoDispatch, infoMemory}, func(r *Result) *Beside { return &r.Asynq }},
	{"handbuilt", "handbuilt_bytes_per_task", [3]Target{targetIngest, targetDispatch, targetMemory}, func(r *Result) *Beside { return &r.Handbuilt }},
}

// roundRatio is a summary ratio that each round measures: ahead's figure
// over a baseline's, both named by group and name.
type roundRatio struct {
	t         Target
	num, base [2]string
	// field is where a Result keeps it.
	field func(*Result) *float64
}

// roundRatios are the ratios beside the baselines, in the order printed.
var roundRatios = func() []roundRatio {
	var out []roundRatio
	for _, b := range baselines {
		out = append(out,
			roundRatio{b.targets[0], [2]string{"ingest", "steps_per_sec"}, [2]string{b.group, "enqueue_per_sec"},
				func(r *Result) *float64 { return &b.ratios(r).Ingest }},
			roundRatio{b.targets[1], [2]string{"dispatch", "per_sec"}, [2]string{b.group, "process_per_sec"},
				func(r *Result) *float64 { return &b.ratios(r).Dispatch }},
			roundRatio{b.targets[2], [2]string{"memory", "ahead_bytes_per_intervention"}, [2]string{"memory", b.mem},
				func(r *Result) *float64 { return &b.ratios(r).Memory }})
	}
	return out
}()

// replayed are the round ratios that replays measure too: a replayed rate
// over the same baseline.
var replayed = []Target{infoIngest, infoDispatch, targetIngest, targetDispatch}

// baseline returns the figure that the ratio named name divides by, NaN
// when it was not measured.
func (r *Result) baseline(name string) float64 {
	for _, rr := range roundRatios {
		if rr.t.Name == name {
			return r.Get(rr.base[0], rr.base[1])
		}
	}
	return math.NaN()
}

// Machine describes where the figures were measured.
type Machine struct {
	CPUs     int    `json:"cpus"`
	CPU      string `json:"cpu,omitempty"`
	MemoryMB int64  `json:"memory_mb"`
	Go       string `json:"go"`
	OS       string `json:"os"`
	Redis    string `json:"redis"`
	// RedisLocal is true when Redis runs on this machine (it shares the CPUs).
	RedisLocal bool `json:"redis_local"`
}

// Result holds every figure of a run, in the order measured.
type Result struct {
	Machine Machine
	Options map[string]string
	Figures []Figure
	// The summary: ratios beside the hand-built app, which have targets;
	// ratios beside the id-only asynq baseline, which have none; the lag's
	// 99th percentile and the share of steps that ran before they were due.
	Handbuilt   Beside
	Asynq       Beside
	LagP99ms    float64
	LagEarlyPct float64
	// PreloadIngest and PreloadDispatch are rates beside the preload
	// divided by rates on an empty Redis (NaN without a preload).
	PreloadIngest   float64
	PreloadDispatch float64
}

func newResult(o Options) *Result {
	return &Result{
		Options: map[string]string{
			"n": strconv.Itoa(o.N), "c": strconv.Itoa(o.C), "k": strconv.Itoa(o.K),
			"batch": strconv.Itoa(o.Batch), "shards": strconv.Itoa(o.Shards), "poll": o.Poll.String(),
			"lag_rate": strconv.Itoa(o.LagRate), "lag_window": o.LagWindow.String(),
			"preload": strconv.Itoa(o.Preload), "only": strings.Join(o.Only, ","), "rounds": strconv.Itoa(o.Rounds),
		},
		Handbuilt: nanBeside(), Asynq: nanBeside(),
		LagP99ms: math.NaN(), LagEarlyPct: math.NaN(), PreloadIngest: math.NaN(), PreloadDispatch: math.NaN(),
	}
}

func (r *Result) add(group, name string, v float64, prec int) {
	r.Figures = append(r.Figures, Figure{Group: group, Name: name, Value: v, Prec: prec})
}

// Get returns a figure's value, or NaN when it was not measured.
func (r *Result) Get(group, name string) float64 {
	for _, f := range r.Figures {
		if f.Group == group && f.Name == name {
			return f.Value
		}
	}
	return math.NaN()
}

// merge returns the figures of rounds as one result: each figure is the
// median of its values, in the order of the first round.
func merge(o Options, rounds []*Result) *Result {
	out := newResult(o)
	if len(rounds) == 0 {
		return out
	}
	for _, f := range rounds[0].Figures {
		var vs []float64
		for _, r := range rounds {
			vs = append(vs, r.Get(f.Group, f.Name))
		}
		out.add(f.Group, f.Name, median(vs), f.Prec)
	}
	return out
}

// spread adds, with more than one round, the lowest and highest of each
// round's ratio beside the baselines, measured and replayed, as figures of
// the group "rounds".
func (r *Result) spread(rounds []*Result) {
	if len(rounds) <= 1 {
		return
	}
	type part struct {
		name string
		get  func(*Result) float64
	}
	var parts []part
	for _, rr := range roundRatios {
		parts = append(parts, part{rr.t.Name, func(x *Result) float64 { return *rr.field(x) }})
	}
	for _, t := range replayed {
		parts = append(parts, part{"replay_" + t.Name, func(x *Result) float64 { return x.Get("replay", t.Name) }})
	}
	for _, p := range parts {
		lo, hi := math.NaN(), math.NaN()
		for _, x := range rounds {
			v := p.get(x)
			lo, hi = nanMin(lo, v), nanMax(hi, v)
		}
		r.add("rounds", p.name+"_min", lo, 3)
		r.add("rounds", p.name+"_max", hi, 3)
	}
}

// medianRatios sets the ratios beside the baselines to the medians of the
// rounds' ratios, each taken from figures measured minutes apart.
func (r *Result) medianRatios(rounds []*Result) {
	for _, rr := range roundRatios {
		var vs []float64
		for _, x := range rounds {
			vs = append(vs, *rr.field(x))
		}
		*rr.field(r) = median(vs)
	}
}

// median returns the median of vs, NaN when one of them is NaN or there
// are none.
func median(vs []float64) float64 {
	if len(vs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(vs)
	for _, v := range s {
		if math.IsNaN(v) {
			return math.NaN()
		}
	}
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

func nanMin(a, b float64) float64 {
	if math.IsNaN(a) || b < a {
		return b
	}
	return a
}

func nanMax(a, b float64) float64 {
	if math.IsNaN(a) || b > a {
		return b
	}
	return a
}

func ratio(a, b float64) float64 {
	if b == 0 || math.IsNaN(a) || math.IsNaN(b) {
		return math.NaN()
	}
	return a / b
}

// finish computes the summary from the figures.
func (r *Result) finish() {
	for _, rr := range roundRatios {
		*rr.field(r) = ratio(r.Get(rr.num[0], rr.num[1]), r.Get(rr.base[0], rr.base[1]))
	}
	r.LagP99ms = r.Get("lag", "p99_ms")
	r.LagEarlyPct = r.Get("lag", "early_pct")
	r.PreloadIngest = ratio(r.Get("preload", "ingest_steps_per_sec"), r.Get("ingest", "steps_per_sec"))
	r.PreloadDispatch = ratio(r.Get("preload", "dispatch_per_sec"), r.Get("dispatch", "per_sec"))
}

// Print writes one line per figure, then the summary: the ratios beside
// the preload, the id-only asynq baseline (no target) and the hand-built
// app, then the lag's 99th percentile and share of early steps, each
// with its target.
func (r *Result) Print(w io.Writer) error {
	var b strings.Builder
	m := r.Machine
	fmt.Fprintf(&b, "machine cpus=%d memory_mb=%d go=%s os=%s redis=%s redis_local=%t cpu=%q\n",
		m.CPUs, m.MemoryMB, m.Go, m.OS, m.Redis, m.RedisLocal, m.CPU)
	b.WriteString("options")
	for _, k := range optionOrder {
		fmt.Fprintf(&b, " %s=%s", k, r.Options[k])
	}
	b.WriteString("\n")
	for _, f := range r.Figures {
		fmt.Fprintf(&b, "%s %s=%s\n", f.Group, f.Name, f.text())
	}
	for _, s := range r.summaryLines() {
		b.WriteString(s + "\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

var optionOrder = []string{"n", "c", "k", "batch", "shards", "poll", "lag_rate", "lag_window", "rounds", "preload", "only"}

func num(v float64, prec int) string {
	if math.IsNaN(v) {
		return "NaN"
	}
	return strconv.FormatFloat(v, 'f', prec, 64)
}

func yesNo(ok bool) string {
	if ok {
		return "yes"
	}
	return "no"
}

// summed is one figure of the summary.
type summed struct {
	ratio bool
	t     Target
	v     float64
	prec  int
}

func (s summed) String() string {
	prefix := ""
	if s.ratio {
		prefix = "ratio "
	}
	line := prefix + s.t.Name + "=" + num(s.v, s.prec)
	if !s.t.bounded() {
		return line
	}
	return fmt.Sprintf("%s target%s met=%s", line, s.t.text(), yesNo(s.t.met(s.v)))
}

// summary lists the summary's figures in the order printed: the preload
// ratios when there was a preload, the ratios beside the baselines, the
// lag.
func (r *Result) summary() []summed {
	var out []summed
	if !math.IsNaN(r.PreloadIngest) {
		out = append(out,
			summed{true, Target{Name: "preload_ingest_vs_empty", Min: targetPreload.Min, Max: math.NaN()}, r.PreloadIngest, 3},
			summed{true, Target{Name: "preload_dispatch_vs_empty", Min: targetPreload.Min, Max: math.NaN()}, r.PreloadDispatch, 3})
	}
	for _, rr := range roundRatios {
		out = append(out, summed{true, rr.t, *rr.field(r), 3})
	}
	return append(out, summed{false, targetLag, r.LagP99ms, 1}, summed{false, targetEarly, r.LagEarlyPct, 1})
}

// summaryLines are the last lines of the report.
func (r *Result) summaryLines() []string {
	var out []string
	for _, s := range r.summary() {
		out = append(out, s.String())
	}
	return out
}

// jsonNum keeps NaN out of JSON: it becomes null.
type jsonNum float64

func (n jsonNum) MarshalJSON() ([]byte, error) {
	if math.IsNaN(float64(n)) || math.IsInf(float64(n), 0) {
		return []byte("null"), nil
	}
	return json.Marshal(float64(n))
}

type jsonTarget struct {
	Value  jsonNum `json:"value"`
	Target string  `json:"target"`
	Met    bool    `json:"met"`
}

// JSON returns the report as a JSON object: machine, options, figures by
// group and name, the ratios, lag_p99_ms, lag_early_pct and whether each
// target is met.
func (r *Result) JSON() ([]byte, error) {
	figs := map[string]map[string]jsonNum{}
	for _, f := range r.Figures {
		if figs[f.Group] == nil {
			figs[f.Group] = map[string]jsonNum{}
		}
		figs[f.Group][f.Name] = jsonNum(f.Value)
	}
	ratios := map[string]jsonNum{}
	targets := map[string]jsonTarget{}
	for _, s := range r.summary() {
		if s.ratio {
			ratios[s.t.Name] = jsonNum(s.v)
		}
		if s.t.bounded() {
			targets[s.t.Name] = jsonTarget{Value: jsonNum(s.v), Target: s.t.text(), Met: s.t.met(s.v)}
		}
	}
	return json.MarshalIndent(struct {
		Machine     Machine                       `json:"machine"`
		Options     map[string]string             `json:"options"`
		Figures     map[string]map[string]jsonNum `json:"figures"`
		Ratio       map[string]jsonNum            `json:"ratio"`
		LagP99ms    jsonNum                       `json:"lag_p99_ms"`
		LagEarlyPct jsonNum                       `json:"lag_early_pct"`
		Targets     map[string]jsonTarget         `json:"targets"`
	}{r.Machine, r.Options, figs, ratios, jsonNum(r.LagP99ms), jsonNum(r.LagEarlyPct), targets}, "", "  ")
}
