package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // zone data in the binary, for images without it
)

const usage = `ahead reaches customers before they reach you.

Usage:
  ahead dev [--flows DIR] [--addr HOST:PORT] [--time-scale N]
      Embedded Redis, the experience classics, the outbox channel, the API without auth.
  ahead serve --config FILE     API and worker (production)
  ahead api --config FILE       API only
  ahead worker --config FILE    worker only
  ahead migrate --config FILE   once, on upgrade: move what an earlier version left in its layout
  ahead flows validate DIR      check every flow and template in DIR
  ahead flows init DIR [--classic NAME]... [--force] | --list
      copy experience classics into DIR to start from
  ahead flows simulate --flows DIR --event FILE [--now RFC3339] [--json]
      the interventions an event would schedule, without Redis
  ahead events send [--url URL] [--token TOKEN] FILE...
      post events (a JSON object or array per file, - for standard input)
  ahead report FLOW [--url URL] [--token TOKEN] [--effect 0.02] [--json]
      a flow's measured effect: treatment against holdout, with intervals
  ahead report --synthetic      recover a known effect from synthetic entrants
  ahead bench                   performance figures beside raw asynq
  ahead health [--url URL]      exit 0 when the probe at URL answers 200 (container health checks)
`

// errUsage marks a usage error: exit status 2.
var errUsage = errors.New("usage")

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	switch {
	case err == nil:
	case errors.Is(err, errUsage):
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	default:
		fmt.Fprintln(os.Stderr, "ahead:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("%w: no command", errUsage)
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "dev":
		return dev(ctx, rest, stdout, stderr)
	case "serve", "api", "worker":
		return serve(ctx, cmd, rest, stderr)
	case "flows":
		if len(rest) == 0 {
			return fmt.Errorf("%w: ahead flows validate|simulate|init", errUsage)
		}
		switch rest[0] {
		case "validate":
			return validate(rest[1:], stdout)
		case "simulate":
			return simulate(rest[1:], stdout)
		case "init":
			return flowsInit(rest[1:], stdout)
		}
		return fmt.Errorf("%w: unknown flows command %q (validate, simulate, init)", errUsage, rest[0])
	case "events":
		if len(rest) == 0 || rest[0] != "send" {
			return fmt.Errorf("%w: ahead events send [--url URL] [--token TOKEN] FILE...", errUsage)
		}
		return sendEvents(ctx, rest[1:], stdin, stdout)
	case "migrate":
		return migrate(ctx, rest, stdout, stderr)
	case "health":
		return health(ctx, rest, stdout)
	case "report":
		return report(ctx, rest, stdout, stderr)
	case "bench":
		return bench(ctx, rest, stdout)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("%w: unknown command %q", errUsage, cmd)
}
