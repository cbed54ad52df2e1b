package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Intervention is one step of one run: what was planned, over which
// channels, and where it stands.
type Intervention struct {
	ID        string    `json:"id"`
	Customer  string    `json:"customer_id"`
	Run       string    `json:"run"`
	Flow      string    `json:"flow"`
	Version   string    `json:"flow_version"`
	Step      string    `json:"step"`
	EventID   string    `json:"event_id"`
	EventType string    `json:"event_type"`
	Subject   string    `json:"subject,omitempty"`
	Channels  []string  `json:"channels"`
	Due       time.Time `json:"due"`
	// Planned is the due time first planned; Due moves when quiet hours or
	// the contact budget defer the step.
	Planned time.Time `json:"planned"`
	// TaskQueue and TaskID name the asynq task that will run the step:
	// the intervention id, with a suffix per deferral.
	TaskQueue string `json:"task_queue"`
	TaskID    string `json:"task_id"`
	Deferrals int    `json:"deferrals,omitempty"`
	State     string `json:"state"`
	Reason    string `json:"reason,omitempty"`
	// Next is the index in Channels of the channel to try next.
	Next       int    `json:"next"`
	Channel    string `json:"channel,omitempty"`
	Code       string `json:"code,omitempty"`
	ProviderID string `json:"provider_id,omitempty"`
	Attempts   int    `json:"attempts"`
	// Arm is the run's arm of the flow's holdout: "control" holds the
	// step back; "" is the treatment.
	Arm string `json:"arm,omitempty"`
	// Interrupted is set by Begin when an earlier try stopped past its
	// channel's point of no return (see Commit) without recording how it
	// ended (its worker died): that message may have gone out. A try that
	// stopped before that point leaves no trace and is not interrupted.
	Interrupted bool `json:"-"`
	// CancelCause is set by Begin and Update when a cancel held while the
	// intervention was being sent took effect: the cause of that cancel
	// (cancel_on, api, erased).
	CancelCause string `json:"-"`
	// Plan is how the intervention was planned, from which its
	// "scheduled" journal entry is made (see Timeline); zero for one
	// planned by an earlier version, which journaled that entry.
	Plan Plan `json:"-"`
	// Occurred is the trigger event's occurred_at, to the millisecond. A
	// step task carries it, so that the events since the trigger are read
	// with the claim.
	Occurred time.Time `json:"-"`
}

// Plan is the decision that scheduled an intervention: what its
// "scheduled" journal entry said. The record keeps it instead of the
// journal, in far fewer bytes.
type Plan struct {
	// At is when the intervention was planned.
	At time.Time
	// Cause is the rule that set the due time (after, debounce).
	Cause string
	// Reason explains the due time; the intervention's Reason is the same
	// until a later decision gives it another.
	Reason string
	// Zone is the customer's time zone then.
	Zone string
	// Event and EventType are the trigger the step was planned for, when
	// debounce has since handed the step a newer one.
	Event, EventType string
}

// createScript stores a customer's interventions that do not exist yet
// and journals them, in one step.
// KEYS: interventions, journal. ARGV: journal cap, then per intervention:
// id, journal entry ("" for none: the record holds it), record. Returns
// per intervention "created", or the state of the one that was already
// there.
var createScript = recordScript(`
local out, entries = {}, {}
for a = 2, #ARGV, 3 do
  if redis.call('HSETNX', KEYS[1], ARGV[a], ARGV[a+2]) == 0 then
    out[#out+1] = get(ARGV[a]).state or ''
  else
    if ARGV[a+1] ~= '' then entries[#entries+1] = ARGV[a+1] end
    out[#out+1] = 'created'
  end
end
if #entries > 0 then
  redis.call('LPUSH', KEYS[2], unpack(entries))
  redis.call('LTRIM', KEYS[2], 0, tonumber(ARGV[1]) - 1)
end
return out
`)

