package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/aheadhq/ahead/engine"
	"github.com/aheadhq/ahead/flows"
	"github.com/aheadhq/ahead/flows/classics"
)

const initUsage = "ahead flows init DIR [--classic NAME]... [--force] | ahead flows init --list"

// names collects repeated (or comma-separated) --classic values.
type names []string

func (n *names) String() string { return strings.Join(*n, ",") }

func (n *names) Set(v string) error {
	for s := range strings.SplitSeq(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			*n = append(*n, s)
		}
	}
	return nil
}

// flowsInit runs `ahead flows init`: it copies experience classics (all,
// or those --classic names) into DIR to start from: their flow files, the
// templates their steps use, queues.yaml when a step uses a callback queue,
// and the sample events of their triggers, cancel rules and goals. It refuses to
// overwrite a file that differs unless --force; a file that is already
// there as it would be written is left alone.
func flowsInit(args []string, stdout io.Writer) error {
	fset := flag.NewFlagSet("ahead flows init", flag.ContinueOnError)
	fset.SetOutput(io.Discard)
	var picked names
	fset.Var(&picked, "classic", "a classic to copy (a file such as payment-failed, or a flow name); repeat for more; default: all")
	force := fset.Bool("force", false, "overwrite files that are there already")
	list := fset.Bool("list", false, "list the classics")
	// DIR may come before or after the flags.
	var dirs []string
	for {
		if err := fset.Parse(args); err != nil {
			return fmt.Errorf("%w: %v\n%s", errUsage, err, initUsage)
		}
		if fset.NArg() == 0 {
			break
		}
		dirs = append(dirs, fset.Arg(0))
		args = fset.Args()[1:]
	}
	lib, err := loadClassics()
	if err != nil {
		return err
	}
	if *list {
		return lib.list(stdout)
	}
	if len(dirs) != 1 {
		return fmt.Errorf("%w: %s", errUsage, initUsage)
	}
	dir := dirs[0]
	chosen, err := lib.choose(picked)
	if err != nil {
		return err
	}
	files := lib.files(chosen)
	var clash []string
	for _, name := range files {
		want, _ := fs.ReadFile(classics.FS, name)
		have, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
		switch {
		case errors.Is(err, fs.ErrNotExist), err == nil && bytes.Equal(have, want):
		case err != nil:
			return fmt.Errorf("flows init: %w", err)
		case !*force:
			clash = append(clash, filepath.Join(dir, filepath.FromSlash(name)))
		}
	}
	if len(clash) > 0 {
		return fmt.Errorf("flows init: %d files are there already and differ; nothing was written (--force overwrites them):\n  %s",
			len(clash), strings.Join(clash, "\n  "))
	}
	wrote := 0
	for _, name := range files {
		want, _ := fs.ReadFile(classics.FS, name)
		dst := filepath.Join(dir, filepath.FromSlash(name))
		if have, err := os.ReadFile(dst); err == nil && bytes.Equal(have, want) {
			continue
		}
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return fmt.Errorf("flows init: %w", err)
		}
		if err := os.WriteFile(dst, want, 0o644); err != nil {
			return fmt.Errorf("flows init: %w", err)
		}
		wrote++
	}
	fmt.Fprintf(stdout, "%s: %s: wrote %d of %d files (the others were there already)\n", dir, strings.Join(chosen, ", "), wrote, len(files))
	cat, err := engine.Load(dir)
	if err != nil {
		return fmt.Errorf("%s is not valid:\n%w", dir, err)
	}
	fmt.Fprintf(stdout, "%s: %d flows valid; try one with\n  ahead flows simulate --flows %s --event %s\n",
		dir, len(cat.Flows.Flows()), dir, filepath.Join(dir, "events", lib.sample(chosen)))
	return nil
}

// library is the embedded classics: one entry per flow file.
type library struct {
	names   []string                 // file names without .yaml, sorted
	summary map[string]string        // name: the first line of its header comment
	flows   map[string][]*flows.Flow // name: its flows
	events  map[string]string        // event type: the sample event file
}

