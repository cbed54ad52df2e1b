package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/aheadhq/ahead/engine"
	"github.com/aheadhq/ahead/flows"
	"github.com/aheadhq/ahead/internal/redistest"
	"github.com/aheadhq/ahead/internal/smtptest"
	"github.com/aheadhq/ahead/internal/store"
)

var binDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "ahead-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	code := redistest.Main(m)
	os.RemoveAll(dir)
	os.Exit(code)
}

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// binary builds the ahead command once per test run and returns its path.
func binary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
		if _, err := os.Stat(goTool); err != nil {
			goTool = "go"
		}
		binPath = filepath.Join(binDir, "ahead")
		cmd := exec.Command(goTool, "build", "-o", binPath, "github.com/aheadhq/ahead/cmd/ahead")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("build ahead: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// flowsDir is a flow folder under testdata: "flows" unless named.
func flowsDir(t *testing.T, name string) string {
	t.Helper()
	if name == "" {
		name = "flows"
	}
	d, err := filepath.Abs(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// setup is what the ahead processes of one test share.
type setup struct {
	redisURL    string   // a single Redis, or
	cluster     []string // a Redis Cluster
	smtp        *smtptest.Server
	concurrency int
	shards      int
	flows       string // the folder under testdata; "" for flows
}

// freeAddr returns a loopback address that was free a moment ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	p, err := redistest.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("127.0.0.1:%d", p)
}

func quote(s string) string { b, _ := json.Marshal(s); return string(b) }

// config writes a configuration file for one process: its API listens on
// apiAddr and, for `ahead worker`, its probes on probeAddr.
func (s setup) config(t *testing.T, apiAddr, probeAddr string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("redis:\n")
	if len(s.cluster) > 0 {
		b.WriteString("  cluster: [")
		for i, a := range s.cluster {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(quote(a))
		}
		b.WriteString("]\n")
		if pw := redistest.ClusterPassword(); pw != "" {
			fmt.Fprintf(&b, "  password: %s\n", quote(pw))
		}
	} else {
		fmt.Fprintf(&b, "  url: %s\n", quote(s.redisURL))
	}
	fmt.Fprintf(&b, `api:
  addr: %s
  public_url: "https://ahead.test"
  insecure_no_auth: true
  signing_key: "e2e-signing-key-0123456789"
flows: %s
defaults: { timezone: UTC, locale: en, formality: informal }
smtp: { host: %s, port: %d, tls: none, from: "Ahead <ahead@ahead.test>", timeout: 30s }
worker:
  concurrency: %d
  shards: %d
  poll_interval: 100ms
  shutdown_timeout: 10s
  addr: %s
log: { level: warn, format: text }
`, quote(apiAddr), quote(flowsDir(t, s.flows)), quote(s.smtp.Host), s.smtp.Port, s.concurrency, s.shards, quote(probeAddr))
	p := filepath.Join(t.TempDir(), "ahead.yaml")
	if err := os.WriteFile(p, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// logBuffer keeps what a process writes.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// proc is one running ahead process.
type proc struct {
	t      *testing.T
	name   string
	mode   string
	config string
	addr   string // where /readyz answers
	cmd    *exec.Cmd
	log    *logBuffer
	exited chan struct{}
}

// start runs `ahead mode --config …`: serve and api answer /readyz on
// their API address, worker on its probe address.
func (s setup) start(t *testing.T, name, mode string) *proc {
	t.Helper()
	apiAddr, probeAddr := freeAddr(t), freeAddr(t)
	p := &proc{t: t, name: name, mode: mode, config: s.config(t, apiAddr, probeAddr), addr: apiAddr}
	if mode == "worker" {
		p.addr = probeAddr
	}
	p.run()
	t.Cleanup(func() {
		p.stop()
		if t.Failed() {
			t.Logf("log of %s:\n%s", p.name, tail(p.log.String(), 40))
		}
	})
	return p
}

// run starts the process and waits until it is ready.
func (p *proc) run() {
	p.t.Helper()
	p.log = &logBuffer{}
	p.exited = make(chan struct{})
	p.cmd = exec.Command(binary(p.t), p.mode, "--config", p.config)
	p.cmd.Env = cleanEnv()
	p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
	if err := p.cmd.Start(); err != nil {
		p.t.Fatalf("start %s: %v", p.name, err)
	}
	go func(cmd *exec.Cmd, exited chan struct{}) {
		_ = cmd.Wait()
		close(exited)
	}(p.cmd, p.exited)
	p.waitReady(time.Minute)
}

// url is the process's base URL.
func (p *proc) url() string { return "http://" + p.addr }

func (p *proc) waitReady(limit time.Duration) {
	p.t.Helper()
	deadline := time.Now().Add(limit)
	for {
		select {
		case <-p.exited:
			p.t.Fatalf("%s exited at start:\n%s", p.name, tail(p.log.String(), 40))
		default:
		}
		resp, err := http.Get(p.url() + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("%s not ready after %s (last: %v):\n%s", p.name, limit, err, tail(p.log.String(), 40))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// kill stops the process at once (SIGKILL), as a crash or an OOM kill does.
func (p *proc) kill() {
	if p.cmd == nil {
		return
	}
	_ = p.cmd.Process.Kill()
	<-p.exited
	p.cmd = nil
}

// stop asks the process to stop (SIGTERM) and waits for it.
func (p *proc) stop() {
	if p.cmd == nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(30 * time.Second):
		p.t.Errorf("%s did not stop within 30s of SIGTERM", p.name)
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
	p.cmd = nil
}

// restart starts the process again with the same configuration.
func (p *proc) restart() {
	p.t.Helper()
	p.run()
}

// cleanEnv is the test's environment without AHEAD_ settings, which would
// override the configuration file.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AHEAD_") {
			env = append(env, kv)
		}
	}
	return env
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// event returns an event of type typ for its own customer, who has an
// email address.
func event(typ, cus, id string, occurred time.Time) *flows.Event {
	return &flows.Event{
		ID: id, Type: typ, CustomerID: cus, OccurredAt: occurred.UTC(), Subject: "sub_" + cus,
		Customer: &flows.Customer{Name: "Customer " + cus, Email: cus + "@example.test", Timezone: "UTC", Locale: "en"},
	}
}

// post posts events to the API in batches of up to 500.
func post(t *testing.T, api *proc, evs []*flows.Event) {
	t.Helper()
	for from := 0; from < len(evs); from += 500 {
		part := evs[from:min(from+500, len(evs))]
		b, err := json.Marshal(part)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.Post(api.url()+"/v1/events", "application/json", bytes.NewReader(b))
		if err != nil {
			t.Fatalf("post events: %v", err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var res struct{ Accepted int }
		if resp.StatusCode != http.StatusAccepted || json.Unmarshal(body, &res) != nil || res.Accepted != len(part) {
			t.Fatalf("post %d events: status %d: %s", len(part), resp.StatusCode, body)
		}
	}
}

// getJSON decodes the answer to a GET.
func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("get %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("get %s: status %d: %s", url, resp.StatusCode, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("get %s: %v: %s", url, err, body)
	}
}

// planned is one intervention an event should have started.
type planned struct {
	customer, id string
}

// interventions lists the interventions that events start in flow, one
// per step.
func interventions(evs []*flows.Event, flow string, steps ...string) []planned {
	var out []planned
	for _, e := range evs {
		for _, s := range steps {
			out = append(out, planned{e.CustomerID, engine.InterventionID(e.CustomerID, e.ID, flow, s)})
		}
	}
	return out
}

// received counts the messages the SMTP server accepted per intervention
// id, read from each message's Message-ID (<iv_…@ahead.test>).
func received(t *testing.T, msgs []smtptest.Message) map[string]int {
	t.Helper()
	n := map[string]int{}
	for _, m := range msgs {
		msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
		if err != nil {
			t.Fatalf("read received message: %v", err)
		}
		id := strings.Trim(msg.Header.Get("Message-Id"), "<>")
		id, _, _ = strings.Cut(id, "@")
		n[id]++
	}
	return n
}

// states reads the state of every planned intervention.
func states(ctx context.Context, st *store.Store, ivs []planned) (map[string]*store.Intervention, error) {
	out := make(map[string]*store.Intervention, len(ivs))
	var mu sync.Mutex
	var first error
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	for _, p := range ivs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			iv, err := st.Intervention(ctx, p.customer, p.id)
			mu.Lock()
			defer mu.Unlock()
			if err != nil && first == nil {
				first = err
			}
			out[p.id] = iv
		}()
	}
	wg.Wait()
	return out, first
}

// waitFinal waits until every planned intervention is in a final state and
// returns them.
func waitFinal(t *testing.T, st *store.Store, ivs []planned, limit time.Duration) map[string]*store.Intervention {
	t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(limit)
	for {
		got, err := states(ctx, st, ivs)
		open := 0
		var example string
		if err == nil {
			for id, iv := range got {
				if !store.Final(iv.State) {
					open++
					example = id + " " + iv.State
				}
			}
			if open == 0 {
				return got
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %s: %d of %d interventions not final (e.g. %s), err %v", limit, open, len(ivs), example, err)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// redisURL returns a URL of an empty database of the test's own.
func redisURL(t *testing.T) (string, *redis.Client) {
	t.Helper()
	opt := redistest.Options(t)
	c := redis.NewClient(opt)
	t.Cleanup(func() { c.Close() })
	return redistest.URLOf(opt), c
}
