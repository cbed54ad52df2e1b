package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/aheadhq/ahead/engine"
	"github.com/aheadhq/ahead/internal/clock"
	"github.com/aheadhq/ahead/internal/config"
)

// dev runs `ahead dev`: embedded Redis, the outbox channel, no auth.
func dev(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("ahead dev", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("flows", "flows/classics", "flow folder")
	addr := fs.String("addr", "127.0.0.1:8080", "API address")
	scale := fs.Float64("time-scale", 1, "run a virtual clock this many times faster than real time (1440: a day per minute)")
	redisURL := fs.String("redis", "", "use this Redis instead of the embedded one")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if *scale < 1 {
		return fmt.Errorf("%w: --time-scale: must be at least 1, got %v", errUsage, *scale)
	}
	cfg := config.Default()
	cfg.Flows = *dir
	cfg.API.Addr = *addr
	cfg.API.PublicURL = "http://" + *addr
	cfg.API.SigningKey = "ahead-dev-signing-key"
	cfg.Worker.PollInterval = config.Duration(time.Second)
	var clk clock.Clock = clock.Real{}
	if *scale > 1 {
		clk = clock.NewScaled(*scale)
		cfg.Worker.PollInterval = config.Duration(200 * time.Millisecond)
	}
	log := newLogger(cfg.Log, stderr)
	cat, err := engine.Load(cfg.Flows)
	if err != nil {
		return fmt.Errorf("flows %s:\n%w", cfg.Flows, err)
	}
	var rdb redis.UniversalClient
	if *redisURL != "" {
		opt, err := redis.ParseURL(*redisURL)
		if err != nil {
			return fmt.Errorf("--redis: %w", err)
		}
		rdb = redis.NewClient(opt)
	} else {
		mr, err := miniredis.Run()
		if err != nil {
			return fmt.Errorf("start embedded redis: %w", err)
		}
		defer mr.Close()
		go tickRedis(ctx, mr)
		rdb = redis.NewClient(&redis.Options{Addr: mr.Addr()})
	}
	n := &node{cfg: cfg, clock: clk, log: log, rdb: rdb, devMode: true}
	if err := n.open(ctx, cat); err != nil {
		return err
	}
	defer rdb.Close()
	go n.watchFlows(ctx)
	ready := make(chan string, 1)
	go func() {
		a, ok := <-ready
		if !ok {
			return
		}
		fmt.Fprintf(stdout, `ahead dev is running with %d flows from %s (time scale %gx).

  post an event:   curl -s -X POST http://%[4]s/v1/events -H 'Content-Type: application/json' -d @flows/classics/events/subscription-created.json
  timeline:        curl -s http://%[4]s/v1/customers/cus_123/timeline
  callback queue:  curl -s 'http://%[4]s/v1/callbacks?queue=retention'
  outbox:          curl -s http://%[4]s/v1/outbox
  flow report:     curl -s http://%[4]s/v1/reports/flows/day2-reassurance-call
  agent desk:      http://%[4]s/agent

`, len(cat.Flows.Flows()), cfg.Flows, *scale, a)
	}()
	return n.runAll(ctx, true, true, *addr, ready)
}

// tickRedis moves the embedded Redis's clock along, so keys with a TTL expire.
func tickRedis(ctx context.Context, mr *miniredis.Miniredis) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			mr.FastForward(time.Second)
		}
	}
}