// loadClassics reads the embedded classics.
func loadClassics() (*library, error) {
	lib := &library{summary: map[string]string{}, flows: map[string][]*flows.Flow{}, events: map[string]string{}}
	root, err := fs.ReadDir(classics.FS, ".")
	if err != nil {
		return nil, err
	}
	for _, e := range root {
		name, ok := strings.CutSuffix(e.Name(), ".yaml")
		if !ok || e.Name() == flows.QueuesFile || e.Name() == flows.PolicyFile {
			continue
		}
		b, _ := fs.ReadFile(classics.FS, e.Name())
		set, err := flows.Parse(e.Name(), b, nil)
		if err != nil {
			return nil, fmt.Errorf("the built-in classics do not load: %w", err)
		}
		lib.names = append(lib.names, name)
		lib.flows[name] = set.Flows()
		first, _, _ := strings.Cut(string(b), "\n")
		lib.summary[name] = strings.TrimSpace(strings.TrimPrefix(first, "#"))
	}
	samples, err := fs.ReadDir(classics.FS, "events")
	if err != nil {
		return nil, err
	}
	for _, e := range samples {
		b, _ := fs.ReadFile(classics.FS, path.Join("events", e.Name()))
		var ev struct{ Type string }
		if json.Unmarshal(b, &ev) == nil && ev.Type != "" {
			lib.events[ev.Type] = e.Name()
		}
	}
	slices.Sort(lib.names)
	return lib, nil
}

// list prints every classic with its flows and what it is for.
func (lib *library) list(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CLASSIC\tFLOWS\tWHAT")
	for _, name := range lib.names {
		var fl []string
		for _, f := range lib.flows[name] {
			fl = append(fl, f.Name)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", name, strings.Join(fl, ", "), lib.summary[name])
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nCopy some into a flow folder with\n  ahead flows init DIR --classic %s\n", lib.names[0])
	return nil
}

// choose resolves --classic values, a classic's file name or the name of
// one of its flows, to classics; none picks every classic.
func (lib *library) choose(picked []string) ([]string, error) {
	if len(picked) == 0 {
		return lib.names, nil
	}
	var out, unknown []string
	for _, p := range picked {
		name := strings.TrimSuffix(p, ".yaml")
		if _, ok := lib.flows[name]; !ok {
			name = lib.fileOf(p)
		}
		switch {
		case name == "":
			unknown = append(unknown, p)
		case !slices.Contains(out, name):
			out = append(out, name)
		}
	}
	if len(unknown) > 0 {
		return nil, fmt.Errorf("%w: unknown classic %s (known: %s; see ahead flows init --list)",
			errUsage, strings.Join(unknown, ", "), strings.Join(lib.names, ", "))
	}
	slices.Sort(out)
	return out, nil
}

// fileOf returns the classic that holds flow, or "".
func (lib *library) fileOf(flow string) string {
	for name, fl := range lib.flows {
		for _, f := range fl {
			if f.Name == flow {
				return name
			}
		}
	}
	return ""
}

// files returns the paths in classics.FS that the chosen classics need,
// sorted.
func (lib *library) files(chosen []string) []string {
	tmpls, _ := fs.ReadDir(classics.FS, "templates")
	var out []string
	add := func(p string) {
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	for _, name := range chosen {
		add(name + ".yaml")
		for _, f := range lib.flows[name] {
			types := []string{f.Trigger.Event}
			for _, r := range f.CancelOn {
				types = append(types, r.Event)
			}
			if f.Goal != nil && f.Goal.Event != "" {
				types = append(types, f.Goal.Event)
			}
			for _, st := range f.Steps {
				if st.Queue != "" {
					add(flows.QueuesFile)
				}
				for _, r := range st.CancelOn {
					types = append(types, r.Event)
				}
				for _, t := range tmpls {
					if strings.HasPrefix(t.Name(), st.Template+".") {
						add(path.Join("templates", t.Name()))
					}
				}
			}
			for _, typ := range types {
				if ev := lib.events[typ]; ev != "" {
					add(path.Join("events", ev))
				}
			}
		}
	}
	slices.Sort(out)
	return out
}

// sample returns a sample event of the first chosen classic's trigger.
func (lib *library) sample(chosen []string) string {
	for _, name := range chosen {
		for _, f := range lib.flows[name] {
			if ev := lib.events[f.Trigger.Event]; ev != "" {
				return ev
			}
		}
	}
	return "EVENT.json"
}
