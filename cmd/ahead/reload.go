package main

import (
	"context"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/aheadhq/ahead/engine"
	"github.com/fsnotify/fsnotify"
)

// watchFlows loads the flow folder again on SIGHUP and whenever a file in
// it or in its templates/ changes. The new set is validated first: a
// folder that does not validate is reported and the flows in force stay.
// Scheduled work is untouched; runs keep the flow version they started on.
func (n *node) watchFlows(ctx context.Context) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	var changed <-chan fsnotify.Event
	if fw, err := fsnotify.NewWatcher(); err != nil {
		n.log.Warn("watch flows: reload on SIGHUP only", "err", err)
	} else {
		defer fw.Close()
		for _, dir := range []string{n.cfg.Flows, filepath.Join(n.cfg.Flows, "templates")} {
			if err := fw.Add(dir); err != nil && dir == n.cfg.Flows {
				n.log.Warn("watch flows: reload on SIGHUP only", "dir", dir, "err", err)
			}
		}
		changed = fw.Events
	}
	// Editors write a file in several steps; wait for quiet before loading.
	var settle <-chan time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			n.reload("SIGHUP")
		case <-changed:
			settle = time.After(500 * time.Millisecond)
		case <-settle:
			settle = nil
			n.reload("file change")
		}
	}
}

// reload validates the flow folder and puts it in force.
func (n *node) reload(why string) {
	cat, err := engine.Load(n.cfg.Flows)
	if err == nil {
		err = n.checkFlows(cat)
	}
	if err != nil {
		n.log.Error("reload flows: keeping the flows in force", "trigger", why, "err", err)
		return
	}
	n.worker.SetCatalog(cat)
	n.log.Info("flows reloaded", "trigger", why, "flows", len(cat.Flows.Flows()))
}
