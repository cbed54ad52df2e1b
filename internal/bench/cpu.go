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

// us is d in microseconds.
func us(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }
