package store

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/redis/go-redis/v9"
)

// Timeline returns up to limit entries of the customer's timeline, newest
// first: the journal, which holds decisions and transitions, and the
// entries made from state: "received" for each event kept (see Receipt)
// and "scheduled" for each intervention with a Plan. Entries of one
// instant list the journal's first, then the scheduled, then the received
// ones: the order they happened in. It reads the journal, the
// interventions and the events in one round trip.
func (s *Store) Timeline(ctx context.Context, cus string, limit int) ([]Entry, error) {
	if limit <= 0 || limit > journalCap {
		limit = journalCap
	}
	var journal *redis.StringSliceCmd
	var records, stored *redis.MapStringStringCmd
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		journal = p.LRange(ctx, journalKey(cus), 0, int64(limit-1))
		records = p.HGetAll(ctx, ivsKey(cus))
		stored = p.HGetAll(ctx, eventsKey(cus))
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load journal: %w", err)
	}
	ivs, err := decodeAll(cus, records.Val())
	if err != nil {
		return nil, err
	}
	events := liveEvents(stored.Val(), time.Now())
	byID := make(map[string]*Intervention, len(ivs))
	for _, iv := range ivs {
		byID[iv.ID] = iv
	}
	out := make([]Entry, 0, len(journal.Val()))
	for _, r := range journal.Val() {
		var e Entry
		if err := json.Unmarshal([]byte(r), &e); err != nil {
			return nil, fmt.Errorf("decode journal entry: %w", err)
		}
		if iv := byID[e.Intervention]; iv != nil && e.Kind == KindIntervention && e.Flow == "" {
			// What encodeEntry left out, the record holds.
			e.Flow, e.Version, e.Step, e.Run, e.Subject = iv.Flow, iv.Version, iv.Step, iv.Run, iv.Subject
		}
		out = append(out, e)
	}
	made := append(scheduledEntries(ivs), receivedEntries(events)...)
	if len(made) == 0 {
		return out, nil
	}
	// The journal is newest first already; the made entries go in by time.
	slices.SortStableFunc(made, func(a, b Entry) int { return b.At.Compare(a.At) })
	merged := make([]Entry, 0, len(out)+len(made))
	i, j := 0, 0
	for i < len(out) || j < len(made) {
		if j == len(made) || i < len(out) && !out[i].At.Before(made[j].At) {
			merged = append(merged, out[i])
			i++
		} else {
			merged = append(merged, made[j])
			j++
		}
	}
	if len(merged) > limit {
		merged = merged[:limit]
	}
	return merged, nil
}

// scheduledEntries makes the "scheduled" entries of the interventions
// with a Plan, newest first; among those of one instant, the latest due
// first.
func scheduledEntries(ivs []*Intervention) []Entry {
	var out []Entry
	for _, iv := range ivs {
		if !iv.Plan.At.IsZero() {
			out = append(out, iv.scheduledEntry())
		}
	}
	slices.SortFunc(out, func(a, b Entry) int {
		return cmp.Or(b.At.Compare(a.At), b.Due.Compare(*a.Due), cmp.Compare(b.Intervention, a.Intervention))
	})
	return out
}

// scheduledEntry makes the journal entry that scheduled iv from its Plan.
func (iv *Intervention) scheduledEntry() Entry {
	p := iv.Plan
	due := iv.Planned
	e := Entry{
		At: p.At, Kind: KindIntervention, State: Scheduled, EventID: iv.EventID, EventType: iv.EventType,
		Subject: iv.Subject, Flow: iv.Flow, Version: iv.Version, Step: iv.Step, Run: iv.Run,
		Intervention: iv.ID, Due: &due, Reason: p.Reason, Cause: p.Cause, Details: map[string]string{},
	}
	if p.Event != "" {
		e.EventID, e.EventType = p.Event, p.EventType
	}
	if iv.Arm != "" {
		e.Details["arm"] = iv.Arm
	}
	if p.Zone != "" {
		if loc, err := time.LoadLocation(p.Zone); err == nil {
			e.Details["due_local"], e.Details["timezone"] = due.In(loc).Format(time.RFC3339), p.Zone
		}
	}
	return e
}

// Receipt is what the store keeps of how an event came in, beside the
// event: when, and how when it was not posted (the reason its "received"
// entry gives). The engine stores it in the event's JSON.
type Receipt struct {
	// ReceivedNS is the instant it came in, in Unix nanoseconds: fine
	// enough to order it among the journal's entries.
	ReceivedNS int64  `json:"received_ns,omitempty"`
	Via        string `json:"via,omitempty"`
}

// receivedEntries makes the "received" entries of the events (their
// JSON) that hold a Receipt, newest first. An event stored by an earlier
// version has none: its entry is in the journal.
func receivedEntries(events map[string][]byte) []Entry {
	var out []Entry
	for _, raw := range events {
		var ev struct {
			ID      string `json:"id"`
			Type    string `json:"type"`
			Subject string `json:"subject"`
			Receipt
		}
		if json.Unmarshal(raw, &ev) != nil || ev.ReceivedNS == 0 {
			continue
		}
		out = append(out, Entry{
			At: time.Unix(0, ev.ReceivedNS).UTC(), Kind: KindEvent, State: "received",
			EventID: ev.ID, EventType: ev.Type, Subject: ev.Subject, Reason: ev.Via,
		})
	}
	slices.SortStableFunc(out, func(a, b Entry) int { return cmp.Or(b.At.Compare(a.At), cmp.Compare(b.EventID, a.EventID)) })
	return out
}
