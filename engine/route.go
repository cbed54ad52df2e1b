package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/aheadhq/ahead/flows"
	"github.com/aheadhq/ahead/internal/metrics"
	"github.com/aheadhq/ahead/internal/store"
)

// always is the again of Route: a route task may run after an attempt
// that routed part of its event.
func always(*flows.Event) bool { return true }

// Route routes stored events: for each, in the order they occurred, it
// cancels what the event cancels and starts a run of every flow it
// triggers, one intervention per step, each queued as a step task at its
// due time. A batch costs a handful of Redis round trips, whatever its
// size. Routing an event again changes nothing: ids are deterministic. An
// event that is no longer stored (its customer was erased) is passed over.
func (w *Engine) Route(ctx context.Context, refs []store.Ref) error {
	loaded, err := w.o.Store.LoadBatch(ctx, refs)
	if err != nil {
		return err
	}
	var evs []*flows.Event
	for i, raw := range loaded.Events {
		if raw == nil {
			continue
		}
		ev := new(flows.Event)
		if err := json.Unmarshal(raw, ev); err != nil {
			return fmt.Errorf("decode event %q: %w", refs[i].ID, err)
		}
		evs = append(evs, ev)
	}
	return w.route(ctx, evs, loaded, always)
}

// RouteEvents routes events as Route does, for a caller that has just
// stored them (store.Accept) and holds them decoded: only their customers'
// state is read. again, when not nil, reports the events that may have
// been routed before (taken again after a process stopped halfway): the
// journal entries routing writes for them are written only if they are
// not there yet.
func (w *Engine) RouteEvents(ctx context.Context, events []*flows.Event, again func(*flows.Event) bool) error {
	customers := make([]string, len(events))
	for i, ev := range events {
		customers[i] = ev.CustomerID
	}
	loaded, err := w.o.Store.LoadCustomers(ctx, customers)
	if err != nil {
		return err
	}
	return w.route(ctx, slices.Clone(events), loaded, again)
}

func (w *Engine) route(ctx context.Context, evs []*flows.Event, loaded *store.Loaded, again func(*flows.Event) bool) error {
	now := w.o.Clock.Now()
	var noted []store.Noted
	for _, ev := range evs {
		if ev.OccurredAt.IsZero() {
			ev.OccurredAt = now
		}
		noted = append(noted, store.Noted{Customer: ev.CustomerID, Type: ev.Type, ID: ev.ID, At: ev.OccurredAt})
	}
	if len(evs) == 0 {
		return nil
	}
	slices.SortStableFunc(evs, func(a, b *flows.Event) int { return a.OccurredAt.Compare(b.OccurredAt) })
	if err := w.o.Store.NoteEvents(ctx, noted); err != nil {
		return err
	}
	cat := w.Catalog()
	b := &batch{now: now, again: again}
	// Which flows each event triggers, and, for flows with once_per, whether
	// the customer may enter: all entries recorded in one round trip.
	custs := make([]*flows.Customer, len(evs))
	trig := make([][]*flows.Flow, len(evs))
	var entering []store.Entering
	for i, ev := range evs {
		custs[i] = ProfileOf(ev.CustomerID, loaded.Profiles[ev.CustomerID])
		var err error
		if trig[i], err = cat.Flows.Triggered(ev, custs[i]); err != nil {
			w.conditionFailed(ctx, ev, "trigger", err, b.once(ev))
		}
		for _, f := range trig[i] {
			if key, ok := onceKey(f, ev); ok {
				entering = append(entering, store.Entering{Customer: ev.CustomerID, Key: key, Event: ev.ID, At: now, Reentry: f.ReentryAfter})
			}
		}
	}
	entered, err := w.o.Store.EnterAll(ctx, entering)
	if err != nil {
		return err
	}
	b.entered = map[string]time.Time{}
	for i, e := range entering {
		b.entered[e.Customer+"|"+e.Event+"|"+e.Key] = entered[i]
	}
	for i, ev := range evs {
		cust := custs[i]
		if b.has(ev.CustomerID) {
			// What this batch planned for the customer must be in Redis
			// before a cancel looks for it.
			if targets, _ := cat.Flows.CancelTargets(ev, cust); len(targets) > 0 {
				if err := w.settle(ctx, b); err != nil {
					return err
				}
			}
		}
		marks, err := w.cancelFor(ctx, cat, ev, cust, b.once(ev))
		if err != nil {
			return err
		}
		loaded.Marks[ev.CustomerID] = append(loaded.Marks[ev.CustomerID], marks...)
		if err := w.plan(ctx, b, ev, cust, trig[i], loaded.Marks[ev.CustomerID]); err != nil {
			return err
		}
	}
	return w.flush(ctx, b)
}

