package callbacks

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aheadhq/ahead/flows"
	"github.com/aheadhq/ahead/internal/metrics"
	"github.com/aheadhq/ahead/internal/store"
)

// Outcome is what came of one call.
type Outcome struct {
	// Outcome is one of flows.Outcomes.
	Outcome string `json:"outcome"`
	// Note is the agent's free text. It is kept with the callback and
	// summarised on the customer's timeline; it is never logged.
	Note string `json:"note,omitempty"`
	// RequestedAt is when the customer asked to be called back; required
	// with callback_requested, and in the future.
	RequestedAt time.Time `json:"requested_at,omitzero"`
	// Task, when set, is the TaskRouter task the outcome comes from; it
	// must be the task that offers the callback.
	Task string `json:"-"`
	// Actor, when it is not the agent, is who recorded the outcome for the
	// agent (an admin); the journal names both.
	Actor string `json:"-"`
}

// InvalidError reports an outcome that cannot be recorded, one problem per
// field ("outcome: required").
type InvalidError struct {
	Problems []string
}

func (e *InvalidError) Error() string {
	return "invalid outcome: " + strings.Join(e.Problems, "; ")
}

// MaxNote is the longest note kept, in bytes.
const MaxNote = 4000

// Check validates o at now for the callback's queue rules.
func (o *Outcome) check(cfg *flows.Queue, now time.Time) error {
	var p []string
	switch {
	case o.Outcome == "":
		p = append(p, "outcome: required")
	case !slices.Contains(flows.Outcomes, o.Outcome):
		p = append(p, fmt.Sprintf("outcome: unknown outcome %q (want %s)", o.Outcome, strings.Join(flows.Outcomes, ", ")))
	}
	if len(o.Note) > MaxNote {
		p = append(p, fmt.Sprintf("note: longer than %d bytes", MaxNote))
	}
	if !utf8.ValidString(o.Note) {
		p = append(p, "note: not valid UTF-8")
	}
	switch {
	case o.Outcome == flows.OutcomeCallbackRequested && o.RequestedAt.IsZero():
		p = append(p, "requested_at: required with callback_requested")
	case o.Outcome == flows.OutcomeCallbackRequested && !o.RequestedAt.After(now):
		p = append(p, "requested_at: must be in the future")
	case o.Outcome == flows.OutcomeCallbackRequested && !cfg.Open(o.RequestedAt):
		msg := fmt.Sprintf("requested_at: queue %s is closed then (hours %s)", cfg.Name, cfg.HoursText())
		if next := cfg.Next(o.RequestedAt); !next.IsZero() {
			msg += "; it opens next at " + next.In(cfg.Location).Format(time.RFC3339)
		}
		p = append(p, msg)
	case o.Outcome != flows.OutcomeCallbackRequested && !o.RequestedAt.IsZero():
		p = append(p, "requested_at: only with callback_requested")
	}
	if len(p) > 0 {
		return &InvalidError{Problems: p}
	}
	return nil
}

// Results of callbacks that ended without a final outcome.
const (
	ResultExhausted = "exhausted" // the last try brought no contact
	ResultExpired   = "expired"   // the deadline passed
)

// Record records the outcome of a call to callback id by agent, who must
// hold its lease; agent "" stands for an outside system (TaskRouter),
// which may record for any callback that has not ended.
//
// reached, declined and wrong_number end the callback (wrong_number also
// sets the profile field phone_invalid); no_answer and voicemail put it
// back in the queue after the queue's retry delay, at the next moment
// both the queue and the customer's window are open, until max_attempts
// calls were made or the deadline would pass, which exhausts it;
// callback_requested puts it back at the requested time. Every outcome is
// journaled on the customer's timeline; an exhausted callback takes in the
// queue's on_exhausted event for the customer.
//
// Errors: store.ErrNotFound for an unknown id, ErrNotHolder when agent
// does not hold it (or it changed meanwhile), *InvalidError for a bad
// outcome.
func (q *Queues) Record(ctx context.Context, id, agent string, o Outcome) (*store.Callback, error) {
	cb, err := q.o.Store.FindCallback(ctx, id)
	if err != nil {
		return nil, err
	}
	switch {
	case cb.State == store.CallbackDone:
		return nil, fmt.Errorf("record outcome: callback %s has ended (%s): %w", id, cb.Result, ErrNotHolder)
	case agent != "" && (cb.State != store.CallbackClaimed || cb.Agent != agent):
		holder := "nobody"
		if cb.State == store.CallbackClaimed {
			holder = cb.Agent
		}
		return nil, fmt.Errorf("record outcome: callback %s is held by %s: %w", id, holder, ErrNotHolder)
	case o.Task != "" && o.Task != cb.TaskSID:
		return nil, fmt.Errorf("record outcome: callback %s is not offered by task %s: %w", id, o.Task, ErrNotHolder)
	}
	cfg := q.rules(cb.Queue)
	now := q.o.Clock.Now().UTC()
	o.Note = strings.TrimSpace(o.Note)
	if err := o.check(cfg, now); err != nil {
		return nil, err
	}
	by := agent
	if by == "" {
		by = cb.Agent
	}
	if by == "" {
		by = "an outside system"
	}
	task := cb.TaskSID
	cb.Attempts++
	cb.Outcome, cb.Note = o.Outcome, o.Note
	cb.Agent, cb.Claimed, cb.LeaseUntil, cb.TaskSID = "", time.Time{}, time.Time{}, ""
	attempt := fmt.Sprintf("attempt %d of %d", cb.Attempts, cfg.MaxAttempts)
	if o.Actor != "" && o.Actor != by {
		by += " (recorded by " + o.Actor + ")"
	}
	reason := fmt.Sprintf("%s by %s, %s", o.Outcome, by, attempt)
	exhausted, why := "", "max_attempts"
	switch o.Outcome {
	case flows.OutcomeReached, flows.OutcomeDeclined, flows.OutcomeWrongNumber:
		cb.State, cb.Result, cb.Ended = store.CallbackDone, o.Outcome, now
	case flows.OutcomeNoAnswer, flows.OutcomeVoicemail:
		next := q.nextOpen(cb, cfg, now.Add(cfg.RetryAfter(o.Outcome)))
		switch {
		case cb.Attempts >= cfg.MaxAttempts:
			exhausted = fmt.Sprintf("no contact after %d calls (max_attempts %d)", cb.Attempts, cfg.MaxAttempts)
		case next.IsZero():
			exhausted = "the queue and the customer's window are never open together"
		case !cb.Deadline.IsZero() && !next.Before(cb.Deadline):
			why = "deadline"
			exhausted = fmt.Sprintf("the next try (%s) would be past the deadline %s", q.local(next, cfg), q.local(cb.Deadline, cfg))
		default:
			cb.State, cb.Due = store.CallbackQueued, next
			reason += "; next try " + q.local(next, cfg)
		}
		if exhausted != "" {
			cb.State, cb.Result, cb.Ended = store.CallbackDone, ResultExhausted, now
		}
	case flows.OutcomeCallbackRequested:
		cb.State, cb.Due, cb.Window = store.CallbackQueued, o.RequestedAt.UTC(), ""
		if cfg.Deadline > 0 {
			cb.Deadline = cb.Due.Add(cfg.Deadline)
		}
		reason += "; call back at " + q.local(cb.Due, cfg)
	}
	if err := q.o.Store.SaveCallback(ctx, cb); err != nil {
		if errors.Is(err, store.ErrCallbackChanged) {
			return nil, fmt.Errorf("record outcome: %w: %w", err, ErrNotHolder)
		}
		return nil, err
	}
	metrics.CallbackOutcomes.WithLabelValues(cb.Queue, o.Outcome).Inc()
	if task != "" && o.Task == "" {
		if err := q.o.Store.CloseTaskLater(ctx, cb.Queue, task); err != nil {
			q.o.Log.Warn("note taskrouter task to close", "callback", cb.ID, "err", err)
		}
	}
	if o.Outcome == flows.OutcomeWrongNumber {
		if err := q.o.Store.UpsertProfile(ctx, cb.Customer, store.Profile{ProfilePhoneInvalid: now.Format(time.RFC3339)}); err != nil {
			q.o.Log.Error("flag wrong phone number", "callback", cb.ID, "err", err)
		}
		reason += "; phone number flagged as wrong"
	}
	if s := summary(o.Note); s != "" {
		reason += "; note: " + s
	}
	q.journal(ctx, cb, o.Outcome, reason)
	if o.Outcome == flows.OutcomeCallbackRequested && q.o.Contacted != nil {
		id := fmt.Sprintf("%s-%d", cb.ID, cb.Attempts)
		if err := q.o.Contacted(ctx, cb.Customer, flows.SourceCallbackRequested, id, now); err != nil {
			q.o.Log.Error("count callback request toward goals", "callback", cb.ID, "err", err)
		}
	}
	if cb.State == store.CallbackDone {
		ended(cb)
	}
	if exhausted != "" {
		q.exhaust(ctx, cb, cfg, why, exhausted)
	}
	return cb, nil
}

// exhaust journals an exhausted or expired callback and takes in the
// queue's on_exhausted event.
func (q *Queues) exhaust(ctx context.Context, cb *store.Callback, cfg *flows.Queue, why, reason string) {
	if cfg.OnExhausted != "" {
		reason += "; takes in " + cfg.OnExhausted
	}
	q.journal(ctx, cb, cb.Result, reason)
	if cfg.OnExhausted == "" || q.o.Emit == nil {
		return
	}
	ev := &flows.Event{
		ID: "callback-" + cb.Result + "-" + cb.ID, Type: cfg.OnExhausted, CustomerID: cb.Customer,
		OccurredAt: q.o.Clock.Now().UTC(),
		Data: map[string]any{
			"queue": cb.Queue, "callback_id": cb.ID, "flow": cb.Flow, "step": cb.Step,
			"attempts": cb.Attempts, "last_outcome": cb.Outcome, "reason": why, "result": cb.Result,
		},
	}
	if err := q.o.Emit(ctx, ev); err != nil {
		q.o.Log.Error("take in on_exhausted event", "callback", cb.ID, "event", ev.Type, "err", err)
		q.journal(ctx, cb, "failed", fmt.Sprintf("could not take in %s: %v", cfg.OnExhausted, err))
	}
}

// summary shortens a note for the timeline: one line, at most 80 characters.
func summary(note string) string {
	s := strings.Join(strings.Fields(note), " ")
	if utf8.RuneCountInString(s) <= 80 {
		return s
	}
	r := []rune(s)
	return strings.TrimSpace(string(r[:79])) + "…"
}