// Schedule stores the interventions that do not exist yet, each with its
// journal entry, with one script per customer. state[i] is "created" for
// a new one, else the state of the one that was already there.
//
// The entry of a scheduled intervention is not journaled: the record
// keeps its Plan, and Timeline makes the entry from it.
func (s *InterventionStore) Schedule(ctx context.Context, ivs []*Intervention, entries []Entry) (state []string, err error) {
	var calls []*call
	byCustomer := map[string]int{} // customer to its call
	at := make([][2]int, len(ivs)) // call, place in it
	for i, iv := range ivs {
		if iv.Planned.IsZero() {
			iv.Planned = iv.Due
		}
		if iv.TaskID == "" {
			iv.TaskID = iv.ID
		}
		var entry []byte
		if e := entries[i]; e.Kind == KindIntervention && e.State == Scheduled && iv.State == Scheduled {
			iv.Plan = Plan{At: e.At, Cause: e.Cause, Reason: e.Reason, Zone: e.Details["timezone"]}
		} else if entry, err = encodeEntry(e); err != nil {
			return nil, fmt.Errorf("schedule intervention %s: encode journal entry: %w", iv.ID, err)
		}
		n, ok := byCustomer[iv.Customer]
		if !ok {
			n = len(calls)
			byCustomer[iv.Customer] = n
			calls = append(calls, &call{script: createScript,
				keys: []string{ivsKey(iv.Customer), journalKey(iv.Customer)},
				args: []any{journalCap}})
		}
		c := calls[n]
		at[i] = [2]int{n, (len(c.args) - 1) / 3}
		c.args = append(c.args, iv.ID, entry, encodeRecord(iv.fields()))
	}
	if err := s.evalAll(ctx, calls); err != nil {
		return nil, fmt.Errorf("schedule interventions: %w", err)
	}
	state = make([]string, len(ivs))
	for i, iv := range ivs {
		res, err := calls[at[i][0]].cmd.StringSlice()
		if err != nil {
			return nil, fmt.Errorf("schedule intervention %s: %w", iv.ID, err)
		}
		if at[i][1] >= len(res) {
			return nil, fmt.Errorf("schedule intervention %s: %d results for %d interventions", iv.ID, len(res), at[i][1]+1)
		}
		state[i] = res[at[i][1]]
	}
	return state, nil
}

// Intervention loads one intervention.
func (s *InterventionStore) Intervention(ctx context.Context, cus, id string) (*Intervention, error) {
	raw, err := s.rdb.HGet(ctx, ivsKey(cus), id).Result()
	if errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("intervention %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("load intervention %s: %w", id, err)
	}
	return loadIntervention(cus, id, raw)
}

// InterventionsAt loads the interventions refs name (Ref.ID an
// intervention id) in one round trip. errs[i] is ErrNotFound for one that
// does not exist, or why its record could not be read.
func (s *InterventionStore) InterventionsAt(ctx context.Context, refs []Ref) (ivs []*Intervention, errs []error, err error) {
	cmds := make([]*redis.StringCmd, len(refs))
	_, err = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, r := range refs {
			cmds[i] = p.HGet(ctx, ivsKey(r.Customer), r.ID)
		}
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, nil, fmt.Errorf("load interventions: %w", err)
	}
	ivs, errs = make([]*Intervention, len(refs)), make([]error, len(refs))
	for i, c := range cmds {
		if errors.Is(c.Err(), redis.Nil) {
			errs[i] = fmt.Errorf("intervention %s: %w", refs[i].ID, ErrNotFound)
			continue
		}
		if c.Err() != nil {
			errs[i] = fmt.Errorf("load intervention %s: %w", refs[i].ID, c.Err())
			continue
		}
		ivs[i], errs[i] = loadIntervention(refs[i].Customer, refs[i].ID, c.Val())
	}
	return ivs, errs, nil
}

// beginScript moves a scheduled intervention to sending, as claimed, and
// counts the attempt; any other state is returned as it is. A retry after
// a crash finds sending: when the try before had not reached its point of
// no return (phase claimed), it goes on as any try; past it, it goes on
// reporting "sending", and the caller decides. The third value of an ok
// reply is the state found, "claimed" for a try that stopped short of its
// point of no return.
var beginScript = recordScript(`
local id = ARGV[1]
local r = get(id)
if not r then return {'missing'} end
local st = r.state
if st == 'sending' and r.cancel and r.cancel ~= '' then
  -- A try that stopped mid-send, with a cancel held: do not send again.
  cancelHeld(id, r, ARGV[2])
  return {'cancelled', encode(r), 'held'}
end
if st == 'scheduled' or st == 'sending' then
  local was = st
  if st == 'scheduled' or r.phase == 'claimed' then
    if st == 'sending' then was = 'claimed' end
    r.state, r.phase = 'sending', 'claimed'
  end
  r.attempts = tostring((tonumber(r.attempts) or 0) + 1)
  local v = encode(r)
  redis.call('HSET', KEYS[1], id, v)
  return {'ok', v, was}
end
return {st, redis.call('HGET', KEYS[1], id)}
`)

// Begin claims an intervention for sending. It returns the intervention
// and ok=true when it may be sent; otherwise ok=false and the intervention
// as it stands (cancelled, sent, …). This check and the cancellation are
// one atomic step each, so a step is either cancelled or sent, never both.
func (s *InterventionStore) Begin(ctx context.Context, cus, id string) (iv *Intervention, ok bool, err error) {
	return beginResult(cus, id, beginScript.Run(ctx, s.rdb, []string{ivsKey(cus), journalKey(cus)}, id, journalCap))
}