// conditionFailed logs and journals an expression (trigger.if,
// cancel_on[].if) that could not be evaluated for ev: the flows it names
// were left out, and the customer's timeline says why. once journals it
// only if it is not there yet.
func (w *Engine) conditionFailed(ctx context.Context, ev *flows.Event, what string, err error, once bool) {
	w.o.Log.Warn(what+" condition failed", "event", ev.ID, "err", err)
	if jerr := w.o.Store.Journal(ctx, ev.CustomerID, store.Entry{
		At: w.o.Clock.Now(), Kind: store.KindEvent, State: "error", EventID: ev.ID,
		EventType: ev.Type, Subject: ev.Subject, Reason: err.Error(), Once: once,
	}); jerr != nil {
		w.o.Log.Error("journal failed condition", "event", ev.ID, "err", jerr)
	}
}

// cancelFor cancels the pending interventions that ev cancels: those of
// flows (or single steps) whose cancel_on matches ev, for the same
// customer and, when both ev and the run have a subject, the same subject.
// A run started without a subject is about the customer as a whole, so any
// matching event of that customer cancels it. once is conditionFailed's.
func (w *Engine) cancelFor(ctx context.Context, cat *Catalog, ev *flows.Event, cust *flows.Customer, once bool) ([]store.CancelMark, error) {
	targets, err := cat.Flows.CancelTargets(ev, cust)
	if err != nil {
		w.conditionFailed(ctx, ev, "cancel", err, once)
	}
	if len(targets) == 0 {
		return nil, nil
	}
	// Remember the cancel, for runs whose trigger occurred earlier but
	// arrives after this event.
	var marks []store.CancelMark
	for _, t := range targets {
		m := store.CancelMark{Flow: t.Flow, Step: t.Step, Subject: ev.Subject, Occurred: ev.OccurredAt, EventType: ev.Type, EventID: ev.ID}
		if err := w.o.Store.MarkCancel(ctx, ev.CustomerID, m); err != nil {
			return nil, err
		}
		marks = append(marks, m)
	}
	pending, err := w.o.Store.PendingOf(ctx, ev.CustomerID)
	if err != nil {
		return nil, err
	}
	var ids []string
	for id, pd := range pending {
		if flows.Matches(targets, pd.Flow, pd.Step) && (ev.Subject == "" || pd.Subject == "" || pd.Subject == ev.Subject) {
			ids = append(ids, id)
		}
	}
	_, err = w.CancelPending(ctx, ev.CustomerID, ids, pending, store.Entry{
		At: w.o.Clock.Now(), EventID: ev.ID, EventType: ev.Type, Cause: "cancel_on",
		Reason:  fmt.Sprintf("cancelled by event %s (%s)", ev.Type, ev.ID),
		Details: map[string]string{"event_id": ev.ID, "event_type": ev.Type},
	})
	return marks, err
}

// onceKey returns the key a flow's once_per records entries under for ev,
// and false when the flow has no once_per.
func onceKey(f *flows.Flow, ev *flows.Event) (string, bool) {
	switch f.OncePer {
	case flows.OncePerCustomer:
		return f.Name, true
	case flows.OncePerSubject:
		return f.Name + "|" + ev.Subject, true
	}
	return "", false
}

// enter applies a flow's once_per with the entry Route recorded: it
// reports whether ev may start a run, journaling why not.
func (w *Engine) enter(ctx context.Context, b *batch, f *flows.Flow, ev *flows.Event) (bool, error) {
	key, ok := onceKey(f, ev)
	if !ok {
		return true, nil
	}
	prev := b.entered[ev.CustomerID+"|"+ev.ID+"|"+key]
	if prev.IsZero() {
		return true, nil
	}
	why := fmt.Sprintf("flow %s not started: once per %s, entered %s", f.Name, f.OncePer, prev.UTC().Format(time.RFC3339))
	if f.ReentryAfter > 0 {
		why += fmt.Sprintf("; again after %s", prev.Add(f.ReentryAfter).UTC().Format(time.RFC3339))
	}
	return false, w.o.Store.Journal(ctx, ev.CustomerID, store.Entry{
		At: b.now, Kind: store.KindEvent, State: "not_started", EventID: ev.ID, EventType: ev.Type,
		Subject: ev.Subject, Flow: f.Name, Version: f.Version, Cause: "once_per", Reason: why,
		Details: map[string]string{"entered": prev.UTC().Format(time.RFC3339)}, Once: b.once(ev),
	})
}

// debounced hands ev to a pending intervention of a debounced step, and
// reports whether it did (then no new intervention is planned).
func (w *Engine) debounced(ctx context.Context, b *batch, f *flows.Flow, s *flows.Step, ev *flows.Event, id string) (bool, error) {
	if s.Debounce <= 0 {
		return false, nil
	}
	slot := f.Name + "|" + s.ID + "|" + ev.Subject
	if b.slots[ev.CustomerID+"|"+slot] {
		// An earlier event of this batch took the slot: what the batch
		// planned must be in Redis before this event can join it.
		if err := w.settle(ctx, b); err != nil {
			return false, err
		}
	}
	joined, err := w.o.Store.Debounce(ctx, ev.CustomerID, slot, id, ev.ID, ev.Type)
	if err == nil && (joined == "" || joined == id) {
		if b.slots == nil {
			b.slots = map[string]bool{}
		}
		b.slots[ev.CustomerID+"|"+slot] = true
	}
	if err != nil || joined == "" || joined == id {
		return false, err
	}
	return true, w.o.Store.Journal(ctx, ev.CustomerID, store.Entry{
		At: b.now, Kind: store.KindIntervention, State: "debounced", EventID: ev.ID, EventType: ev.Type,
		Subject: ev.Subject, Flow: f.Name, Version: f.Version, Step: s.ID, Intervention: joined,
		Cause: "debounce", Reason: fmt.Sprintf("joined pending intervention %s, which carries the data of the newest of its events (debounce %s)", joined, s.Debounce),
		Once: b.once(ev),
	})
}

// keepSource stores each flow version once, so runs can finish on it.
func (w *Engine) keepSource(ctx context.Context, f *flows.Flow) error {
	if _, ok := w.kept.Load(f.Version); ok {
		return nil
	}
	if err := w.o.Store.KeepFlowSource(ctx, f.Version, f.Source); err != nil {
		return err
	}
	w.kept.Store(f.Version, true)
	return nil
}

// batch collects what routing a batch of events plans, to be written at once.
type batch struct {
	now     time.Time
	entered map[string]time.Time // once_per entries: customer|event|key to the blocking entry
	ivs     []*store.Intervention
	entries []store.Entry
	keeps   []store.Keep
	again   func(*flows.Event) bool // events that may have been routed before
	slots   map[string]bool         // debounce slots (customer|flow|step|subject) taken by ivs
	// entrants are the runs of measured flows started, for their reports.
	entrants []store.Entrant
}

