package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// Ref names one stored event.
type Ref struct{ Customer, ID string }

// Loaded is what routing a batch of events needs to read, read in one
// round trip: the events, and their customers' profiles and cancel marks.
type Loaded struct {
	// Events holds each event's JSON, nil when it is not stored (erased).
	Events   [][]byte
	Profiles map[string]Profile
	Marks    map[string][]CancelMark
}

// LoadBatch reads the events refs name with their customers' state.
func (s *Store) LoadBatch(ctx context.Context, refs []Ref) (*Loaded, error) {
	cus := make([]string, len(refs))
	for i, r := range refs {
		cus[i] = r.Customer
	}
	return s.load(ctx, refs, cus)
}

// LoadCustomers reads the profiles and cancel marks of customers, for
// events the caller holds.
func (s *Store) LoadCustomers(ctx context.Context, customers []string) (*Loaded, error) {
	return s.load(ctx, nil, customers)
}

func (s *Store) load(ctx context.Context, refs []Ref, customers []string) (*Loaded, error) {
	evs := make([]*redis.StringCmd, len(refs))
	now := time.Now()
	profs := map[string]*redis.MapStringStringCmd{}
	marks := map[string]*redis.MapStringStringCmd{}
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, r := range refs {
			evs[i] = p.HGet(ctx, eventsKey(r.Customer), r.ID)
		}
		for _, cus := range customers {
			if profs[cus] == nil {
				profs[cus] = p.HGetAll(ctx, profileKey(cus))
				marks[cus] = p.HGetAll(ctx, cancelsKey(cus))
			}
		}
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("load events: %w", err)
	}
	out := &Loaded{Events: make([][]byte, len(refs)), Profiles: map[string]Profile{}, Marks: map[string][]CancelMark{}}
	for i, c := range evs {
		if err := c.Err(); err != nil && !errors.Is(err, redis.Nil) {
			return nil, fmt.Errorf("load event %q: %w", refs[i].ID, err)
		}
		out.Events[i], _ = live(c.Val(), now)
	}
	for cus, c := range profs {
		out.Profiles[cus] = Profile(c.Val())
		out.Marks[cus] = decodeMarks(marks[cus].Val())
	}
	return out, nil
}

// Noted is an event to remember for skip_if (NoteEvent).
type Noted struct {
	Customer, Type, ID string
	At                 time.Time
}

// NoteEvents remembers many events in one round trip (see NoteEvent).
func (s *EventStore) NoteEvents(ctx context.Context, evs []Noted) error {
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, e := range evs {
			p.ZAdd(ctx, recentKey(e.Customer), redis.Z{Score: float64(e.At.UnixMilli()), Member: e.Type + "|" + e.ID})
			p.ZRemRangeByScore(ctx, recentKey(e.Customer), "-inf", strconv.FormatInt(e.At.Add(-keep).UnixMilli(), 10))
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("note events: %w", err)
	}
	return nil
}

// Received is an accepted event's profile update. Its "received" entry
// is not journaled: the timeline makes it from the event's Receipt.
type Received struct {
	Customer string
	Profile  Profile // fields to set; nil for none
}

// newNumberScript forgets that an agent found the phone number wrong when
// the number changes. KEYS: profile. ARGV: the new number.
var newNumberScript = redis.NewScript(`
if redis.call('HGET', KEYS[1], 'phone') ~= ARGV[1] then redis.call('HDEL', KEYS[1], 'phone_invalid') end
return 0
`)

// Receive applies the profile updates of a batch of accepted events in
// one round trip.
func (s *Store) Receive(ctx context.Context, rs []Received) error {
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, r := range rs {
			if len(r.Profile) == 0 {
				continue
			}
			if n := r.Profile["phone"]; n != "" {
				newNumberScript.Eval(ctx, p, []string{profileKey(r.Customer)}, n)
			}
			setProfile(ctx, p, r.Customer, r.Profile)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("record received events: %w", err)
	}
	return nil
}

// StepState is what running a step reads: its trigger event (nil when it
// is no longer stored), the customer's profile and contacts since a time.
type StepState struct {
	Event    []byte
	Profile  Profile
	Contacts []Contact
	// Since holds the types of the events received after the trigger, when
	// they were read with the state (Start with the trigger's time), else
	// nil: EventsSince reads them.
	Since []string
}

// LoadStep reads a step's state in one round trip.
func (s *InterventionStore) LoadStep(ctx context.Context, cus, eventID string, since time.Time) (*StepState, error) {
	var r stepReads
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		r.queue(ctx, p, cus, eventID, since)
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("load step state: %w", err)
	}
	return r.state(eventID), nil
}

// stepReads are the reads of LoadStep, queued on a pipeline.
type stepReads struct {
	ev    *redis.StringCmd
	prof  *redis.MapStringStringCmd
	cts   *redis.ZSliceCmd
	since *redis.StringSliceCmd
}

func (r *stepReads) queue(ctx context.Context, p redis.Pipeliner, cus, eventID string, since time.Time) {
	r.ev = p.HGet(ctx, eventsKey(cus), eventID)
	r.prof = p.HGetAll(ctx, profileKey(cus))
	r.cts = p.ZRevRangeByScoreWithScores(ctx, contactsKey(cus), &redis.ZRangeBy{
		Min: strconv.FormatInt(since.UnixMilli(), 10), Max: "+inf",
	})
}

func (r *stepReads) state(eventID string) *StepState {
	st := &StepState{Profile: Profile(r.prof.Val()), Contacts: decodeContacts(r.cts.Val())}
	st.Event, _ = live(r.ev.Val(), time.Now())
	if r.since != nil {
		st.Since = newestTypes(r.since.Val(), eventID)
	}
	return st
}

// Start is Begin and LoadStep in one round trip, for a step whose task
// names its trigger event. The state is read right after the claim; with
// the trigger's time (occurred, zero when unknown) it holds the events
// received since, as EventsSince returns them. When the intervention's
// trigger is no longer eventID (a debounced step took a newer event), or
// it may not be sent, state is nil: call LoadStep for it.
func (s *InterventionStore) Start(ctx context.Context, cus, id, eventID string, occurred, since time.Time) (iv *Intervention, ok bool, state *StepState, err error) {
	var begin *redis.Cmd
	var r stepReads
	_, err = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		begin = beginScript.EvalSha(ctx, p, []string{ivsKey(cus), journalKey(cus)}, id, journalCap)
		r.queue(ctx, p, cus, eventID, since)
		if !occurred.IsZero() {
			r.since = p.ZRevRangeByScore(ctx, recentKey(cus), sinceRange(occurred))
		}
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) && !isNoScript(err) {
		return nil, false, nil, fmt.Errorf("begin intervention %s: %w", id, err)
	}
	if isNoScript(begin.Err()) {
		// Redis has not seen the script yet (a restart, a new cluster node):
		// claim on its own (that loads it), then read.
		iv, ok, err = s.Begin(ctx, cus, id)
		if err != nil || !ok || iv.EventID != eventID {
			return iv, ok, nil, err
		}
		state, err = s.LoadStep(ctx, cus, eventID, since)
		return iv, ok, state, err
	}
	iv, ok, err = beginResult(cus, id, begin)
	if err != nil || !ok || iv.EventID != eventID {
		return iv, ok, nil, err
	}
	return iv, ok, r.state(eventID), nil
}
