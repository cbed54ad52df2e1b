package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/aheadhq/ahead/internal/clock"
	"github.com/aheadhq/ahead/internal/config"
	"github.com/aheadhq/ahead/tasks"
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
	cat, err := tasks.Load(cfg.Flows)
	if err != nil {
		return fmt.Errorf("flows %s:\n%w", cfg.Flows, err)
	}
	n := &node{cfg: cfg, clock: clock.Real{}, log: log}
	if err := n.open(ctx, cat); err != nil {
		return err
	}
	defer n.rdb.Close()
	go reloadOnHUP(ctx, n)
	log.Info("ahead started", "mode", mode, "flows", len(cat.Flows.Flows()), "config", cfg.Redacted().Flows)
	return n.runAll(ctx, mode != "worker", mode != "api", cfg.API.Addr, nil)
}

// reloadOnHUP loads the flow folder again on SIGHUP. A folder that does
// not validate is reported and the flows in force stay.
func reloadOnHUP(ctx context.Context, n *node) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			cat, err := tasks.Load(n.cfg.Flows)
			if err != nil {
				n.log.Error("reload flows: keeping the flows in force", "err", err)
				continue
			}
			n.worker.SetCatalog(cat)
			n.log.Info("flows reloaded", "flows", len(cat.Flows.Flows()))
		}
	}
}
