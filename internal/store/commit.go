package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
)

// commitScript records that a try reached its channel's point of no
// return: past it, the message may have left. It does so only for the
// try that holds the claim (its attempt) and only while no cancel is held.
// KEYS: interventions. ARGV: id, attempt.
var commitScript = recordScript(`
local id = ARGV[1]
local r = get(id)
if not r then return 'missing' end
local st = r.state
if st == 'sent' or st == 'skipped' or st == 'cancelled' or st == 'failed' then return 'ended' end
if st ~= 'sending' or r.attempts ~= ARGV[2] then return 'superseded' end
if r.cancel and r.cancel ~= '' then return 'cancelled' end
r.phase = 'committed'
put(id, r)
return 'ok'
`)

// Commit records that the try of iv that Begin claimed (iv.Attempts)
// reached its channel's point of no return, before the channel passes it.
// A try that dies after Commit leaves the intervention interrupted (see
// Begin); one that dies before it is tried again.
//
// Commit refuses, and the message must not be sent, when the intervention
// is gone (ErrNotFound: erased), has ended (ErrEnded), was claimed by a
// later try (ErrSuperseded), or a cancel came while it was being sent
// (ErrCancelled; an Update applies it).
func (s *InterventionStore) Commit(ctx context.Context, iv *Intervention) error {
	res, err := commitScript.Run(ctx, s.rdb, []string{ivsKey(iv.Customer)}, iv.ID, strconv.Itoa(iv.Attempts)).Text()
	if err != nil {
		return fmt.Errorf("commit intervention %s: %w", iv.ID, err)
	}
	return refusal("commit", iv.ID, res)
}

// refusal returns the error a script's answer stands for, nil for "ok".
func refusal(op, id, res string) error {
	var err error
	switch res {
	case "missing":
		err = ErrNotFound
	case "ended":
		err = ErrEnded
	case "superseded":
		err = ErrSuperseded
	case "cancelled":
		err = ErrCancelled
	default:
		return nil
	}
	return fmt.Errorf("%s intervention %s: %w", op, id, err)
}

// ErrSuperseded is returned by Commit for a try whose claim a later try
// took over (its task was handed out again while it still ran).
var ErrSuperseded = errors.New("claimed by a later try")
