package redistest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Main runs the tests of a package. Without REDIS_URL it starts a
// redis-server on a free port for them and stops it afterwards. Use it as
//
//	func TestMain(m *testing.M) { os.Exit(redistest.Main(m)) }
func Main(m *testing.M) int {
	if os.Getenv("REDIS_URL") != "" {
		return m.Run()
	}
	stop, url, err := Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, "redistest:", err)
		return 1
	}
	defer stop()
	os.Setenv("REDIS_URL", url)
	return m.Run()
}

// Start starts a redis-server on a free loopback port with no persistence.
// It returns a function that stops it and the server's URL.
func Start(args ...string) (stop func(), url string, err error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, "", fmt.Errorf("redis-server not found on PATH: install the Debian package redis-server (make deps does), or set REDIS_URL")
	}
	port, err := FreePort()
	if err != nil {
		return nil, "", err
	}
	dir, err := os.MkdirTemp("", "ahead-redis-")
	if err != nil {
		return nil, "", err
	}
	all := append([]string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir, "--databases", "64"}, args...)
	cmd := exec.Command(bin, all...)
	cmd.Stdout, cmd.Stderr = nil, nil
	if err := cmd.Start(); err != nil {
		return nil, "", fmt.Errorf("start redis-server: %w", err)
	}
	url = fmt.Sprintf("redis://127.0.0.1:%d/0", port)
	stop = func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		_ = os.RemoveAll(filepath.Clean(dir))
	}
	if err := WaitReady(url, 10*time.Second); err != nil {
		stop()
		return nil, "", err
	}
	return stop, url, nil
}

// WaitReady waits until the Redis at url answers PING. Any reply counts,
// an error too: a server that requires a password answers NOAUTH.
func WaitReady(url string, timeout time.Duration) error {
	opt, err := redis.ParseURL(url)
	if err != nil {
		return err
	}
	c := redis.NewClient(opt)
	defer c.Close()
	deadline := time.Now().Add(timeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := c.Ping(ctx).Err()
		cancel()
		var reply redis.Error
		if err == nil || errors.As(err, &reply) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("redis at %s not ready: %w", url, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// URL returns the test server's URL from REDIS_URL, failing the test when
// it is unset (call Main from TestMain).
func URL(tb testing.TB) string {
	tb.Helper()
	u := os.Getenv("REDIS_URL")
	if u == "" {
		tb.Fatal("REDIS_URL is not set: run the tests with make test, or call redistest.Main from TestMain")
	}
	return u
}

// New returns a client on an empty database of its own, closed when the test ends.
func New(tb testing.TB) *redis.Client {
	tb.Helper()
	opt := Options(tb)
	c := redis.NewClient(opt)
	tb.Cleanup(func() { _ = c.Close() })
	return c
}

// Options returns the options of an empty database of the test's own. The
// server must have been started with enough databases (Start uses 64;
// make test's server too).
func Options(tb testing.TB) *redis.Options {
	tb.Helper()
	opt, err := redis.ParseURL(URL(tb))
	if err != nil {
		tb.Fatalf("parse REDIS_URL: %v", err)
	}
	ctx := context.Background()
	admin := redis.NewClient(opt)
	defer admin.Close()
	dbs := 16
	if v, err := admin.ConfigGet(ctx, "databases").Result(); err == nil {
		if d, err := strconv.Atoi(v["databases"]); err == nil {
			dbs = d
		}
	}
	// Each test leases a database of its own in database 0, so that tests
	// of other packages running at the same time never flush it, however
	// long it runs. The lease lapses by itself if the test binary dies.
	owner := fmt.Sprintf("%d:%s", os.Getpid(), tb.Name())
	deadline := time.Now().Add(2 * time.Minute)
	for {
		n, err := admin.Incr(ctx, "redistest:next-db").Result()
		if err != nil {
			tb.Fatalf("allocate test database: %v", err)
		}
		for i := 0; i < dbs-1; i++ {
			db := 1 + (int(n)+i)%(dbs-1)
			lock := "redistest:db:" + strconv.Itoa(db)
			ok, err := admin.SetNX(ctx, lock, owner, 15*time.Minute).Result()
			if err != nil {
				tb.Fatalf("lease test database: %v", err)
			}
			if !ok {
				continue
			}
			tb.Cleanup(func() {
				c := redis.NewClient(opt)
				defer c.Close()
				if v, _ := c.Get(context.Background(), lock).Result(); v == owner {
					c.Del(context.Background(), lock)
				}
			})
			o := *opt
			o.DB = db
			c := redis.NewClient(&o)
			defer c.Close()
			if err := c.FlushDB(ctx).Err(); err != nil {
				tb.Fatalf("flush test database %d: %v", o.DB, err)
			}
			return &o
		}
		if time.Now().After(deadline) {
			tb.Fatalf("no free test database among %d: start redis-server with more --databases", dbs-1)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
