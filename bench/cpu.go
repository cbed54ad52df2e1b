package bench

import (
	"context"
	"strconv"
	"time"
)

// cpuMeter measures the CPU time this process and Redis spend between
// start and stop, so that a figure can say where the time went.
type cpuMeter struct {
	r           *run
	self, redis time.Duration
}

func (r *run) cpuStart(ctx context.Context) (*cpuMeter, error) {
	red, err := r.redisCPU(ctx)
	if err != nil {
		return nil, err
	}
	return &cpuMeter{r: r, self: selfCPU(), redis: red}, nil
}

// stop returns the CPU time spent since start by this process (ahead and
// the bench's own clients, which share it) and by Redis.
func (m *cpuMeter) stop(ctx context.Context) (self, redis time.Duration, err error) {
	red, err := m.r.redisCPU(ctx)
	if err != nil {
		return 0, 0, err
	}
	return selfCPU() - m.self, red - m.redis, nil
}

// redisCPU is Redis's user and system CPU time so far.
func (r *run) redisCPU(ctx context.Context) (time.Duration, error) {
	var total time.Duration
	for _, f := range []string{"used_cpu_user", "used_cpu_sys"} {
		v, err := info(ctx, r.admin, "cpu", f)
		if err != nil {
			return 0, err
		}
		s, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return 0, err
		}
		total += time.Duration(s * float64(time.Second))
	}
	return total, nil
}

// cost is what a measured stretch took: its wall time, Redis round trips
// (in all and by command), and the CPU time of this process and of Redis.
type cost struct {
	elapsed       time.Duration
	trips         int64
	names0, names map[string]int64
	self, redis   time.Duration
}

// measure runs fn, timed, and returns what it cost. With a profile name,
// fn runs under the CPU profiler when a profile folder is set.
func (r *run) measure(ctx context.Context, profile string, fn func() error) (*cost, error) {
	m, err := r.cpuStart(ctx)
	if err != nil {
		return nil, err
	}
	trips0, _ := r.trips.snapshot()
	c := &cost{names0: r.trips.names()}
	timed := func() error {
		start := time.Now()
		err := fn()
		c.elapsed = time.Since(start)
		return err
	}
	if profile != "" {
		err = r.profiled(profile, timed)
	} else {
		err = timed()
	}
	if err != nil {
		return nil, err
	}
	trips1, _ := r.trips.snapshot()
	c.trips, c.names = trips1-trips0, r.trips.names()
	if c.self, c.redis, err = m.stop(ctx); err != nil {
		return nil, err
	}
	return c, nil
}

// us is d in microseconds.
func us(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }
