package engine

import (
	"context"
	"encoding/json"
	"slices"

	"github.com/aheadhq/ahead/flows"
	"github.com/aheadhq/ahead/internal/store"
)

// history fills in what the step's skip_if reads of the customer's other
// events: the types of those since the trigger, or the events themselves
// when it reads their data, and the events before the trigger that
// events_before asks for. Each is bounded to the newest store.MaxHistory.
func (g *guard) history(ctx context.Context, v *flows.SkipVars) error {
	st, ev := g.step, g.ev
	var qs []store.HistoryQuery
	data := st.SkipReadsEventData()
	if data {
		qs = append(qs, store.HistoryQuery{After: ev.OccurredAt, Except: ev.ID})
	}
	window, types := st.SkipEventsBefore()
	if window > 0 {
		qs = append(qs, store.HistoryQuery{From: ev.OccurredAt.Add(-window), Before: ev.OccurredAt, Types: types, Except: ev.ID})
	}
	if !data && st.SkipReadsEventsSince() {
		v.EventsSince = g.since
		if g.since == nil {
			since, err := g.w.o.Store.EventsSince(ctx, g.iv.Customer, ev.OccurredAt, ev.ID)
			if err != nil {
				return err
			}
			v.EventsSince = since
		}
	}
	if len(qs) == 0 {
		return nil
	}
	res, err := g.w.o.Store.History(ctx, g.iv.Customer, qs)
	if err != nil {
		return err
	}
	if data {
		v.Since = pastEvents(res[0])
		slices.Reverse(v.Since) // oldest first
		v.EventsSince = make([]string, len(v.Since))
		for i, e := range v.Since {
			v.EventsSince[i] = e.Type
		}
		res = res[1:]
	}
	if window > 0 {
		v.Before = pastEvents(res[0])
	}
	return nil
}

// pastEvents turns recorded events into events: id, type and time from the
// record, subject and data from the event while it is stored.
func pastEvents(rs []store.Recent) []*flows.Event {
	out := make([]*flows.Event, len(rs))
	for i, r := range rs {
		e := &flows.Event{}
		if r.Event != nil {
			_ = json.Unmarshal(r.Event, e)
		}
		e.ID, e.Type, e.OccurredAt = r.ID, r.Type, r.At
		out[i] = e
	}
	return out
}
