package clock

import (
	"testing"
	"time"
)

func TestScaled(t *testing.T) {
	start := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	real := start
	s := &Scaled{start: start, virt: start, factor: 1440, now: func() time.Time { return real }}
	real = start.Add(time.Minute)
	if got, want := s.Now(), start.Add(24*time.Hour); !got.Equal(want) {
		t.Fatalf("Now after one real minute = %v, want %v", got, want)
	}
	if got, want := s.Wall(start.Add(48*time.Hour)), start.Add(2*time.Minute); !got.Equal(want) {
		t.Fatalf("Wall(day 2) = %v, want %v", got, want)
	}
}

func TestScaledAt(t *testing.T) {
	virt := time.Date(2026, 3, 27, 8, 0, 0, 0, time.UTC)
	s := NewScaledAt(virt, 3600)
	if d := s.Now().Sub(virt); d < 0 || d > time.Hour {
		t.Fatalf("Now right after start is %v past the virtual start", d)
	}
	w := s.Wall(virt.Add(2 * time.Hour))
	if d := time.Until(w); d < time.Second || d > 2*time.Second {
		t.Fatalf("Wall(start+2h) is %v away, want about 2s", d)
	}
}

func TestFake(t *testing.T) {
	at := time.Date(2026, 3, 29, 0, 0, 0, 0, time.UTC)
	f := NewFake(at)
	f.Advance(time.Hour)
	if got := f.Now(); !got.Equal(at.Add(time.Hour)) {
		t.Fatalf("Now = %v", got)
	}
	if w := f.Wall(at); !w.Equal(at) {
		t.Fatalf("Wall = %v", w)
	}
}
