package store

import (
	"context"
	"fmt"
)

// PendingOf returns the customer's pending interventions (scheduled or
// being sent) by id. Its cost grows with that customer's interventions
// only.
func (s *InterventionStore) PendingOf(ctx context.Context, cus string) (map[string]Pending, error) {
	ivs, err := s.Interventions(ctx, cus)
	if err != nil {
		return nil, fmt.Errorf("load pending interventions: %w", err)
	}
	out := map[string]Pending{}
	for _, iv := range ivs {
		if !Final(iv.State) {
			out[iv.ID] = Pending{Flow: iv.Flow, Step: iv.Step, Subject: iv.Subject, TaskQueue: iv.TaskQueue, TaskID: iv.Task()}
		}
	}
	return out, nil
}

// cancelScript cancels a scheduled intervention.
// KEYS: interventions, journal. ARGV: id, reason, entry, cap.
var cancelScript = recordScript(`
local id = ARGV[1]
local r = get(id)
local st = r and r.state
if st == 'scheduled' then
  r.state, r.reason = 'cancelled', ARGV[2]
  put(id, r)
  redis.call('LPUSH', KEYS[2], ARGV[3])
  redis.call('LTRIM', KEYS[2], 0, tonumber(ARGV[4]) - 1)
  return {1, r.task_id or ''}
end
if st == 'sending' then
  -- Being sent right now: if it goes out, it went out before the cancel;
  -- if it is deferred or retried instead, the cancel holds then.
  r.cancel, r.cancel_reason = ARGV[3], ARGV[2]
  put(id, r)
  return 2
end
return 0
`)

// Cancel cancels the customer's interventions ids that are still
// scheduled, journaling entry (filled in per intervention) for each. It
// returns the ids it cancelled; one already being sent is left alone.
func (s *InterventionStore) Cancel(ctx context.Context, cus string, ids []string, pending map[string]Pending, entry Entry) ([]string, error) {
	calls := make([]*call, len(ids))
	for i, id := range ids {
		e := entry
		e.Kind, e.State, e.Intervention = KindIntervention, Cancelled, id
		e.Flow, e.Step, e.Subject = pending[id].Flow, pending[id].Step, pending[id].Subject
		b, err := encodeEntry(e)
		if err != nil {
			return nil, fmt.Errorf("cancel intervention %s: encode journal entry: %w", id, err)
		}
		calls[i] = &call{script: cancelScript, keys: []string{ivsKey(cus), journalKey(cus)}, args: []any{id, entry.Reason, b, journalCap}}
	}
	if err := s.evalAll(ctx, calls); err != nil {
		return nil, fmt.Errorf("cancel interventions: %w", err)
	}
	var done []string
	for i, cl := range calls {
		c := cl.cmd
		// Cancelled: {1, the task the intervention waits on}. A deferral
		// may have moved its task since pending was read.
		if r, _ := c.Slice(); len(r) == 2 {
			done = append(done, ids[i])
			if task, _ := r[1].(string); task != "" && pending != nil {
				p := pending[ids[i]]
				p.TaskID = task
				pending[ids[i]] = p
			}
		}
	}
	return done, nil
}
