package twilio_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/aheadhq/ahead/channels/twilio"
	"github.com/aheadhq/ahead/internal/redistest"
)

// TestRedisLimiterSharedByTwoWorkers runs two limiters, as two worker
// processes would, each with its own Redis connection and several sending
// goroutines, for a little over two seconds. Demand is far above the
// limit. Per second of the clock that decides (Redis' own), the two
// together never send more than the limit, and in every whole second they
// reach it.
func TestRedisLimiterSharedByTwoWorkers(t *testing.T) {
	t.Parallel()
	const (
		perSecond  = 8
		goroutines = 4
		run        = 2200 * time.Millisecond
	)
	opt := redistest.Options(t)
	var workers []twilio.Limiter
	for range 2 {
		rdb := redis.NewClient(opt)
		t.Cleanup(func() { _ = rdb.Close() })
		workers = append(workers, twilio.NewRedisLimiter(rdb, perSecond))
	}

	ctx, cancel := context.WithTimeout(t.Context(), run)
	defer cancel()
	var (
		mu       sync.Mutex
		bySecond = map[int64]int{}
		byWorker = map[int]int{}
		wg       sync.WaitGroup
		errs     = make(chan error, 2*goroutines)
	)
	for w, lim := range workers {
		for range goroutines {
			wg.Go(func() {
				for {
					sec, err := twilio.Take(ctx, lim, "sms")
					if err != nil {
						if !errors.Is(err, context.DeadlineExceeded) {
							errs <- err
						}
						return
					}
					mu.Lock()
					bySecond[sec]++
					byWorker[w]++
					mu.Unlock()
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("Take: %v", err)
	}

	var first, last int64
	for sec := range bySecond {
		if first == 0 || sec < first {
			first = sec
		}
		last = max(last, sec)
	}
	for sec, n := range bySecond {
		if n > perSecond {
			t.Errorf("second %d: %d sends, want at most %d", sec, n, perSecond)
		}
		// Seconds the run spans whole had more demand than the limit.
		if sec != first && sec != last && n != perSecond {
			t.Errorf("second %d: %d sends, want %d: the limiter let less through than it may", sec, n, perSecond)
		}
	}
	if last-first < 2 {
		t.Errorf("the run spans seconds %d to %d, want at least three", first, last)
	}
	for w := range workers {
		if byWorker[w] == 0 {
			t.Errorf("worker %d sent nothing", w)
		}
	}
	t.Logf("sends per second: %v; per worker: %v", bySecond, byWorker)
}

func TestRedisLimiterSeparatesChannels(t *testing.T) {
	t.Parallel()
	lim := twilio.NewRedisLimiter(redistest.New(t), 1)
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	smsSec, err := twilio.Take(ctx, lim, "sms")
	if err != nil {
		t.Fatal(err)
	}
	waSec, err := twilio.Take(ctx, lim, "whatsapp")
	if err != nil {
		t.Fatal(err)
	}
	// A full sms window does not hold back whatsapp. Both may straddle a
	// second boundary, never more.
	if waSec-smsSec > 1 {
		t.Errorf("whatsapp waited for second %d after sms took second %d", waSec, smsSec)
	}
}

func TestRedisLimiterWaitEndsWithContext(t *testing.T) {
	t.Parallel()
	lim := twilio.NewRedisLimiter(redistest.New(t), 1)
	// Each try fills this second's window and waits with a deadline well
	// before its end. A try that crosses a second boundary meanwhile gets
	// its send and does not count.
	for range 5 {
		if err := lim.Wait(t.Context(), "sms"); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
		start := time.Now()
		err := lim.Wait(ctx, "sms")
		took := time.Since(start)
		cancel()
		if err == nil {
			continue
		}
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Wait on a full window with a short deadline: %v, want context.DeadlineExceeded", err)
		}
		if took > 500*time.Millisecond {
			t.Errorf("Wait returned after %v, want soon after the deadline", took)
		}
		return
	}
	t.Fatal("Wait never met a full window in five tries")
}

func TestRedisLimiterWithoutLimit(t *testing.T) {
	t.Parallel()
	// perSecond 0 means no limit: Redis is not even asked.
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	t.Cleanup(func() { _ = rdb.Close() })
	lim := twilio.NewRedisLimiter(rdb, 0)
	for range 100 {
		if err := lim.Wait(t.Context(), "sms"); err != nil {
			t.Fatalf("Wait: %v", err)
		}
	}
}

func TestRedisLimiterReportsRedisFailure(t *testing.T) {
	t.Parallel()
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1})
	t.Cleanup(func() { _ = rdb.Close() })
	err := twilio.NewRedisLimiter(rdb, 5).Wait(t.Context(), "sms")
	if err == nil {
		t.Fatal("Wait with Redis down succeeded, want an error")
	}
}
