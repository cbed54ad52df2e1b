package bench

import (
	"bufio"
	"context"
	"os"
	"runtime"
	"strconv"
	"strings"
)

// machine records where the run happens.
func (r *run) machine(ctx context.Context) error {
	v, err := info(ctx, r.admin, "server", "redis_version")
	if err != nil {
		return err
	}
	r.res.Machine = Machine{
		CPUs: runtime.NumCPU(), CPU: cpuModel(), MemoryMB: memTotalMB(),
		Go: runtime.Version(), OS: runtime.GOOS + "/" + runtime.GOARCH,
		Redis: v, RedisLocal: loopback(r.o.Redis.Addr),
	}
	return nil
}

// procField returns the value of the first line of a /proc file that
// starts with key, or "".
func procField(path, key string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

func cpuModel() string { return procField("/proc/cpuinfo", "model name") }

func memTotalMB() int64 {
	f := strings.Fields(procField("/proc/meminfo", "MemTotal"))
	if len(f) == 0 {
		return 0
	}
	kb, _ := strconv.ParseInt(f[0], 10, 64)
	return kb / 1024
}
