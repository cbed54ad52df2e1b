package api

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/hibiken/asynq"

	"github.com/aheadhq/ahead/flows"
	"github.com/aheadhq/ahead/internal/store"
	"github.com/aheadhq/ahead/tasks"
)

// eventTTL is how long an event is kept when it schedules nothing later.
const eventTTL = 30 * 24 * time.Hour

func isConflict(err error) bool {
	return errors.Is(err, asynq.ErrTaskIDConflict) || errors.Is(err, asynq.ErrDuplicateTask)
}

// timeline answers the customer's journal, newest first, and the current
// state of every intervention.
func (s *server) timeline(w http.ResponseWriter, r *http.Request) {
	cus := r.PathValue("id")
	limit := 500
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			writeError(w, http.StatusBadRequest, "limit: must be a positive integer")
			return
		}
		limit = n
	}
	// Interventions first: a state and its journal entry are written
	// together, so the journal read after them holds every state they show.
	ivs, err := s.o.Store.Interventions(r.Context(), cus)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	entries, err := s.o.Store.Timeline(r.Context(), cus, limit)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	sort.Slice(ivs, func(i, j int) bool { return ivs[i].Due.After(ivs[j].Due) })
	if len(entries) == 0 && len(ivs) == 0 {
		writeError(w, http.StatusNotFound, "customer "+cus+" has no timeline")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"customer_id": cus, "entries": entries, "interventions": ivs})
}

func (s *server) getCustomer(w http.ResponseWriter, r *http.Request) {
	cus := r.PathValue("id")
	p, err := s.o.Store.Profile(r.Context(), cus)
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, "customer "+cus+" not found")
		return
	}
	if err != nil {
		s.internal(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, p)
}

// putCustomer replaces the customer's profile.
func (s *server) putCustomer(w http.ResponseWriter, r *http.Request) {
	cus := r.PathValue("id")
	body := s.readBody(w, r)
	if body == nil {
		return
	}
	var c flows.Customer
	if err := decodeStrict(body, &c, ""); err != nil {
		writeError(w, http.StatusBadRequest, "invalid customer", err.Error())
		return
	}
	if c.ID != "" && c.ID != cus {
		writeError(w, http.StatusBadRequest, "invalid customer", "id: does not match the id in the path")
		return
	}
	// Check the profile with the event rules: a customer block of a valid event.
	probe := &flows.Event{ID: "profile", Type: "customer.updated", CustomerID: cus, Customer: &c}
	var problems []string
	for _, fe := range flows.ValidateEvent(probe) {
		f := fe.Error()
		if rest, ok := strings.CutPrefix(f, "customer."); ok {
			f = rest
		}
		problems = append(problems, f)
	}
	if len(problems) > 0 {
		writeError(w, http.StatusBadRequest, "invalid customer", problems...)
		return
	}
	ctx := r.Context()
	old, err := s.o.Store.Profile(ctx, cus)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		s.internal(w, r, err)
		return
	}
	p := tasks.ProfileFields(&c)
	// Consent and opt-outs are the customer's own word, and what ahead
	// learnt (the last inbound message, a wrong number) is not the
	// producer's to overwrite: a profile update keeps them.
	for k, v := range old {
		if _, base := p[k]; !base {
			p[k] = v
		}
	}
	if err := s.o.Store.ReplaceProfile(ctx, cus, p); err != nil {
		s.internal(w, r, err)
		return
	}
	now := s.o.Clock.Now().UTC()
	if err := s.o.Store.SetConsent(ctx, cus, tasks.ConsentOf(&c), now); err != nil {
		s.internal(w, r, err)
		return
	}
	for ch, v := range c.Consent {
		_ = s.o.Store.Journal(ctx, cus, store.Entry{At: now, Kind: store.KindProfile, State: "consent_" + v, Channel: ch, Reason: "consent set through the API"})
	}
	_ = s.o.Store.Journal(ctx, cus, store.Entry{At: s.o.Clock.Now().UTC(), Kind: store.KindProfile, State: "updated"})
	stored, err := s.o.Store.Profile(ctx, cus)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, stored)
}

// deleteCustomer erases the customer: pending work is cancelled, the
// customer's queued tasks (steps and events still to route) are removed,
// then every key of the customer is deleted.
func (s *server) deleteCustomer(w http.ResponseWriter, r *http.Request) {
	cus := r.PathValue("id")
	ctx := r.Context()
	pending, err := s.o.Store.PendingOf(ctx, cus)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	ids := make([]string, 0, len(pending))
	for id := range pending {
		ids = append(ids, id)
	}
	if _, err := s.o.Worker.CancelPending(ctx, cus, ids, pending, store.Entry{At: s.o.Clock.Now().UTC(), Reason: "customer erased"}); err != nil {
		s.internal(w, r, err)
		return
	}
	// Task payloads name the customer, so they go too, whatever their state.
	ivs, err := s.o.Store.Interventions(ctx, cus)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	for _, iv := range ivs {
		s.o.Worker.DropTask(iv.TaskQueue, iv.ID)
		if iv.TaskID != "" && iv.TaskID != iv.ID {
			s.o.Worker.DropTask(iv.TaskQueue, iv.TaskID)
		}
	}
	events, err := s.o.Store.EventIDs(ctx, cus)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	for _, id := range events {
		s.o.Worker.DropTask(tasks.QueueEvents, tasks.RouteTaskID(cus, id))
	}
	// Callbacks exported to TaskRouter carry the customer's name and number
	// there: withdraw them first.
	if q := s.callbacks(); q != nil {
		if err := q.Forget(ctx, cus); err != nil {
			s.internal(w, r, err)
			return
		}
	}
	if err := s.o.Store.Erase(ctx, cus); err != nil {
		s.internal(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// cancelCustomer cancels the customer's pending interventions: all of
// them, or those of one flow.
func (s *server) cancelCustomer(w http.ResponseWriter, r *http.Request) {
	cus := r.PathValue("id")
	body := s.readBody(w, r)
	if body == nil {
		return
	}
	var req struct {
		Flow   string `json:"flow"`
		Reason string `json:"reason"`
	}
	if len(bytes.TrimSpace(body)) > 0 {
		if err := decodeStrict(body, &req, ""); err != nil {
			writeError(w, http.StatusBadRequest, "invalid cancel request", err.Error())
			return
		}
	}
	if req.Flow != "" && s.o.Worker.Catalog().Flows.Get(req.Flow) == nil {
		writeError(w, http.StatusBadRequest, "invalid cancel request", fmt.Sprintf("flow: unknown flow %q", req.Flow))
		return
	}
	if len(req.Reason) > 500 {
		writeError(w, http.StatusBadRequest, "invalid cancel request", "reason: longer than 500 characters")
		return
	}
	ctx := r.Context()
	pending, err := s.o.Store.PendingOf(ctx, cus)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	var ids []string
	for id, p := range pending {
		if req.Flow == "" || p.Flow == req.Flow {
			ids = append(ids, id)
		}
	}
	reason := "cancelled through the API"
	if req.Reason != "" {
		reason += ": " + req.Reason
	}
	done, err := s.o.Worker.CancelPending(ctx, cus, ids, pending, store.Entry{
		At: s.o.Clock.Now().UTC(), Cause: "api", Reason: reason,
	})
	if err != nil {
		s.internal(w, r, err)
		return
	}
	sort.Strings(done)
	if done == nil {
		done = []string{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"cancelled": len(done), "interventions": done})
}