// settle writes what b planned so far and empties it, so that later events
// of the batch see it in Redis.
func (w *Engine) settle(ctx context.Context, b *batch) error {
	if err := w.flush(ctx, b); err != nil {
		return err
	}
	b.ivs, b.entries, b.keeps, b.slots, b.entrants = nil, nil, nil, nil, nil
	return nil
}

// once reports whether the journal entries of routing ev are to be
// written only if they are not there yet.
func (b *batch) once(ev *flows.Event) bool { return b.again != nil && b.again(ev) }

// has reports whether b planned interventions for customer.
func (b *batch) has(customer string) bool {
	for _, iv := range b.ivs {
		if iv.Customer == customer {
			return true
		}
	}
	return false
}

// plan adds the interventions of the runs ev starts to b.
func (w *Engine) plan(ctx context.Context, b *batch, ev *flows.Event, cust *flows.Customer, triggered []*flows.Flow, marks []store.CancelMark) error {
	if len(triggered) == 0 {
		return nil
	}
	now := b.now
	loc := w.location(cust.Timezone)
	occurred := ev.OccurredAt
	last := now
	for _, f := range triggered {
		ok, err := w.enter(ctx, b, f, ev)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		if err := w.keepSource(ctx, f); err != nil {
			return err
		}
		run := RunID(ev.CustomerID, ev.ID, f.Name)
		runArm, planned := arm(f, ev.CustomerID), false
		for _, s := range f.Steps {
			id := InterventionID(ev.CustomerID, ev.ID, f.Name, s.ID)
			joined, err := w.debounced(ctx, b, f, s, ev, id)
			if err != nil {
				return err
			}
			if joined {
				continue
			}
			// The step counts from its from: date when it has one.
			from, ferr := s.Anchor(ev, cust, loc)
			if ferr != nil {
				from = occurred
			}
			plan := s.Due(from, now, loc, f.LateLimitOr(s, w.o.LateLimit))
			cause := "after"
			if ferr != nil {
				plan = flows.Plan{At: now, Reason: "skipped: " + ferr.Error()}
			}
			if s.Debounce > 0 && !plan.Late && ferr == nil {
				plan.At = plan.At.Add(s.Debounce)
				plan.Reason += fmt.Sprintf("; debounce %s: waits for more events until %s", s.Debounce, stampIn(plan.At, loc))
				cause = "debounce"
			}
			iv := &store.Intervention{
				ID: id, Customer: ev.CustomerID,
				Run: run, Flow: f.Name, Version: f.Version, Step: s.ID, EventID: ev.ID,
				EventType: ev.Type, Subject: ev.Subject, Channels: s.Channels, Due: plan.At.UTC(), Planned: plan.At.UTC(),
				TaskQueue: w.o.Queue.StepQueue(ev.CustomerID), TaskID: id, State: store.Scheduled, Reason: plan.Reason,
				Occurred: ev.OccurredAt, Arm: runArm,
			}
			details := map[string]string{}
			if runArm != "" {
				details["arm"] = runArm
			}
			planned = true
			if ferr != nil {
				iv.State, cause = store.Skipped, "from"
			} else if plan.Late {
				iv.State, cause = store.Skipped, "too_late"
			} else if m := cancelledBefore(marks, f.Name, s.ID, ev); m != nil {
				iv.State, cause = store.Cancelled, "cancel_on"
				iv.Reason = fmt.Sprintf("cancelled by event %s (%s), which occurred after this run's trigger but arrived first", m.EventType, m.EventID)
				details["event_type"], details["event_id"] = m.EventType, m.EventID
			}
			due := iv.Due
			b.ivs = append(b.ivs, iv)
			b.entries = append(b.entries, store.Entry{
				At: now, Kind: store.KindIntervention, State: iv.State, EventID: ev.ID, EventType: ev.Type,
				Subject: ev.Subject, Flow: f.Name, Version: f.Version, Step: s.ID, Run: run,
				Intervention: iv.ID, Due: &due, Reason: iv.Reason, Cause: cause, Details: details,
			})
			details["due_local"], details["timezone"] = due.In(loc).Format(time.RFC3339), loc.String()
			if due.After(last) {
				last = due
			}
		}
		if planned && f.Measured() {
			b.entrants = append(b.entrants, entrant(f, ev, run, now))
		}
	}
	if keep := last.Sub(now) + w.o.EventTTL; keep > w.EventTTL()-time.Hour {
		// Later than the flows' horizon when the event came: keep it longer.
		b.keeps = append(b.keeps, store.Keep{Ref: store.Ref{Customer: ev.CustomerID, ID: ev.ID}, TTL: keep})
	}
	return nil
}

