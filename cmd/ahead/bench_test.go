package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/aheadhq/ahead/internal/redistest"
)

// A tiny run of ahead bench prints every figure and the summary, and
// writes the same as JSON. It says nothing about speed.
func TestBenchSmoke(t *testing.T) {
	opt := redistest.Options(t)
	url := redistest.URLOf(opt)
	jsonPath := filepath.Join(t.TempDir(), "bench.json")
	var out bytes.Buffer
	err := benchTo(context.Background(), []string{
		"--redis", url, "-n", "40", "-c", "2", "-k", "4", "--batch", "10",
		"--lag-rate", "40", "--lag-window", "1s", "--preload", "40", "--rounds", "2", "--json", jsonPath,
	}, &out, io.Discard)
	if err != nil {
		t.Fatalf("bench: %v\n%s", err, out.String())
	}
	values := map[string]string{}
	var last []string
	sc := bufio.NewScanner(&out)
	for sc.Scan() {
		line := sc.Text()
		name, rest, ok := strings.Cut(line, "=")
		if !ok {
			t.Errorf("line without a figure: %q", line)
			continue
		}
		values[name], _, _ = strings.Cut(rest, " ")
		last = append(last, name)
	}
	for _, name := range []string{
		"asynq enqueue_per_sec", "asynq process_per_sec", "memory asynq_bytes_per_task",
		"handbuilt enqueue_per_sec", "handbuilt enqueue_roundtrips_per_task", "handbuilt process_per_sec",
		"handbuilt process_roundtrips_per_task", "memory handbuilt_bytes_per_task", "lag early_pct",
		"ingest events_per_sec", "ingest steps_per_sec", "ingest roundtrips_per_event",
		"memory ahead_bytes_per_intervention", "dispatch per_sec", "dispatch roundtrips_per_step",
		"lag p50_ms", "lag max_ms", "preload interventions", "preload ingest_steps_per_sec", "preload dispatch_per_sec",
		"preload asynq_enqueue_per_sec", "preload asynq_enqueue_vs_empty", "preload ingest_redis_cpu_us_per_event",
		"ratio preload_ingest_vs_empty", "ratio preload_dispatch_vs_empty",
		"rounds ingest_vs_asynq_enqueue_min", "rounds dispatch_vs_asynq_process_max",
		"replay ingest_steps_per_sec", "replay ingest_vs_asynq_enqueue", "replay dispatch_per_sec",
		"replay dispatch_vs_asynq_process", "rounds replay_dispatch_vs_asynq_process_min",
		"replay ingest_vs_handbuilt_enqueue", "replay dispatch_vs_handbuilt_process",
		"rounds ingest_vs_handbuilt_enqueue_min", "rounds memory_vs_handbuilt_max",
		"ratio ingest_vs_asynq_enqueue", "ratio dispatch_vs_asynq_process", "ratio memory_vs_asynq",
	} {
		v, ok := values[name]
		if !ok {
			t.Errorf("no line %q in:\n%s", name, out.String())
			continue
		}
		if f, err := strconv.ParseFloat(v, 64); err != nil || f != f {
			t.Errorf("%s=%q is not a number", name, v)
		}
	}
	if n := values["preload interventions"]; n != "40" {
		t.Errorf("preload interventions=%s, want 40", n)
	}
	want := []string{"ratio ingest_vs_handbuilt_enqueue", "ratio dispatch_vs_handbuilt_process", "ratio memory_vs_handbuilt", "lag_p99_ms", "lag_early_pct"}
	if len(last) < len(want) || strings.Join(last[len(last)-len(want):], "|") != strings.Join(want, "|") {
		t.Errorf("the report ends with %q, want %q", last[max(0, len(last)-len(want)):], want)
	}
	for _, name := range want {
		if f, err := strconv.ParseFloat(values[name], 64); err != nil || f != f || f == 0 && name != "lag_early_pct" {
			t.Errorf("%s=%q is not a measured number", name, values[name])
		}
	}

	b, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Machine struct {
			CPUs  int    `json:"cpus"`
			Redis string `json:"redis"`
		} `json:"machine"`
		Figures  map[string]map[string]*float64 `json:"figures"`
		Ratio    map[string]*float64            `json:"ratio"`
		LagP99ms *float64                       `json:"lag_p99_ms"`
		Targets  map[string]struct {
			Target string `json:"target"`
		} `json:"targets"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("bench JSON: %v\n%s", err, b)
	}
	if doc.Machine.CPUs < 1 || doc.Machine.Redis == "" {
		t.Errorf("JSON machine = %+v", doc.Machine)
	}
	for _, k := range []string{
		"ingest_vs_asynq_enqueue", "dispatch_vs_asynq_process", "memory_vs_asynq",
		"ingest_vs_handbuilt_enqueue", "dispatch_vs_handbuilt_process", "memory_vs_handbuilt",
	} {
		if doc.Ratio[k] == nil || fmt.Sprintf("%.3f", *doc.Ratio[k]) != values["ratio "+k] {
			t.Errorf("JSON ratio %s = %v, the report says %s", k, doc.Ratio[k], values["ratio "+k])
		}
	}
	if doc.LagP99ms == nil || fmt.Sprintf("%.1f", *doc.LagP99ms) != values["lag_p99_ms"] {
		t.Errorf("JSON lag_p99_ms = %v, the report says %s", doc.LagP99ms, values["lag_p99_ms"])
	}
	if v := doc.Figures["ingest"]["steps_per_sec"]; v == nil || fmt.Sprintf("%.1f", *v) != values["ingest steps_per_sec"] {
		t.Errorf("JSON figures.ingest.steps_per_sec = %v, the report says %s", v, values["ingest steps_per_sec"])
	}
	if doc.Targets["lag_p99_ms"].Target != "<=250" || doc.Targets["memory_vs_handbuilt"].Target != "<=1" {
		t.Errorf("JSON targets = %+v", doc.Targets)
	}
}

// Bench flushes the database it measures on, so it refuses one that
// holds keys.
func TestBenchRefusesAFullDatabase(t *testing.T) {
	opt := redistest.Options(t)
	c := redis.NewClient(opt)
	defer c.Close()
	if err := c.Set(context.Background(), "precious", "data", 0).Err(); err != nil {
		t.Fatal(err)
	}
	err := benchTo(context.Background(), []string{"--redis", redistest.URLOf(opt), "-n", "10"}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "holds 1 keys") {
		t.Fatalf("bench on a database with a key: %v, want a refusal", err)
	}
	if n, _ := c.Exists(context.Background(), "precious").Result(); n != 1 {
		t.Errorf("bench removed the key")
	}
}

func TestBenchUsage(t *testing.T) {
	for _, args := range [][]string{
		{"--redis", ""},
		{"--redis", "redis://127.0.0.1:1/0", "extra"},
		{"--redis", "redis://127.0.0.1:1/0", "--only", "everything"},
		{"--redis", "redis://127.0.0.1:1/0", "--batch", "5000"},
	} {
		err := benchTo(context.Background(), args, io.Discard, io.Discard)
		if err == nil {
			t.Errorf("bench %q: no error", args)
		}
	}
}
