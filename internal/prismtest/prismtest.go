package prismtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// EnvDir is the environment variable that names the folder holding the
// OpenAPI files.
const EnvDir = "AHEAD_TWILIO_OPENAPI_DIR"

// ReadyTimeout bounds how long Start waits for Prism to answer. Prism reads
// and indexes a large contract first, which takes a few seconds on a busy
// machine.
const ReadyTimeout = 60 * time.Second

var (
	mu      sync.Mutex
	servers = map[string]*server{} // by contract path
)

// server is one Prism process.
type server struct {
	once sync.Once
	url  string
	err  error
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited
	out  *tail
}

// Start returns the base URL (http://127.0.0.1:PORT) of a Prism that
// serves spec, a file in the contract folder such as
// "twilio_api_v2010.json", in validating mode (prism mock --errors). The
// first call for a spec starts Prism and waits until it answers; later
// calls share it. See the package documentation for when it skips.
func Start(tb testing.TB, spec string) string {
	tb.Helper()
	root, err := RepoRoot()
	if err != nil {
		tb.Fatalf("prismtest: %v", err)
	}
	path := SpecPath(tb, spec)
	bin := filepath.Join(root, "e2e", "node_modules", ".bin", "prism")
	if _, err := os.Stat(bin); err != nil {
		unavailable(tb, "Prism is not installed at %s: run make deps to install it", bin)
	}

	mu.Lock()
	s, ok := servers[path]
	if !ok {
		s = &server{}
		servers[path] = s
	}
	mu.Unlock()
	s.once.Do(func() { s.url, s.err = s.start(bin, path) })
	if s.err != nil {
		tb.Fatalf("prismtest: %v", s.err)
	}
	return s.url
}

// SpecPath returns the path of spec in the contract folder, skipping (or
// under CI failing) the test when the folder is not there. An absolute spec
// is used as it is.
func SpecPath(tb testing.TB, spec string) string {
	tb.Helper()
	if filepath.IsAbs(spec) {
		return spec
	}
	dir := os.Getenv(EnvDir)
	if dir == "" {
		root, err := RepoRoot()
		if err != nil {
			tb.Fatalf("prismtest: %v", err)
		}
		dir = filepath.Join(filepath.Dir(root), "shared", "contracts")
		if _, err := os.Stat(dir); err != nil {
			unavailable(tb, "contract test skipped: %s is not set and the default contract folder %s does not exist; "+
				"set %s to the folder holding %s to run it", EnvDir, dir, EnvDir, spec)
		}
	}
	path, err := filepath.Abs(filepath.Join(dir, spec))
	if err != nil {
		tb.Fatalf("prismtest: %v", err)
	}
	if _, err := os.Stat(path); err != nil {
		tb.Fatalf("prismtest: contract %s: %v (the folder comes from %s, default ../shared/contracts)", spec, err, EnvDir)
	}
	return path
}

// EnvRequire is the environment variable that, set to 1, makes a contract
// test that cannot run fail instead of skip; make test sets it.
const EnvRequire = "AHEAD_REQUIRE_CONTRACTS"

// unavailable skips the test, or fails it when CI=true or
// AHEAD_REQUIRE_CONTRACTS=1.
func unavailable(tb testing.TB, format string, args ...any) {
	tb.Helper()
	switch {
	case os.Getenv(EnvRequire) == "1":
		tb.Fatalf("prismtest (%s=1, so not skipped): "+format, append([]any{EnvRequire}, args...)...)
	case os.Getenv("CI") == "true":
		tb.Fatalf("prismtest (CI=true, so not skipped): "+format, args...)
	}
	tb.Skipf(format, args...)
}

// RepoRoot returns the folder holding go.mod, found by walking up from the
// working directory.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("find the repository root: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("find the repository root: no go.mod above the working directory")
		}
		dir = parent
	}
}

// start runs Prism on a free port and waits until it answers. A port taken
// between choosing and binding it is tried again with another.
func (s *server) start(bin, spec string) (string, error) {
	var err error
	for range 3 {
		var port int
		if port, err = freePort(); err != nil {
			return "", err
		}
		var url string
		url, err = s.run(bin, spec, port)
		if err == nil {
			return url, nil
		}
		if !strings.Contains(s.out.String(), "EADDRINUSE") {
			break
		}
	}
	return "", err
}

func (s *server) run(bin, spec string, port int) (string, error) {
	s.out = &tail{max: 64 << 10}
	cmd := exec.Command(bin, "mock", "--errors", "-p", strconv.Itoa(port), "-h", "127.0.0.1", spec)
	cmd.Stdout, cmd.Stderr = s.out, s.out
	cmd.SysProcAttr = procAttr()
	if err := cmd.Start(); err != nil {
		return "", fmt.Errorf("start prism: %w", err)
	}
	s.cmd, s.done = cmd, make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(s.done)
	}()

	url := "http://127.0.0.1:" + strconv.Itoa(port)
	hc := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(ReadyTimeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url+"/", nil)
		res, err := hc.Do(req)
		cancel()
		if err == nil {
			res.Body.Close()
			return url, nil
		}
		select {
		case <-s.done:
			return "", fmt.Errorf("prism mock %s exited before it answered:\n%s", spec, s.out)
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.stop()
			return "", fmt.Errorf("prism mock %s did not answer within %v:\n%s", spec, ReadyTimeout, s.out)
		}
	}
}

// stop ends the process and waits for it.
func (s *server) stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	terminate(s.cmd)
	select {
	case <-s.done:
	case <-time.After(5 * time.Second):
		kill(s.cmd)
		<-s.done
	}
}

// Stop ends every Prism that Start started. Call it from TestMain after
// the tests ran:
//
//	func TestMain(m *testing.M) {
//		code := m.Run()
//		prismtest.Stop()
//		os.Exit(code)
//	}
func Stop() {
	mu.Lock()
	defer mu.Unlock()
	for path, s := range servers {
		s.stop()
		delete(servers, path)
	}
}

// Output returns the last lines Prism printed for spec (a file in the
// contract folder or an absolute path), for failure messages; "" when no
// Prism runs it.
func Output(tb testing.TB, spec string) string {
	tb.Helper()
	path := SpecPath(tb, spec)
	mu.Lock()
	s := servers[path]
	mu.Unlock()
	if s == nil || s.out == nil {
		return ""
	}
	return s.out.String()
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// tail keeps the last max bytes written to it.
type tail struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = t.buf[over:]
		if i := bytes.IndexByte(t.buf, '\n'); i >= 0 {
			t.buf = t.buf[i+1:]
		}
	}
	return len(p), nil
}

func (t *tail) String() string {
	if t == nil {
		return ""
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}
