package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Kinds of journal entries.
const (
	KindEvent        = "event"
	KindIntervention = "intervention"
	KindProfile      = "profile"
	KindCallback     = "callback"
)

// Intervention states. An intervention starts scheduled and ends in one of
// sent, skipped, cancelled, failed or held_out (a control run's step,
// not sent). Sending is the short state between
// "it is not cancelled" and "it was sent".
const (
	Scheduled = "scheduled"
	Sending   = "sending"
	Sent      = "sent"
	Skipped   = "skipped"
	Cancelled = "cancelled"
	Failed    = "failed"
	HeldOut   = "held_out"
)

// Final reports whether state is an end state.
func Final(state string) bool {
	switch state {
	case Sent, Skipped, Cancelled, Failed, HeldOut:
		return true
	}
	return false
}

// Entry is one line of a customer's journal.
type Entry struct {
	At           time.Time  `json:"at"`
	Kind         string     `json:"kind"`
	State        string     `json:"state,omitempty"`
	EventID      string     `json:"event_id,omitempty"`
	EventType    string     `json:"event_type,omitempty"`
	Subject      string     `json:"subject,omitempty"`
	Flow         string     `json:"flow,omitempty"`
	Version      string     `json:"flow_version,omitempty"`
	Step         string     `json:"step,omitempty"`
	Run          string     `json:"run,omitempty"`
	Intervention string     `json:"intervention,omitempty"`
	Channel      string     `json:"channel,omitempty"`
	Due          *time.Time `json:"due,omitempty"`
	Reason       string     `json:"reason,omitempty"`
	Code         string     `json:"code,omitempty"`
	ProviderID   string     `json:"provider_id,omitempty"`
	Queue        string     `json:"queue,omitempty"`
	// Cause names the rule behind a decision in a word a program can
	// match: after, at, window, late, too_late, quiet_hours, budget,
	// skip_if, once_per, debounce, cancel_on, api, erased, from,
	// interrupted, no_consent, opted_out, no_contact, not_configured,
	// provider, flow_removed, step_removed.
	Cause string `json:"cause,omitempty"`
	// Details hold the decision's facts: the expression of a skip_if, the
	// time a step was deferred to, the cancelling event, …
	Details map[string]string `json:"details,omitempty"`
	// Once, when writing, journals the entry only if the customer's
	// newest entries do not hold it yet (the same kind, state, event,
	// intervention, flow and step): for what handling an event writes,
	// when the event may have been handled before. It is not stored.
	Once bool `json:"-"`
}

// journalCap bounds a customer's journal.
const journalCap = 5000

// encodeEntry encodes a journal entry as stored. An intervention's entry
// leaves out what the intervention's record holds for its whole life
// (flow, version, step, run, subject); Timeline fills them in again.
func encodeEntry(e Entry) ([]byte, error) {
	if e.Kind == KindIntervention && e.Intervention != "" {
		e.Flow, e.Version, e.Step, e.Run, e.Subject = "", "", "", "", ""
	}
	return json.Marshal(e)
}

func pushJournal(ctx context.Context, p redis.Pipeliner, cus string, entries ...Entry) error {
	if len(entries) == 0 {
		return nil
	}
	vals := make([]any, len(entries))
	for i, e := range entries {
		b, err := encodeEntry(e)
		if err != nil {
			return fmt.Errorf("encode journal entry: %w", err)
		}
		vals[i] = b
	}
	p.LPush(ctx, journalKey(cus), vals...)
	p.LTrim(ctx, journalKey(cus), 0, journalCap-1)
	return nil
}

// onceLookBack is how many of a customer's newest journal entries are
// searched for an entry written with Once.
const onceLookBack = 500

// same reports whether two entries record the same thing, as Once
// compares them.
func same(a, b Entry) bool {
	return a.Kind == b.Kind && a.State == b.State && a.EventID == b.EventID && a.Intervention == b.Intervention &&
		(a.Intervention != "" || a.Flow == b.Flow && a.Step == b.Step)
}

// unwritten returns which of the entries, each of the customer beside it,
// are to be written: all but those written with Once whose like is among
// their customer's newest entries. The journals are read, in one round
// trip, only when an entry has Once.
func (s base) unwritten(ctx context.Context, cus []string, entries []Entry) ([]bool, error) {
	write := make([]bool, len(entries))
	reads := map[string]*redis.StringSliceCmd{}
	for i, e := range entries {
		write[i] = true
		if e.Once {
			reads[cus[i]] = nil
		}
	}
	if len(reads) == 0 {
		return write, nil
	}
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for c := range reads {
			reads[c] = p.LRange(ctx, journalKey(c), 0, onceLookBack-1)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read journal: %w", err)
	}
	for i, e := range entries {
		if !e.Once {
			continue
		}
		for _, raw := range reads[cus[i]].Val() {
			if !strings.Contains(raw, e.EventID) {
				continue
			}
			var old Entry
			if json.Unmarshal([]byte(raw), &old) == nil && same(old, e) {
				write[i] = false
				break
			}
		}
	}
	return write, nil
}

// Journal appends entries to the customer's journal.
func (s *JournalStore) Journal(ctx context.Context, cus string, entries ...Entry) error {
	cs := make([]string, len(entries))
	for i := range cs {
		cs[i] = cus
	}
	write, err := s.unwritten(ctx, cs, entries)
	if err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	var kept []Entry
	for i, e := range entries {
		if write[i] {
			kept = append(kept, e)
		}
	}
	if len(kept) == 0 {
		return nil
	}
	_, err = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		return pushJournal(ctx, p, cus, kept...)
	})
	if err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	return nil
}
