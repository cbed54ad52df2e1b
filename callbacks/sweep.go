package callbacks

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/aheadhq/ahead/flows"
	"github.com/aheadhq/ahead/internal/metrics"
	"github.com/aheadhq/ahead/internal/store"
)

// DefaultSweepEvery is how often Run sweeps when not told otherwise.
const DefaultSweepEvery = 15 * time.Second

// Sweep goes through every queue once: a claim whose lease ran out goes
// back to the queue, a callback past its deadline expires (and takes in
// the queue's on_exhausted event), callable callbacks are offered to the
// Exporter, offers that no longer stand are withdrawn, callbacks that
// ended longer than the retention ago are removed, and the queue gauges
// of /metrics are set.
func (q *Queues) Sweep(ctx context.Context) error { return q.sweepAll(ctx, 0) }

// Run sweeps every interval until ctx ends. When several processes run
// it, one of them does the work on each queue per interval; all of them
// set the gauges.
func (q *Queues) Run(ctx context.Context, every time.Duration) {
	if every <= 0 {
		every = DefaultSweepEvery
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if err := q.sweepAll(ctx, every); err != nil && ctx.Err() == nil {
			q.o.Log.Error("sweep callback queues", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

var sweeper = func() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}()

// sweepAll sweeps every queue; with every > 0 only the queues whose turn
// this process gets change anything.
func (q *Queues) sweepAll(ctx context.Context, every time.Duration) error {
	names, err := q.Names(ctx)
	if err != nil {
		return err
	}
	var errs []error
	for _, name := range names {
		turn := true
		if every > 0 {
			if turn, err = q.o.Store.SweepTurn(ctx, name, sweeper, every*9/10); err != nil {
				errs = append(errs, err)
				continue
			}
		}
		if err := q.sweep(ctx, name, turn); err != nil {
			errs = append(errs, fmt.Errorf("sweep queue %s: %w", name, err))
		}
	}
	return errors.Join(errs...)
}

func (q *Queues) sweep(ctx context.Context, name string, turn bool) error {
	cfg := q.rules(name)
	now := q.o.Clock.Now().UTC()
	var open []*store.Callback
	for off := 0; ; off += 500 {
		page, err := q.o.Store.OpenCallbacks(ctx, name, off, 500)
		if err != nil {
			return err
		}
		open = append(open, page...)
		if len(page) < 500 {
			break
		}
	}
	var queued, claimed, callable int
	var oldest time.Time
	var errs []error
	for _, cb := range open {
		if turn {
			var err error
			if cb, err = q.tidy(ctx, cb, cfg, now); err != nil {
				errs = append(errs, err)
				continue
			}
		}
		switch cb.State {
		case store.CallbackQueued:
			queued++
		case store.CallbackClaimed:
			claimed++
		default:
			continue
		}
		if !q.Callable(cb, now) {
			continue
		}
		callable++
		if oldest.IsZero() || cb.Due.Before(oldest) {
			oldest = cb.Due
		}
		if turn && cfg.TaskRouter != nil && q.o.Export != nil && cb.TaskSID == "" {
			if err := q.export(ctx, cb, cfg, now); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if turn {
		errs = append(errs, q.withdraw(ctx, cfg))
		if _, err := q.o.Store.PruneCallbacks(ctx, name, now.Add(-q.o.Retention)); err != nil {
			errs = append(errs, err)
		}
	}
	metrics.CallbackDepth.WithLabelValues(name, store.CallbackQueued).Set(float64(queued))
	metrics.CallbackDepth.WithLabelValues(name, store.CallbackClaimed).Set(float64(claimed))
	metrics.CallbackDepth.WithLabelValues(name, "callable").Set(float64(callable))
	age := 0.0
	if !oldest.IsZero() {
		age = max(now.Sub(oldest).Seconds()/q.scale(), 0)
	}
	metrics.CallbackOldest.WithLabelValues(name).Set(age)
	if stats, err := q.o.Store.CallbackStats(ctx, name); err != nil {
		errs = append(errs, err)
	} else if stats.Ended > 0 {
		metrics.CallbackReach.WithLabelValues(name).Set(float64(stats.ByResult[flows.OutcomeReached]) / float64(stats.Ended))
	}
	return errors.Join(errs...)
}

// scale is how many virtual seconds pass per real second on the clock.
func (q *Queues) scale() float64 {
	if s, ok := q.o.Clock.(interface{ Factor() float64 }); ok && s.Factor() > 0 {
		return s.Factor()
	}
	return 1
}

// tidy returns a lapsed claim to the queue and expires a callback past its
// deadline. It returns the callback as it is now.
func (q *Queues) tidy(ctx context.Context, cb *store.Callback, cfg *flows.Queue, now time.Time) (*store.Callback, error) {
	lapsed := cb.State == store.CallbackClaimed && !cb.LeaseUntil.After(now)
	late := !cb.Deadline.IsZero() && !now.Before(cb.Deadline) && (cb.State == store.CallbackQueued || lapsed)
	if !lapsed && !late {
		return cb, nil
	}
	agent, task := cb.Agent, cb.TaskSID
	cb.Agent, cb.Claimed, cb.LeaseUntil = "", time.Time{}, time.Time{}
	if late {
		cb.State, cb.Result, cb.Ended, cb.TaskSID = store.CallbackDone, ResultExpired, now, ""
	} else {
		cb.State = store.CallbackQueued
	}
	if err := q.o.Store.SaveCallback(ctx, cb); err != nil {
		if errors.Is(err, store.ErrCallbackChanged) || errors.Is(err, store.ErrNotFound) {
			// An agent or another process got there first.
			return q.o.Store.Callback(ctx, cb.Queue, cb.ID)
		}
		return cb, err
	}
	if late {
		if task != "" {
			if err := q.o.Store.CloseTaskLater(ctx, cb.Queue, task); err != nil {
				q.o.Log.Warn("note taskrouter task to close", "callback", cb.ID, "err", err)
			}
		}
		ended(cb)
		reason := fmt.Sprintf("deadline %s passed after %d calls", q.local(cb.Deadline, cfg), cb.Attempts)
		q.exhaust(ctx, cb, cfg, "deadline", reason)
		return cb, nil
	}
	q.journal(ctx, cb, "lease_expired", fmt.Sprintf("the claim of %s ran out; back in queue %s", agent, cb.Queue))
	return cb, nil
}

// export offers a callable callback to the Exporter.
func (q *Queues) export(ctx context.Context, cb *store.Callback, cfg *flows.Queue, now time.Time) error {
	var timeout time.Duration
	if !cb.Deadline.IsZero() {
		timeout = time.Duration(float64(cb.Deadline.Sub(now)) / q.scale())
		if timeout < time.Second {
			timeout = time.Second
		}
	}
	sid, err := q.o.Export.Export(ctx, cfg, cb, timeout)
	if err != nil {
		return fmt.Errorf("offer callback %s: %w", cb.ID, err)
	}
	cb.TaskSID = sid
	if err := q.o.Store.SaveCallback(ctx, cb); err != nil {
		// It changed meanwhile: the offer does not stand.
		if err2 := q.o.Store.CloseTaskLater(ctx, cb.Queue, sid); err2 != nil {
			return errors.Join(err, err2)
		}
		if errors.Is(err, store.ErrCallbackChanged) || errors.Is(err, store.ErrNotFound) {
			return nil
		}
		return err
	}
	q.journal(ctx, cb, "offered", "offered to TaskRouter as task "+sid)
	return nil
}

// withdraw ends the offers noted by CloseTaskLater.
func (q *Queues) withdraw(ctx context.Context, cfg *flows.Queue) error {
	if q.o.Export == nil {
		return nil
	}
	sids, err := q.o.Store.TasksToClose(ctx, cfg.Name, 100)
	if err != nil {
		return err
	}
	var errs []error
	for _, sid := range sids {
		if cfg.TaskRouter != nil {
			if err := q.o.Export.Withdraw(ctx, cfg, sid); err != nil {
				errs = append(errs, fmt.Errorf("withdraw task %s: %w", sid, err))
				continue
			}
		}
		if err := q.o.Store.TaskClosed(ctx, cfg.Name, sid); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
