package tasks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aheadhq/ahead/internal/asynqx"
	"github.com/aheadhq/ahead/internal/store"
)

// Earlier versions of ahead kept a step task that was not due yet as an
// asynq task in its queue's scheduled set (asynq:{steps-N}:scheduled,
// scored in Unix seconds). Now it waits in the queue's due index (see
// store.Due) and only becomes an asynq task when it is due. Migrate moves
// what an earlier version left in the old layout.

// migrateBatch is how many scheduled tasks one script moves at most.
const migrateBatch = 500

// Migrated is what Migrate did with the step tasks of one queue's
// scheduled set.
type Migrated struct {
	Queue string
	// Moved tasks wait in the queue's due index now, due at their
	// intervention's due time.
	Moved int
	// Ended tasks were removed: their intervention had ended (sent,
	// skipped, cancelled, failed or held out).
	Ended int
	// Erased tasks were removed: their intervention is gone, its customer
	// erased.
	Erased int
	// Unreadable tasks were removed: their payload could not be read, so
	// that a worker would have dropped them without a retry too.
	Unreadable int
	// Queued tasks were left alone: a worker of an earlier version queued
	// them while Migrate ran, and they run as they are.
	Queued int
}

// Removed is how many of the queue's step tasks were removed.
func (m Migrated) Removed() int { return m.Ended + m.Erased + m.Unreadable }

// Migration is what Migrate did, per queue that held step tasks in the
// old layout, in the order of the queues it was given.
type Migration []Migrated

// Tasks is how many step tasks the migration found in the old layout.
func (m Migration) Tasks() int {
	n := 0
	for _, q := range m {
		n += q.Moved + q.Removed() + q.Queued
	}
	return n
}

