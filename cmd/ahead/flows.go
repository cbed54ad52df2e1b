package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"text/tabwriter"
	"time"

	"github.com/aheadhq/ahead/engine"
	"github.com/aheadhq/ahead/flows"
	"github.com/aheadhq/ahead/internal/config"
)

// validate runs `ahead flows validate [--config FILE] DIR`: exit status 0
// only when every flow and template in DIR is valid and, with a
// configuration, every step has a channel it turns on. Warnings (see
// flows.Set.Warnings) are printed and do not change the exit status.
func validate(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("ahead flows validate", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	path := fs.String("config", "", "configuration file: check that it turns on a channel of every step")
	if err := fs.Parse(args); err != nil || fs.NArg() != 1 {
		return fmt.Errorf("%w: ahead flows validate [--config FILE] DIR", errUsage)
	}
	dir := fs.Arg(0)
	cat, err := engine.Load(dir)
	if err != nil {
		return fmt.Errorf("%s is not valid:\n%w", dir, err)
	}
	if *path != "" {
		cfg, err := config.Load(*path, nil)
		if err != nil {
			return err
		}
		warnings, err := checkChannels(cfg, cat)
		for _, w := range warnings {
			fmt.Fprintf(stdout, "warning: %s\n", w)
		}
		if err != nil {
			return fmt.Errorf("%s needs channels %s leaves off:\n%w", dir, *path, err)
		}
	}
	fmt.Fprintf(stdout, "%s: %d flows valid\n", dir, len(cat.Flows.Flows()))
	for _, f := range cat.Flows.Flows() {
		fmt.Fprintf(stdout, "  %s (%d steps, version %s)\n", f.Name, len(f.Steps), f.Version)
	}
	for _, w := range cat.Flows.Warnings() {
		fmt.Fprintf(stdout, "warning: %v\n", w)
	}
	return nil
}

// simulate runs `ahead flows simulate`: what an event would schedule.
func simulate(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("ahead flows simulate", flag.ContinueOnError)
	dir := fs.String("flows", "", "flow folder (required)")
	file := fs.String("event", "", "event JSON file, - for standard input (required)")
	nowFlag := fs.String("now", "", "the time the event is handled, RFC 3339 (default: now)")
	asJSON := fs.Bool("json", false, "print JSON")
	tz := fs.String("timezone", config.Default().Defaults.Timezone, "default time zone for customers without one")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if *dir == "" || *file == "" {
		return fmt.Errorf("%w: ahead flows simulate --flows DIR --event FILE [--now RFC3339] [--json]", errUsage)
	}
	now := time.Now()
	if *nowFlag != "" {
		t, err := time.Parse(time.RFC3339, *nowFlag)
		if err != nil {
			return fmt.Errorf("--now: %w", err)
		}
		now = t
	}
	cat, err := engine.Load(*dir)
	if err != nil {
		return fmt.Errorf("%s is not valid:\n%w", *dir, err)
	}
	var raw []byte
	if *file == "-" {
		raw, err = io.ReadAll(os.Stdin)
	} else {
		raw, err = os.ReadFile(*file)
	}
	if err != nil {
		return fmt.Errorf("--event: %w", err)
	}
	var ev flows.Event
	if err := json.Unmarshal(raw, &ev); err != nil {
		return fmt.Errorf("--event %s: %w", *file, err)
	}
	if errs := flows.ValidateEvent(&ev); len(errs) > 0 {
		msg := ""
		for _, e := range errs {
			msg += "\n  " + e.Error()
		}
		return fmt.Errorf("--event %s is not valid:%s", *file, msg)
	}
	plans, err := flows.Simulate(cat.Flows, &ev, now, *tz)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if plans == nil {
			plans = []flows.Planned{}
		}
		return enc.Encode(plans)
	}
	if len(plans) == 0 {
		fmt.Fprintf(stdout, "event %s (%s) triggers no flow\n", ev.ID, ev.Type)
		return nil
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "FLOW\tSTEP\tARM\tCHANNELS\tDUE (UTC)\tDUE (LOCAL)\tREASON")
	for _, p := range plans {
		due := p.Due.UTC().Format(time.RFC3339)
		if p.Skipped {
			due = "skipped"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%v\t%s\t%s\t%s\n", p.Flow, p.Step, p.Arm, p.Channels, due, p.DueLocal, p.Reason)
	}
	return tw.Flush()
}
