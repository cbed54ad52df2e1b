package tasks

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/aheadhq/ahead/internal/asynqx"
	"github.com/aheadhq/ahead/internal/metrics"
	"github.com/aheadhq/ahead/internal/store"
)

// promoteBatch is how many due tasks one promotion moves at most.
const promoteBatch = 500

// Promote moves every step task that is due at now (a wall-clock instant)
// from the due indexes of queues into the queues, in batches of one
// atomic script each, and returns how many it queued. A task is promoted
// only once its due time has passed, to the millisecond: a step never
// runs early. Promoters on many workers may run at once; each task is
// queued by exactly one of them.
func (q *Queue) Promote(ctx context.Context, queues []string, now time.Time) (int, error) {
	total := 0
	for _, queue := range queues {
		for {
			due, err := q.due.DueBy(ctx, queue, now, promoteBatch)
			if err != nil {
				return total, err
			}
			if len(due) == 0 {
				break
			}
			n, err := q.promote(ctx, queue, now, due)
			total += n
			if err != nil {
				return total, err
			}
			if len(due) < promoteBatch {
				break
			}
		}
	}
	return total, nil
}

// promote queues the step tasks of due, all of queue, reading their
// triggers first so that each task names its event.
func (q *Queue) promote(ctx context.Context, queue string, now time.Time, due []store.Due) (int, error) {
	ts, err := q.build(ctx, due)
	if err != nil {
		return 0, err
	}
	ps := make([]asynqx.Due, len(due))
	for i, d := range due {
		ps[i] = asynqx.Due{Member: d.Member(), Task: ts[i]}
	}
	return asynqx.Promote(ctx, q.rdb, store.DueKey(queue), queue, now, ps)
}

// build returns the step tasks of due, reading the trigger of each
// one's intervention.
func (q *Queue) build(ctx context.Context, due []store.Due) ([]asynqx.Task, error) {
	ids := make([]string, len(due))
	for i, d := range due {
		ids[i] = Intervention(d.Task)
	}
	trs, err := q.due.Triggers(ctx, due, ids)
	if err != nil {
		return nil, err
	}
	out := make([]asynqx.Task, len(due))
	for i, d := range due {
		out[i] = stepTask(d.Queue, d.Task, d.Customer, ids[i], trs[i], q.maxRetry)
	}
	return out, nil
}

// Intervention returns the intervention id of a step task id: the task id
// without the suffix a deferral ("-d1", "-d2", …) or a fallback after an
// undelivered report ("-f1", …) adds.
func Intervention(task string) string {
	i := strings.LastIndex(task, "-")
	if i <= 0 || i+2 >= len(task) || (task[i+1] != 'd' && task[i+1] != 'f') {
		return task
	}
	if strings.Trim(task[i+2:], "0123456789") != "" {
		return task
	}
	return task[:i]
}

// RunPromoter promotes due step tasks of queues every interval until ctx
// ends. A round that fails is counted and the next one tries again; the
// first failure of a streak is logged, and so is the recovery, so that an
// outage of Redis does not flood the log.
func (q *Queue) RunPromoter(ctx context.Context, queues []string, every time.Duration, log *slog.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	failing := 0
	for {
		n, err := q.Promote(ctx, queues, time.Now())
		metrics.Promoted.Add(float64(n))
		switch {
		case err != nil && ctx.Err() == nil:
			metrics.PromoteErrors.Inc()
			if failing == 0 {
				log.Warn("promote due steps: retrying every poll interval until Redis answers", "err", err)
			}
			failing++
		case err == nil && failing > 0:
			log.Info("promote due steps: working again", "failed_rounds", failing)
			failing = 0
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