// KnownStepQueues returns the step queues of the configured shard count
// and every other step queue asynq knows (one of an earlier shard count),
// sorted.
func (q *Queue) KnownStepQueues(ctx context.Context) ([]string, error) {
	names, err := asynqx.QueueNames(ctx, q.rdb)
	if err != nil {
		return nil, err
	}
	out := StepQueues(q.shards)
	for _, n := range names {
		if strings.HasPrefix(n, "steps-") && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out, nil
}

// Unmigrated returns how many step tasks the scheduled sets of queues
// still hold: tasks an earlier version of ahead scheduled, which Migrate
// moves. This version never schedules a step task there, so on a
// migrated store it costs one round trip.
func (q *Queue) Unmigrated(ctx context.Context, queues []string) (int64, error) {
	counts, err := asynqx.ScheduledCount(ctx, q.rdb, queues)
	if err != nil {
		return 0, err
	}
	var n int64
	for i, queue := range queues {
		if counts[i] == 0 {
			continue
		}
		// Only step tasks count: read the type of each.
		for off := 0; ; off += migrateBatch {
			batch, err := asynqx.ScheduledTasks(ctx, q.rdb, queue, off, migrateBatch)
			if err != nil {
				return 0, err
			}
			for _, s := range batch {
				if s.Type == TypeStep {
					n++
				}
			}
			if len(batch) < migrateBatch {
				break
			}
		}
	}
	return n, nil
}

// Migrate moves every step task of the scheduled sets of queues into its
// queue's due index, due to the millisecond at its intervention's due
// time, in batches of one atomic script each; a task whose intervention
// has ended or is gone is removed. Other tasks in those sets stay.
//
// Migrate is idempotent, and safe while workers of an earlier version
// still run: a task their asynq forwarder queued first is left to them,
// one Migrate moved is no longer theirs to queue, so each step task is
// queued once. Tasks they schedule after Migrate passed stay in the old
// layout (see Unmigrated) until Migrate runs again.
func (q *Queue) Migrate(ctx context.Context, queues []string) (Migration, error) {
	var out Migration
	st := store.New(q.rdb)
	for _, queue := range queues {
		m, err := q.migrateQueue(ctx, st, queue)
		if m != (Migrated{Queue: queue}) {
			out = append(out, m)
		}
		if err != nil {
			return out, err
		}
	}
	return out, nil
}

// migrateQueue moves the step tasks of queue's scheduled set, and returns
// what it did, up to an error.
func (q *Queue) migrateQueue(ctx context.Context, st *store.Store, queue string) (Migrated, error) {
	m := Migrated{Queue: queue}
	for {
		found, again, err := q.migratePass(ctx, st, &m)
		// A pass reads past the tasks it leaves (not step tasks); when
		// asynq queued some of those meanwhile, it may have skipped a step
		// task, which the next pass finds.
		if err != nil || found == 0 || !again {
			return m, err
		}
	}
}

// migratePass goes once through m.Queue's scheduled set and moves the step
// tasks it finds. It returns how many it found, and whether it read past
// tasks it left there.
func (q *Queue) migratePass(ctx context.Context, st *store.Store, m *Migrated) (found int, left bool, err error) {
	kept := 0 // tasks left in the set before the batch read next
	for {
		batch, err := asynqx.ScheduledTasks(ctx, q.rdb, m.Queue, kept, migrateBatch)
		if err != nil {
			return found, kept > 0, err
		}
		var steps []asynqx.Scheduled
		for _, s := range batch {
			if s.Type == TypeStep {
				steps = append(steps, s)
			} else {
				kept++
			}
		}
		found += len(steps)
		if err := q.migrate(ctx, st, m, steps); err != nil {
			return found, kept > 0, err
		}
		if len(batch) < migrateBatch {
			return found, kept > 0, nil
		}
	}
}

// A step task's fate in the migration.
const (
	fateMove = iota
	fateEnded
	fateErased
	fateUnreadable
)

// migrate moves steps, step tasks of m.Queue's scheduled set, in one
// script, and counts what became of them in m.
//
// A task goes to the due index of the queue it was scheduled in, even
// when the customer's step queue under the shard count in force is
// another one. Its intervention record names that queue (task_queue),
// and a cancel, an erasure or a deferral finds the task there. Moving it
// to another queue's due index would be two scripts in two Redis Cluster
// slots: a failure between them would leave the task in both indexes or
// in neither. Workers serve every queue of their shard count, so after a
// raise of worker.shards (the change deploy.md allows) the old queue is
// still served and the step still runs once; a queue of a lowered shard
// count is served by no worker, before or after the migration, and the
// command says so.
func (q *Queue) migrate(ctx context.Context, st *store.Store, m *Migrated, steps []asynqx.Scheduled) error {
	if len(steps) == 0 {
		return nil
	}
	payloads := make([]StepPayload, len(steps))
	refs := make([]store.Ref, len(steps))
	for i, s := range steps {
		if json.Unmarshal(s.Payload, &payloads[i]) != nil {
			payloads[i] = StepPayload{}
		}
		p := &payloads[i]
		if p.Intervention == "" {
			p.Intervention = Intervention(s.ID)
		}
		refs[i] = store.Ref{Customer: p.Customer, ID: p.Intervention}
	}
	ivs, recErrs, err := st.InterventionsAt(ctx, refs)
	if err != nil {
		return err
	}
	moves := make([]asynqx.Move, len(steps))
	fates := make([]int, len(steps))
	for i, s := range steps {
		if moves[i], fates[i], err = q.plan(m.Queue, s, payloads[i].Customer, ivs[i], recErrs[i]); err != nil {
			return err
		}
	}
	taken, err := asynqx.MoveScheduled(ctx, q.rdb, store.DueKey(m.Queue), m.Queue, moves)
	if err != nil {
		return err
	}
	for i, ok := range taken {
		switch {
		case !ok:
			m.Queued++
		case fates[i] == fateMove:
			m.Moved++
		case fates[i] == fateEnded:
			m.Ended++
		case fates[i] == fateErased:
			m.Erased++
		default:
			m.Unreadable++
		}
	}
	return nil
}

// plan decides what becomes of step task s of queue, of customer cus
// ("" when its payload could not be read), whose intervention record
// read as iv, or failed with err: a move to the due index, due at its
// intervention's due time, or a removal.
func (q *Queue) plan(queue string, s asynqx.Scheduled, cus string, iv *store.Intervention, err error) (asynqx.Move, int, error) {
	mv := asynqx.Move{ID: s.ID, At: s.At}
	var bad *time.ParseError
	switch {
	case cus == "":
		return mv, fateUnreadable, nil
	case errors.Is(err, store.ErrNotFound):
		return mv, fateErased, nil
	case errors.As(err, &bad):
		// A record without a readable due time: the task keeps its own.
	case err != nil:
		return mv, 0, fmt.Errorf("migrate step task %s of %s: %w", s.ID, queue, err)
	case store.Final(iv.State):
		return mv, fateEnded, nil
	case iv.TaskID == s.ID:
		// The record's due time is the task's, to the millisecond. (A
		// task the record does not name, left by a deferral that did not
		// finish, keeps its own time.)
		mv.At = q.clock.Wall(iv.Due)
	}
	mv.Member = store.Due{Queue: queue, Task: s.ID, Customer: cus}.Member()
	return mv, fateMove, nil
}
