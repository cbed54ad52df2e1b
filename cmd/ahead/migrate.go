package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"time"

	"github.com/aheadhq/ahead/internal/clock"
	"github.com/aheadhq/ahead/internal/config"
	"github.com/aheadhq/ahead/internal/store"
	"github.com/aheadhq/ahead/tasks"
)

// migrate runs `ahead migrate --config FILE`: it moves the customers an
// earlier version of ahead kept in a key per event and intervention into
// this version's layout (see store.Store.Migrate), then the step tasks
// it scheduled in asynq into the due indexes (see tasks.Queue.Migrate).
// It is safe to run twice. Stop every process of the earlier version
// first: what they write after it ran is not moved.
func migrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("ahead migrate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", os.Getenv("AHEAD_CONFIG"), "configuration file (YAML)")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: ahead migrate [--config FILE]", errUsage)
	}
	cfg, err := config.Load(*path, nil)
	if err != nil {
		return err
	}
	rdb, err := connect(cfg)
	if err != nil {
		return err
	}
	defer rdb.Close()
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := rdb.Ping(pctx).Err(); err != nil {
		return fmt.Errorf("redis: %w", err)
	}
	r, err := store.New(rdb).Migrate(ctx)
	if r.Customers > 0 {
		fmt.Fprintf(stdout, "moved %d customers (%d interventions, %d events) into this version's layout\n",
			r.Customers, r.Interventions, r.Events)
	}
	if err != nil {
		return err
	}
	q := tasks.NewQueue(rdb, clock.Real{}, cfg.Worker.Shards, 0)
	queues, err := q.KnownStepQueues(ctx)
	if err != nil {
		return err
	}
	m, err := q.Migrate(ctx, queues)
	for _, d := range m {
		fmt.Fprintf(stdout, "migrated %d step tasks of %s into its due index; removed %d of ended interventions", d.Moved, d.Queue, d.Removed())
		if d.Erased > 0 || d.Unreadable > 0 {
			fmt.Fprintf(stdout, " (%d of erased customers, %d unreadable)", d.Erased, d.Unreadable)
		}
		if d.Queued > 0 {
			fmt.Fprintf(stdout, "; left %d that a running worker queued meanwhile", d.Queued)
		}
		fmt.Fprintln(stdout)
		if served := tasks.StepQueues(cfg.Worker.Shards); d.Moved > 0 && !slices.Contains(served, d.Queue) {
			fmt.Fprintf(stdout, "warning: no worker serves %s with worker.shards %d: its %d steps run once worker.shards is raised to include it\n",
				d.Queue, cfg.Worker.Shards, d.Moved)
		}
	}
	if err != nil {
		return err
	}
	if len(m) == 0 && r.Customers == 0 {
		fmt.Fprintln(stdout, "no customers or step tasks of an earlier version of ahead: nothing to migrate")
	}
	left, err := q.Unmigrated(ctx, queues)
	if err != nil {
		return err
	}
	if left > 0 {
		return fmt.Errorf("%d step tasks were scheduled the old way while ahead migrate ran: workers of an earlier version still run; stop them and run \"ahead migrate\" again", left)
	}
	return nil
}

// checkMigrated refuses a store that an earlier version left in its
// layout: customers kept in a key per event and intervention, or step
// tasks scheduled in asynq; this version must not run on a store left
// half in the old layout. On a migrated store it costs three round trips.
func checkMigrated(ctx context.Context, st *store.Store, q *tasks.Queue) error {
	layout, err := st.LayoutOf(ctx)
	if err != nil {
		return fmt.Errorf("redis: %w", err)
	}
	if layout != store.Layout {
		return fmt.Errorf("redis holds customers in the layout of an earlier version of ahead; stop every process of that version, run \"ahead migrate\" once, then start again")
	}
	queues, err := q.KnownStepQueues(ctx)
	if err != nil {
		return fmt.Errorf("redis: %w", err)
	}
	n, err := q.Unmigrated(ctx, queues)
	if err != nil {
		return fmt.Errorf("redis: %w", err)
	}
	if n > 0 {
		return fmt.Errorf("redis holds %d step tasks scheduled by an earlier version of ahead; run \"ahead migrate\" once, then start again", n)
	}
	return nil
}