// beginResult decodes the reply of beginScript.
func beginResult(cus, id string, cmd *redis.Cmd) (iv *Intervention, ok bool, err error) {
	res, err := cmd.Slice()
	if err != nil {
		return nil, false, fmt.Errorf("begin intervention %s: %w", id, err)
	}
	if len(res) < 2 {
		return nil, false, fmt.Errorf("intervention %s: %w", id, ErrNotFound)
	}
	raw, _ := res[1].(string)
	m, err := decodeRecord(id, raw)
	if err != nil {
		return nil, false, err
	}
	iv, err = decodeIntervention(cus, id, m)
	if err != nil {
		return nil, false, err
	}
	if len(res) > 2 {
		switch res[2] {
		case Sending:
			iv.Interrupted = true
		case "held":
			iv.CancelCause = heldCause(m["cancel"])
		}
	}
	return iv, res[0] == "ok", nil
}

// heldCause returns the cause of a held cancel's journal entry.
func heldCause(entry string) string {
	var e Entry
	if json.Unmarshal([]byte(entry), &e) != nil {
		return ""
	}
	return e.Cause
}

// updateScript stores an intervention's fields and journals its entries,
// unless it is gone (erased) or has ended.
// KEYS: interventions, journal. ARGV: id, cap, number of entries n, n
// entries, fields (an empty value deletes the field)…
var updateScript = recordScript(`
local id = ARGV[1]
local r = get(id)
if not r then return 'missing' end
if final(r.state) then return 'ended' end
local n = tonumber(ARGV[3])
local sent = false
for i = 4 + n, #ARGV, 2 do
  if ARGV[i] == 'state' and ARGV[i+1] == 'sent' then sent = true end
end
if r.cancel and r.cancel ~= '' and not sent then
  -- A cancel came while the step was being sent; it did not go out, so
  -- the cancel holds now, before a retry, deferral or fallback.
  return 'cancelled ' .. cancelHeld(id, r, ARGV[2])
end
for i = 4 + n, #ARGV, 2 do
  if ARGV[i+1] == '' then r[ARGV[i]] = nil else r[ARGV[i]] = ARGV[i+1] end
end
put(id, r)
if n > 0 then
  local e = {}
  for i = 4, 3 + n do e[#e+1] = ARGV[i] end
  redis.call('LPUSH', KEYS[2], unpack(e))
  redis.call('LTRIM', KEYS[2], 0, tonumber(ARGV[2]) - 1)
end
return 'ok'
`)

// Update records progress of an intervention that is being sent (the next
// channel to try, the last code) and journals the entries; the state is
// set from iv.State.
//
// Update changes nothing and returns ErrNotFound when the intervention was
// erased meanwhile, and ErrEnded when it is already in a final state, so
// that a late or repeated update can neither bring back an erased customer
// nor turn a cancelled intervention into a sent one.
func (s *InterventionStore) Update(ctx context.Context, iv *Intervention, entries ...Entry) error {
	args := []any{iv.ID, journalCap, len(entries)}
	for _, e := range entries {
		b, err := encodeEntry(e)
		if err != nil {
			return fmt.Errorf("update intervention %s: encode journal entry: %w", iv.ID, err)
		}
		args = append(args, b)
	}
	args = append(args, iv.fields()...)
	keys := []string{ivsKey(iv.Customer), journalKey(iv.Customer)}
	res, err := updateScript.Run(ctx, s.rdb, keys, args...).Text()
	if err != nil {
		return fmt.Errorf("update intervention %s: %w", iv.ID, err)
	}
	if held, ok := strings.CutPrefix(res, "cancelled "); ok {
		iv.State, iv.CancelCause, res = Cancelled, heldCause(held), "cancelled"
	}
	return refusal("update", iv.ID, res)
}

// ErrCancelled is returned by Update when a cancel that came while the
// intervention was being sent took effect instead of the update: the step
// was not sent, and it is now cancelled.
var ErrCancelled = errors.New("cancelled while being sent")

// Interventions returns all of the customer's interventions.
func (s *InterventionStore) Interventions(ctx context.Context, cus string) ([]*Intervention, error) {
	m, err := s.rdb.HGetAll(ctx, ivsKey(cus)).Result()
	if err != nil {
		return nil, fmt.Errorf("load interventions: %w", err)
	}
	return decodeAll(cus, m)
}

// decodeAll reads the records of the customer's interventions hash.
func decodeAll(cus string, records map[string]string) ([]*Intervention, error) {
	ivs := make([]*Intervention, 0, len(records))
	for id, raw := range records {
		iv, err := loadIntervention(cus, id, raw)
		if err != nil {
			return nil, err
		}
		ivs = append(ivs, iv)
	}
	return ivs, nil
}
