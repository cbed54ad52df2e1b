package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/aheadhq/ahead/engine"
	"github.com/aheadhq/ahead/internal/clock"
	"github.com/aheadhq/ahead/internal/config"
)

func newLogger(cfg config.Log, w io.Writer) *slog.Logger {
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(cfg.Level))
	opts := &slog.HandlerOptions{Level: lvl}
	if cfg.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// serve runs `ahead serve|api|worker --config FILE`.
func serve(ctx context.Context, mode string, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("ahead "+mode, flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", os.Getenv("AHEAD_CONFIG"), "configuration file (YAML)")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	cfg, err := config.Load(*path, nil)
	if err != nil {
		return err
	}
	if mode != "worker" {
		if err := cfg.Requires(mode); err != nil {
			return err
		}
	}
	log := newLogger(cfg.Log, stderr)
	cat, err := engine.Load(cfg.Flows)
	if err != nil {
		return fmt.Errorf("flows %s:\n%w", cfg.Flows, err)
	}
	if mode != "api" {
		warnings, err := checkChannels(cfg, cat)
		if err != nil {
			return fmt.Errorf("flows %s need channels the configuration leaves off:\n%w", cfg.Flows, err)
		}
		for _, w := range warnings {
			log.Warn("a channel of a step is off", "where", w)
		}
	}
	n := &node{cfg: cfg, clock: clock.Real{}, log: log}
	if mode != "worker" {
		if n.stripe, err = stripeSource(cfg.Sources.Stripe); err != nil {
			return err
		}
	}
	if err := n.open(ctx, cat); err != nil {
		return err
	}
	defer n.rdb.Close()
	go n.watchFlows(ctx)
	log.Info("ahead started", "mode", mode, "flows", len(cat.Flows.Flows()), "config", cfg.Redacted().Flows)
	return n.runAll(ctx, mode != "worker", mode != "api", cfg.API.Addr, nil)
}
