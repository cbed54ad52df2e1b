package bench

import (
	"bufio"
	"context"
	"fmt"
	"maps"
	"net"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/redis/go-redis/v9"
)

// trips counts what a client sends to Redis: round trips (a command, or a
// whole pipeline) and commands.
type trips struct {
	roundTrips atomic.Int64
	commands   atomic.Int64

	mu     sync.Mutex
	byName map[string]int64 // round trips by command ("pipeline" for a pipeline)

	rec atomic.Pointer[recording] // when set, every round trip is recorded
}

func (t *trips) count(name string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.byName == nil {
		t.byName = map[string]int64{}
	}
	t.byName[name]++
}

// names returns the round trips by command so far.
func (t *trips) names() map[string]int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return maps.Clone(t.byName)
}

// cmdName names a command; a script is named by its command and the
// start of its SHA1, so that different scripts count apart.
func cmdName(c redis.Cmder) string {
	name := c.Name()
	if name == "evalsha" {
		if args := c.Args(); len(args) > 1 {
			if sha, ok := args[1].(string); ok && len(sha) >= 8 {
				name += ":" + sha[:8]
			}
		}
	}
	return name
}

func (t *trips) DialHook(next redis.DialHook) redis.DialHook { return next }

func (t *trips) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		t.roundTrips.Add(1)
		t.commands.Add(1)
		t.count(cmdName(cmd))
		if rc := t.rec.Load(); rc != nil {
			rc.add(ctx, trip{cmd.Args()})
		}
		return next(ctx, cmd)
	}
}

func (t *trips) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		t.roundTrips.Add(1)
		t.commands.Add(int64(len(cmds)))
		t.count("pipeline")
		if rc := t.rec.Load(); rc != nil {
			tr := make(trip, len(cmds))
			for i, c := range cmds {
				tr[i] = c.Args()
			}
			rc.add(ctx, tr)
		}
		return next(ctx, cmds)
	}
}

// snapshot returns the counts so far.
func (t *trips) snapshot() (roundTrips, commands int64) {
	return t.roundTrips.Load(), t.commands.Load()
}

// info returns one field of INFO section.
func info(ctx context.Context, rdb *redis.Client, section, field string) (string, error) {
	s, err := rdb.Info(ctx, section).Result()
	if err != nil {
		return "", fmt.Errorf("read redis info %s: %w", section, err)
	}
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), field+":"); ok {
			return v, nil
		}
	}
	return "", fmt.Errorf("redis info %s has no %s", section, field)
}

// usedMemory returns Redis's used_memory in bytes.
func usedMemory(ctx context.Context, rdb *redis.Client) (int64, error) {
	v, err := info(ctx, rdb, "memory", "used_memory")
	if err != nil {
		return 0, err
	}
	return strconv.ParseInt(v, 10, 64)
}

// checkEmpty refuses a database that holds keys: bench flushes it.
func checkEmpty(ctx context.Context, rdb *redis.Client) error {
	n, err := rdb.DBSize(ctx).Result()
	if err != nil {
		return fmt.Errorf("count keys: %w", err)
	}
	if n > 0 {
		return fmt.Errorf("redis database %d holds %d keys: bench needs an empty database, as it flushes it (use a throwaway redis-server, e.g. make bench)", rdb.Options().DB, n)
	}
	return nil
}

// loopback reports whether the Redis address is on this machine.
func loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// breakdown describes the round trips counted between two names()
// snapshots, per item, busiest first: "evalsha:4f3a… 1.00, hgetall 0.50".
func breakdown(before, after map[string]int64, items float64) string {
	type kv struct {
		name string
		n    int64
	}
	var all []kv
	for name, n := range after {
		if d := n - before[name]; d > 0 {
			all = append(all, kv{name, d})
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].n > all[j].n || all[i].n == all[j].n && all[i].name < all[j].name })
	var parts []string
	for _, e := range all {
		if float64(e.n)/items < 0.005 {
			continue
		}
		parts = append(parts, fmt.Sprintf("%s %.2f", e.name, float64(e.n)/items))
	}
	return strings.Join(parts, ", ")
}
