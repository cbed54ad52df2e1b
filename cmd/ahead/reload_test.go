package main

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/aheadhq/ahead/engine"
	"github.com/aheadhq/ahead/internal/clock"
	"github.com/aheadhq/ahead/internal/config"
	"github.com/aheadhq/ahead/internal/redistest"
)

// logBuffer collects log lines from several goroutines.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) count(s string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Count(l.b.String(), s)
}

// copyFlows copies a flow folder to a new temporary one.
func copyFlows(t *testing.T, from string) string {
	t.Helper()
	to := t.TempDir()
	if err := os.CopyFS(to, os.DirFS(from)); err != nil {
		t.Fatal(err)
	}
	return to
}

// startWatched runs API and worker on the flow folder dir, with the flow
// watch that ahead serve runs, and returns the node's log.
func startWatched(t *testing.T, dir string) (*e2e, *logBuffer) {
	t.Helper()
	cfg := config.Default()
	cfg.Flows = dir
	cfg.API.Tokens = []config.Token{{Name: "e2e", Token: e2eToken, Scopes: []string{"admin"}}}
	cfg.Worker.PollInterval = config.Duration(100 * time.Millisecond)
	// The classics need their channels on to be put in force; nothing is
	// sent in these tests.
	cfg.SMTP.Host, cfg.SMTP.From = "127.0.0.1", "ahead@example.com"
	cfg.API.PublicURL = "https://ahead.example.com"
	cfg.Twilio = config.Twilio{
		AccountSID: "AC0123456789abcdef0123456789abcdef", AuthToken: "0123456789abcdef0123456789abcdef",
		APIURL: "http://127.0.0.1:1", SMSFrom: "+3197010000000", WhatsAppFrom: "+3197010000001",
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	cat, err := engine.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	logs := &logBuffer{}
	rdb := redis.NewClient(redistest.Options(t))
	t.Cleanup(func() { rdb.Close() })
	n := &node{cfg: cfg, clock: clock.Real{}, log: slog.New(slog.NewTextHandler(logs, nil)), rdb: rdb}
	ctx, cancel := context.WithCancel(context.Background())
	if err := n.open(ctx, cat); err != nil {
		t.Fatal(err)
	}
	ready := make(chan string, 1)
	done := make(chan error, 1)
	watching := make(chan struct{})
	go func() {
		defer close(watching)
		n.watchFlows(ctx)
	}()
	go func() { done <- n.runAll(ctx, true, true, "127.0.0.1:0", ready) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("server: %v", err)
		}
		<-watching
	})
	select {
	case addr := <-ready:
		return &e2e{t: t, url: "http://" + addr, clk: clock.Real{}}, logs
	case err := <-done:
		t.Fatalf("server stopped: %v", err)
	}
	return nil, nil
}

type flowList struct {
	Flows []struct {
		Name    string `json:"flow"`
		Version string `json:"version"`
		Steps   []struct {
			ID string `json:"id"`
			At string `json:"at"`
		} `json:"steps"`
	} `json:"flows"`
}

// version returns the version of flow in force, and the at of its first step.
func (e *e2e) version(flow string) (version, at string) {
	e.t.Helper()
	var fl flowList
	if code := e.do("GET", "/v1/flows", nil, &fl); code != 200 {
		e.t.Fatalf("GET /v1/flows: status %d", code)
	}
	for _, f := range fl.Flows {
		if f.Name == flow {
			return f.Version, f.Steps[0].At
		}
	}
	return "", ""
}

// waitFor polls cond every 50ms until it holds, for at most 15 seconds;
// every second it runs again when given, in case the first try went unseen.
func waitFor(t *testing.T, what string, cond func() bool, again func()) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	tick := time.Now().Add(time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		if again != nil && time.Now().After(tick) {
			again()
			tick = time.Now().Add(time.Second)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

type pending struct {
	Interventions []struct {
		Step    string `json:"step"`
		State   string `json:"state"`
		Version string `json:"flow_version"`
	} `json:"interventions"`
}

func TestReloadFlows(t *testing.T) {
	dir := copyFlows(t, "../../flows/classics")
	e, logs := startWatched(t, dir)
	const flow = "day4-first-invoice"
	v1, at := e.version(flow)
	if v1 == "" || at != "10:00" {
		t.Fatalf("flow %s: version %q at %q", flow, v1, at)
	}

	// A run started on the first version.
	now := time.Now().UTC()
	if code := e.do("POST", "/v1/events", event("evt_1", "subscription.created", "cus_1", now, true), nil); code != 202 {
		t.Fatalf("post event: status %d", code)
	}
	var before pending
	waitFor(t, "the run to be scheduled", func() bool {
		e.do("GET", "/v1/customers/cus_1/timeline", nil, &before)
		return len(before.Interventions) == 2
	}, nil)

	// A valid change is put in force.
	file := filepath.Join(dir, "new-subscriber.yaml")
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	changed := strings.Replace(string(src), `at: "10:00"`, `at: "11:00"`, 1)
	if changed == string(src) {
		t.Fatal("the new-subscriber classic has no at: 10:00 to change")
	}
	write := func(name, text string) func() {
		return func() {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	write("new-subscriber.yaml", changed)()
	var v2 string
	waitFor(t, "the changed flow to be in force", func() bool {
		v, at := e.version(flow)
		v2 = v
		return at == "11:00"
	}, write("new-subscriber.yaml", changed))
	if v2 == v1 {
		t.Errorf("the changed flow kept version %s", v1)
	}

	// An invalid file is reported; the flows in force stay.
	reloads := logs.count("keeping the flows in force")
	write("broken.yaml", "flow: broken\ntrigger: { event: a.b }\nsteps:\n  - { id: s, channel: pigeon, template: x }\n")()
	waitFor(t, "the invalid folder to be reported", func() bool {
		return logs.count("keeping the flows in force") > reloads
	}, nil)
	if v, at := e.version(flow); v != v2 || at != "11:00" {
		t.Errorf("after an invalid change: version %s at %s, want %s at 11:00", v, at, v2)
	}
	if code := e.do("GET", "/readyz", nil, nil); code != 200 {
		t.Errorf("readyz after an invalid change: %d", code)
	}

	// SIGHUP loads the folder again; fixed, it is in force.
	if err := os.Remove(filepath.Join(dir, "broken.yaml")); err != nil {
		t.Fatal(err)
	}
	hups := logs.count("trigger=SIGHUP")
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a reload on SIGHUP", func() bool { return logs.count("trigger=SIGHUP") > hups }, nil)

	// Nothing scheduled was lost, and the run keeps its version.
	var after pending
	e.do("GET", "/v1/customers/cus_1/timeline", nil, &after)
	if len(after.Interventions) != 2 {
		t.Fatalf("interventions after the reloads: %+v", after.Interventions)
	}
	for _, iv := range after.Interventions {
		if iv.State != "scheduled" {
			t.Errorf("step %s is %s after the reloads, want scheduled", iv.Step, iv.State)
		}
		if iv.Step == "invoice-explainer" && iv.Version != v1 {
			t.Errorf("run pinned to %s, want %s", iv.Version, v1)
		}
	}
}
