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

// The summary figures and their targets.
var (
	targetIngest   = Target{Name: "ingest_vs_asynq_enqueue", Min: 1.0, Max: math.NaN()}
	targetDispatch = Target{Name: "dispatch_vs_asynq_process", Min: 0.8, Max: math.NaN()}
	targetMemory   = Target{Name: "memory_vs_asynq", Min: math.NaN(), Max: 1.3}
	targetLag      = Target{Name: "lag_p99_ms", Min: math.NaN(), Max: 1000}
	targetPreload  = Target{Name: "preload", Min: 0.8, Max: math.NaN()}
)

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
	// The summary: ratios beside raw asynq and the lag.
	IngestVsEnqueue   float64
	DispatchVsProcess float64
	MemoryVsAsynq     float64
	LagP99ms          float64
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
		IngestVsEnqueue: math.NaN(), DispatchVsProcess: math.NaN(), MemoryVsAsynq: math.NaN(),
		LagP99ms: math.NaN(), PreloadIngest: math.NaN(), PreloadDispatch: math.NaN(),
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
// round's ratio beside raw asynq, measured and replayed, as figures of the
// group "rounds".
func (r *Result) spread(rounds []*Result) {
	if len(rounds) > 1 {
		for _, t := range []struct {
			name string
			get  func(*Result) float64
		}{
			{targetIngest.Name, func(x *Result) float64 { return x.IngestVsEnqueue }},
			{targetDispatch.Name, func(x *Result) float64 { return x.DispatchVsProcess }},
			{targetMemory.Name, func(x *Result) float64 { return x.MemoryVsAsynq }},
			{"replay_" + targetIngest.Name, func(x *Result) float64 { return x.Get("replay", targetIngest.Name) }},
			{"replay_" + targetDispatch.Name, func(x *Result) float64 { return x.Get("replay", targetDispatch.Name) }},
		} {
			lo, hi := math.NaN(), math.NaN()
			for _, x := range rounds {
				v := t.get(x)
				lo, hi = nanMin(lo, v), nanMax(hi, v)
			}
			r.add("rounds", t.name+"_min", lo, 3)
			r.add("rounds", t.name+"_max", hi, 3)
		}
	}
}

// medianRatios sets the ratios beside raw asynq to the medians of the
// rounds' ratios, each taken from figures measured minutes apart.
func (r *Result) medianRatios(rounds []*Result) {
	pick := func(get func(*Result) float64) float64 {
		var vs []float64
		for _, x := range rounds {
			vs = append(vs, get(x))
		}
		return median(vs)
	}
	r.IngestVsEnqueue = pick(func(x *Result) float64 { return x.IngestVsEnqueue })
	r.DispatchVsProcess = pick(func(x *Result) float64 { return x.DispatchVsProcess })
	r.MemoryVsAsynq = pick(func(x *Result) float64 { return x.MemoryVsAsynq })
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
	r.IngestVsEnqueue = ratio(r.Get("ingest", "steps_per_sec"), r.Get("asynq", "enqueue_per_sec"))
	r.DispatchVsProcess = ratio(r.Get("dispatch", "per_sec"), r.Get("asynq", "process_per_sec"))
	r.MemoryVsAsynq = ratio(r.Get("memory", "ahead_bytes_per_intervention"), r.Get("memory", "asynq_bytes_per_task"))
	r.LagP99ms = r.Get("lag", "p99_ms")
	r.PreloadIngest = ratio(r.Get("preload", "ingest_steps_per_sec"), r.Get("ingest", "steps_per_sec"))
	r.PreloadDispatch = ratio(r.Get("preload", "dispatch_per_sec"), r.Get("dispatch", "per_sec"))
}

// Print writes one line per figure, then the summary: the ratios beside
// raw asynq and the lag's 99th percentile, each with its target.
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

// summaryLines are the last lines of the report.
func (r *Result) summaryLines() []string {
	var out []string
	line := func(prefix string, t Target, v float64, prec int) {
		out = append(out, fmt.Sprintf("%s%s=%s target%s met=%s", prefix, t.Name, num(v, prec), t.text(), yesNo(t.met(v))))
	}
	if !math.IsNaN(r.PreloadIngest) {
		line("ratio ", Target{Name: "preload_ingest_vs_empty", Min: targetPreload.Min, Max: math.NaN()}, r.PreloadIngest, 3)
		line("ratio ", Target{Name: "preload_dispatch_vs_empty", Min: targetPreload.Min, Max: math.NaN()}, r.PreloadDispatch, 3)
	}
	line("ratio ", targetIngest, r.IngestVsEnqueue, 3)
	line("ratio ", targetDispatch, r.DispatchVsProcess, 3)
	line("ratio ", targetMemory, r.MemoryVsAsynq, 3)
	line("", targetLag, r.LagP99ms, 1)
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
// group and name, the ratios, lag_p99_ms and whether each target is met.
func (r *Result) JSON() ([]byte, error) {
	figs := map[string]map[string]jsonNum{}
	for _, f := range r.Figures {
		if figs[f.Group] == nil {
			figs[f.Group] = map[string]jsonNum{}
		}
		figs[f.Group][f.Name] = jsonNum(f.Value)
	}
	ratios := map[string]jsonNum{
		targetIngest.Name: jsonNum(r.IngestVsEnqueue), targetDispatch.Name: jsonNum(r.DispatchVsProcess),
		targetMemory.Name: jsonNum(r.MemoryVsAsynq),
	}
	targets := map[string]jsonTarget{}
	for _, t := range []struct {
		t Target
		v float64
	}{{targetIngest, r.IngestVsEnqueue}, {targetDispatch, r.DispatchVsProcess}, {targetMemory, r.MemoryVsAsynq}, {targetLag, r.LagP99ms}} {
		targets[t.t.Name] = jsonTarget{Value: jsonNum(t.v), Target: t.t.text(), Met: t.t.met(t.v)}
	}
	if !math.IsNaN(r.PreloadIngest) {
		ratios["preload_ingest_vs_empty"] = jsonNum(r.PreloadIngest)
		ratios["preload_dispatch_vs_empty"] = jsonNum(r.PreloadDispatch)
		targets["preload_ingest_vs_empty"] = jsonTarget{Value: jsonNum(r.PreloadIngest), Target: targetPreload.text(), Met: targetPreload.met(r.PreloadIngest)}
		targets["preload_dispatch_vs_empty"] = jsonTarget{Value: jsonNum(r.PreloadDispatch), Target: targetPreload.text(), Met: targetPreload.met(r.PreloadDispatch)}
	}
	return json.MarshalIndent(struct {
		Machine  Machine                       `json:"machine"`
		Options  map[string]string             `json:"options"`
		Figures  map[string]map[string]jsonNum `json:"figures"`
		Ratio    map[string]jsonNum            `json:"ratio"`
		LagP99ms jsonNum                       `json:"lag_p99_ms"`
		Targets  map[string]jsonTarget         `json:"targets"`
	}{r.Machine, r.Options, figs, ratios, jsonNum(r.LagP99ms), targets}, "", "  ")
}
