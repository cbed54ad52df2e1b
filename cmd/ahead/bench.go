package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	benchmark "github.com/aheadhq/ahead/bench"
	"github.com/aheadhq/ahead/engine"
	"github.com/aheadhq/ahead/internal/clock"
	"github.com/aheadhq/ahead/internal/config"
)

// bench runs `ahead bench`: ahead beside a hand-built asynq app and
// id-only asynq tasks on one Redis, in one run.
func bench(ctx context.Context, args []string, stdout io.Writer) error {
	return benchTo(ctx, args, stdout, os.Stderr)
}

func benchTo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("ahead bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	url := fs.String("redis", os.Getenv("REDIS_URL"), "Redis URL of an empty database that bench may flush (default $REDIS_URL)")
	n := fs.Int("n", 20000, "tasks, events and interventions per measurement")
	c := fs.Int("c", 8, "concurrent producers: goroutines enqueueing, clients posting")
	k := fs.Int("k", 20, "worker concurrency, for raw asynq, the hand-built app and ahead")
	batch := fs.Int("batch", 100, "events per POST /v1/events")
	shards := fs.Int("shards", 4, "step queues")
	poll := fs.Duration("poll", 100*time.Millisecond, "delayed-task check interval of the workers (worker.poll_interval)")
	rate := fs.Int("lag-rate", 200, "interventions due per second while lag is measured")
	window := fs.Duration("lag-window", 20*time.Second, "how long lag is measured")
	rounds := fs.Int("rounds", 3, "times to repeat the paired measurements; figures are medians")
	preload := fs.Int("preload", 0, "also measure ingest and dispatch beside this many scheduled interventions (e.g. 1000000)")
	jsonPath := fs.String("json", "", "also write the figures as JSON to this file")
	profile := fs.String("cpuprofile", "", "write CPU profiles of ingest and dispatch into this folder")
	only := fs.String("only", "", "run only these measurements, comma-separated: "+strings.Join(benchmark.Measurements, ", "))
	verbose := fs.Bool("v", false, "print progress and ahead's warnings on standard error")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: ahead bench takes no arguments, got %q", errUsage, fs.Args())
	}
	if *url == "" {
		return fmt.Errorf("%w: ahead bench needs --redis or REDIS_URL (make bench starts a throwaway redis-server)", errUsage)
	}
	opt, err := redis.ParseURL(*url)
	if err != nil {
		return fmt.Errorf("%w: --redis: %v", errUsage, err)
	}
	log := slog.New(slog.DiscardHandler)
	var progress io.Writer
	if *verbose {
		log = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
		progress = stderr
	}
	var measures []string
	if *only != "" {
		measures = strings.Split(*only, ",")
	}
	res, err := benchmark.Run(ctx, benchmark.Options{
		Redis: opt, Start: benchNode(log), N: *n, C: *c, K: *k, Batch: *batch, Shards: *shards,
		Poll: *poll, LagRate: *rate, LagWindow: *window, Rounds: *rounds, Preload: *preload, Profile: *profile,
		Only: measures, Progress: progress,
	})
	if err != nil {
		return err
	}
	if err := res.Print(stdout); err != nil {
		return err
	}
	if *jsonPath != "" {
		b, err := res.JSON()
		if err != nil {
			return err
		}
		if err := os.WriteFile(*jsonPath, append(b, '\n'), 0o644); err != nil {
			return fmt.Errorf("--json: %w", err)
		}
	}
	return nil
}

// benchNode runs ahead for the bench as `ahead serve` does: the same node,
// API and worker, with the outbox channel and no authentication.
func benchNode(log *slog.Logger) benchmark.Starter {
	return func(ctx context.Context, o benchmark.NodeOptions) (*benchmark.Node, error) {
		cfg := config.Default()
		cfg.Flows = o.Flows
		cfg.API.Addr = "127.0.0.1:0"
		cfg.API.InsecureNoAuth = true
		cfg.Worker.Addr = ""
		cfg.Worker.Concurrency = o.Concurrency
		cfg.Worker.Shards = o.Shards
		cfg.Worker.PollInterval = config.Duration(o.Poll)
		cat, err := engine.Load(o.Flows)
		if err != nil {
			return nil, fmt.Errorf("flows %s: %w", o.Flows, err)
		}
		n := &node{cfg: cfg, clock: clock.Real{}, log: log, rdb: o.Redis}
		ctx, cancel := context.WithCancel(ctx)
		if err := n.open(ctx, cat); err != nil {
			cancel()
			return nil, err
		}
		out := &benchmark.Node{}
		ready := make(chan string, 1)
		done := make(chan error, 1)
		go func() { done <- n.runAll(ctx, o.API, o.Worker, cfg.API.Addr, ready) }()
		var once sync.Once
		var stopErr error
		out.Stop = func() error {
			once.Do(func() { cancel(); stopErr = <-done })
			return stopErr
		}
		if o.API {
			select {
			case addr := <-ready:
				out.URL = "http://" + addr
			case err := <-done:
				cancel()
				if err == nil {
					err = errors.New("api stopped at start")
				}
				return nil, err
			}
		}
		return out, nil
	}
}