// flush writes what b planned: the interventions with their journal
// entries, the events' extended lives, and the step tasks of the
// interventions that are scheduled.
func (w *Engine) flush(ctx context.Context, b *batch) error {
	if len(b.ivs) == 0 {
		return nil
	}
	states, err := w.o.Store.Schedule(ctx, b.ivs, b.entries)
	if err != nil {
		return err
	}
	for i, st := range states {
		if st == "created" {
			metrics.Interventions.WithLabelValues(b.ivs[i].State, "").Inc()
			if store.Final(b.ivs[i].State) {
				countOutcome(b.ivs[i], b.entries[i]) // too late, no date to count from, cancelled before it came
			}
		}
	}
	if err := w.addEntrants(ctx, b.entrants, b.now); err != nil {
		return err
	}
	// Keep the events (their data renders in the templates) until their last step is done.
	if len(b.keeps) > 0 {
		if err := w.o.Store.KeepEvents(ctx, b.keeps); err != nil {
			return err
		}
	}
	var created, queue []*store.Intervention
	for i, iv := range b.ivs {
		switch {
		case states[i] == "created" && iv.State == store.Scheduled:
			created = append(created, iv)
		case states[i] == store.Scheduled:
			// A route done again finds its interventions created; queue those
			// still scheduled again, as they stand now (a deferral moved their
			// task), in case the first route stopped before queuing them. The
			// task id makes that a no-op when the task is there.
			cur, err := w.o.Store.Intervention(ctx, iv.Customer, iv.ID)
			if err != nil {
				return err
			}
			if cur.State == store.Scheduled {
				queue = append(queue, cur)
			}
		}
	}
	// The task of an intervention created just now cannot exist yet: its
	// id comes from the intervention's, and the intervention is created
	// once. It is written without asynq's check.
	if err := w.enqueueSteps(ctx, created, true); err != nil {
		return err
	}
	return w.enqueueSteps(ctx, queue, false)
}

// cancelledBefore returns the cancel mark that cancels a new run's step:
// one for its flow (and step), subject (when both have one), made by an
// event that occurred after ev.
func cancelledBefore(marks []store.CancelMark, flow, step string, ev *flows.Event) *store.CancelMark {
	for i, m := range marks {
		if m.Flow == flow && (m.Step == "" || m.Step == step) &&
			(m.Subject == "" || ev.Subject == "" || m.Subject == ev.Subject) &&
			m.Occurred.After(ev.OccurredAt) {
			return &marks[i]
		}
	}
	return nil
}

// stampIn formats t in loc for reasons.
func stampIn(t time.Time, loc *time.Location) string {
	return t.In(loc).Format("2006-01-02 15:04 MST")
}

// EnqueueStep queues the task of a scheduled intervention at its due time.
func (w *Engine) EnqueueStep(ctx context.Context, iv *store.Intervention) error {
	return w.enqueueSteps(ctx, []*store.Intervention{iv}, false)
}

// enqueueSteps queues the step tasks of ivs in one round trip; fresh says
// the interventions were created just now, so their tasks cannot exist yet.
func (w *Engine) enqueueSteps(ctx context.Context, ivs []*store.Intervention, fresh bool) error {
	if len(ivs) == 0 {
		return nil
	}
	if err := w.o.Queue.Steps(ctx, ivs, fresh); err != nil {
		return fmt.Errorf("enqueue steps: %w", err)
	}
	return nil
}
