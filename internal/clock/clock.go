package clock

import (
	"context"
	"sync"
	"time"
)

// Clock tells the time on the clock ahead schedules by.
//
// Now is the current instant on that clock. Wall maps an instant on that
// clock to the real wall-clock instant at which it will be reached; the
// scheduler hands the result to asynq, which only knows real time.
type Clock interface {
	Now() time.Time
	Wall(t time.Time) time.Time
}

// Real is the wall clock.
type Real struct{}

// Now returns time.Now().
func (Real) Now() time.Time { return time.Now() }

// Wall returns t unchanged.
func (Real) Wall(t time.Time) time.Time { return t }

// Scaled is a virtual clock that runs a fixed factor faster than the wall
// clock from a start instant.
type Scaled struct {
	start  time.Time // real instant the clock started
	virt   time.Time // virtual time at start
	factor float64
	now    func() time.Time
}

// NewScaled returns a clock that starts at the real time now and runs
// factor times faster. A factor below 1 is treated as 1.
func NewScaled(factor float64) *Scaled {
	now := time.Now()
	return NewScaledAt(now, factor)
}

// NewScaledAt returns a clock that reads virt now and runs factor times
// faster than the wall clock from here on.
func NewScaledAt(virt time.Time, factor float64) *Scaled {
	if factor < 1 {
		factor = 1
	}
	return &Scaled{start: time.Now(), virt: virt, factor: factor, now: time.Now}
}

// Factor reports how many virtual seconds pass per real second.
func (s *Scaled) Factor() float64 { return s.factor }

// Now returns the virtual time.
func (s *Scaled) Now() time.Time {
	real := s.now().Sub(s.start)
	return s.virt.Add(time.Duration(float64(real) * s.factor))
}

// Wall returns the real instant at which the virtual instant t is reached.
func (s *Scaled) Wall(t time.Time) time.Time {
	virt := t.Sub(s.virt)
	return s.start.Add(time.Duration(float64(virt) / s.factor))
}

// Fake is a clock that only moves when told to. It is safe for concurrent use.
type Fake struct {
	mu sync.Mutex
	t  time.Time
}

// NewFake returns a fake clock set to t.
func NewFake(t time.Time) *Fake { return &Fake{t: t} }

// Now returns the fake time.
func (f *Fake) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.t
}

// Wall returns t unchanged: a fake clock's instants are used as they are.
func (f *Fake) Wall(t time.Time) time.Time { return t }

// Set moves the clock to t.
func (f *Fake) Set(t time.Time) {
	f.mu.Lock()
	f.t = t
	f.mu.Unlock()
}

// Advance moves the clock forward by d.
func (f *Fake) Advance(d time.Duration) {
	f.mu.Lock()
	f.t = f.t.Add(d)
	f.mu.Unlock()
}

// WaitUntil blocks until clock c reads t, or ctx ends. A clock that runs
// on real time (Real, Scaled) waits the real time that takes; any other
// clock (Fake: tests move it by hand) does not wait.
func WaitUntil(ctx context.Context, c Clock, t time.Time) error {
	switch c.(type) {
	case Real, *Scaled:
	default:
		return nil
	}
	d := time.Until(c.Wall(t))
	if d <= 0 {
		return nil
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
