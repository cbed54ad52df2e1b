package redistest

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// ClusterAddrs returns the seed addresses of the test Redis Cluster from
// REDIS_CLUSTER (host:port,host:port,…), or skips the test when it is
// unset: make test-cluster starts a cluster and sets it.
func ClusterAddrs(tb testing.TB) []string {
	tb.Helper()
	v := os.Getenv("REDIS_CLUSTER")
	if v == "" {
		tb.Skip("REDIS_CLUSTER is not set: make test-cluster starts a Redis Cluster and runs this test")
	}
	var addrs []string
	for _, a := range strings.Split(v, ",") {
		if a = strings.TrimSpace(a); a != "" {
			addrs = append(addrs, a)
		}
	}
	return addrs
}

// ClusterPassword returns the password of the test Redis Cluster, from
// REDIS_CLUSTER_PASSWORD ("" for none).
func ClusterPassword() string { return os.Getenv("REDIS_CLUSTER_PASSWORD") }

// Cluster returns a client of the test Redis Cluster with every master
// flushed, closed when the test ends. A cluster has one database, so tests
// that use it must not run in parallel with each other.
func Cluster(tb testing.TB) *redis.ClusterClient {
	tb.Helper()
	c := redis.NewClusterClient(&redis.ClusterOptions{Addrs: ClusterAddrs(tb), Password: ClusterPassword()})
	tb.Cleanup(func() { _ = c.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := c.ForEachMaster(ctx, func(ctx context.Context, m *redis.Client) error {
		return m.FlushAll(ctx).Err()
	})
	if err != nil {
		tb.Fatalf("flush redis cluster: %v", err)
	}
	return c
}

// Server is a redis-server process that a test stops and starts again on
// the same port and folder, to see what survives a restart.
type Server struct {
	// Port is the loopback port it listens on; Dir holds its files.
	Port int
	Dir  string
	args []string
	conf string // a sentinel's configuration file
	cmd  *exec.Cmd
}

// StartServer starts a redis-server on a free loopback port with its files
// in dir, configured by args (e.g. "--appendonly", "yes"). It is stopped
// when the test ends.
func StartServer(tb testing.TB, dir string, args ...string) *Server {
	tb.Helper()
	return start(tb, &Server{Dir: dir, args: args})
}

// StartSentinel starts a Redis Sentinel (redis-server --sentinel) on a
// free loopback port that monitors the master at addr as name, with a
// quorum of one and a short down-after time, and stops it when the test
// ends.
func StartSentinel(tb testing.TB, name, addr string) *Server {
	tb.Helper()
	host, port, _ := strings.Cut(addr, ":")
	dir := tb.TempDir()
	conf := filepath.Join(dir, "sentinel.conf")
	body := fmt.Sprintf("sentinel monitor %s %s %s 1\nsentinel down-after-milliseconds %s 1000\nsentinel failover-timeout %s 10000\n",
		name, host, port, name, name)
	if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
		tb.Fatal(err)
	}
	return start(tb, &Server{Dir: dir, conf: conf})
}

// start starts s on a free port and stops it when the test ends.
func start(tb testing.TB, s *Server) *Server {
	tb.Helper()
	port, err := FreePort()
	if err != nil {
		tb.Fatal(err)
	}
	s.Port = port
	if err := s.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(s.Kill)
	return s
}

// Addr is the server's host:port.
func (s *Server) Addr() string { return fmt.Sprintf("127.0.0.1:%d", s.Port) }

// URL is the server's database 0.
func (s *Server) URL() string { return fmt.Sprintf("redis://127.0.0.1:%d/0", s.Port) }

// Start starts the server (again) and waits until it answers.
func (s *Server) Start() error {
	if s.cmd != nil {
		return fmt.Errorf("redis-server on port %d is running", s.Port)
	}
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return fmt.Errorf("redis-server not found on PATH: install the Debian package redis-server (make deps does)")
	}
	var all []string
	if s.conf != "" {
		all = []string{s.conf, "--sentinel"}
	}
	all = append(append(all, "--port", strconv.Itoa(s.Port), "--bind", "127.0.0.1", "--dir", s.Dir,
		"--logfile", filepath.Join(s.Dir, "redis.log")), s.args...)
	cmd := exec.Command(bin, all...)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start redis-server: %w", err)
	}
	s.cmd = cmd
	if err := WaitReady(s.URL(), 30*time.Second); err != nil {
		s.Kill()
		return err
	}
	return nil
}

// Stop shuts the server down the way a service manager does (SIGTERM):
// Redis writes what it must to disk and exits. It waits up to a minute.
func (s *Server) Stop() error {
	if s.cmd == nil {
		return nil
	}
	cmd := s.cmd
	s.cmd = nil
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return fmt.Errorf("stop redis-server: %w", err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("redis-server exited: %w", err)
		}
		return nil
	case <-time.After(time.Minute):
		_ = cmd.Process.Kill()
		<-done
		return fmt.Errorf("redis-server on port %d did not stop within a minute", s.Port)
	}
}

// Kill stops the server at once, without letting it write anything.
func (s *Server) Kill() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	_ = s.cmd.Wait()
	s.cmd = nil
}

// URLOf returns the redis:// URL of o's address, database and credentials,
// for a process that takes a URL (ahead's redis.url, ahead bench --redis).
func URLOf(o *redis.Options) string {
	u := url.URL{Scheme: "redis", Host: o.Addr, Path: fmt.Sprintf("/%d", o.DB)}
	if o.Password != "" {
		u.User = url.UserPassword(o.Username, o.Password)
	}
	return u.String()
}
