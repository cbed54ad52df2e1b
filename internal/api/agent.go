package api

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/aheadhq/ahead/callbacks"
	"github.com/aheadhq/ahead/flows"
	"github.com/aheadhq/ahead/internal/httpx"
)

// callbacks returns the callback queues, built once at start-up.
func (s *server) callbacks() *callbacks.Queues { return s.o.Callbacks }

// MaxLease is the longest lease a claim may ask for, in minutes. Without
// one, a claim holds for the queue's lease (15 minutes unless queues.yaml
// says otherwise).
const MaxLease = 8 * 60

// queueItem is a callback as GET /v1/callbacks lists it.
type queueItem struct {
	*callbacks.Callback
	Callable bool `json:"callable"`
}

// queueInfo describes a queue and whether it is open now.
type queueInfo struct {
	Queue       string     `json:"queue"`
	Description string     `json:"description,omitempty"`
	Timezone    string     `json:"timezone"`
	Hours       string     `json:"hours"`
	Open        bool       `json:"open"`
	NextOpening *time.Time `json:"next_opening,omitempty"`
	Closes      *time.Time `json:"closes,omitempty"`
}

func describe(cfg *flows.Queue, now time.Time) queueInfo {
	info := queueInfo{Queue: cfg.Name, Description: cfg.Description, Timezone: cfg.Location.String(), Hours: cfg.HoursText(), Open: cfg.Open(now)}
	if info.Open {
		if c := cfg.Close(now); !c.IsZero() {
			c = c.In(cfg.Location)
			info.Closes = &c
		}
	} else if n := cfg.Next(now); !n.IsZero() {
		n = n.In(cfg.Location)
		info.NextOpening = &n
	}
	return info
}

// listQueue answers GET /v1/callbacks?queue=&state=&limit=: the queue and
// its callbacks in the order agents work them. state is queued, claimed,
// done or callable (queued and callable now).
func (s *server) listQueue(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	cbq := s.callbacks()
	ctx := r.Context()
	queue := q.Get("queue")
	if queue == "" {
		names, err := cbq.Names(ctx)
		if err != nil {
			s.internal(w, r, err)
			return
		}
		known := strings.Join(names, ", ")
		if known == "" {
			known = "none yet"
		}
		writeError(w, http.StatusBadRequest, "queue: required", "known queues: "+known)
		return
	}
	state := q.Get("state")
	switch state {
	case "", callbacks.Queued, callbacks.Claimed, callbacks.Done, "callable":
	default:
		writeError(w, http.StatusBadRequest, "state: must be queued, claimed, done or callable")
		return
	}
	limit, err := httpx.Limit(r, 1000)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	// A queue queues.yaml does not define lists what it still holds.
	cfg, _ := cbq.Config(queue)
	if cfg == nil {
		cfg = flows.DefaultQueue(queue)
	}
	stored := state
	if state == "callable" {
		stored = callbacks.Queued
	}
	cbs, err := cbq.List(ctx, queue, stored, 0)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	now := s.o.Clock.Now()
	items := []queueItem{}
	for _, cb := range cbs {
		it := queueItem{Callback: cb, Callable: cbq.Callable(cb, now)}
		if state == "callable" && !it.Callable {
			continue
		}
		items = append(items, it)
		if len(items) == limit {
			break
		}
	}
	out := struct {
		queueInfo
		Callbacks []queueItem `json:"callbacks"`
	}{describe(cfg, now), items}
	writeJSON(w, http.StatusOK, out)
}

// claimRequest is the body of POST /v1/callbacks/claim.
type claimRequest struct {
	Queue string `json:"queue"`
	Agent string `json:"agent"`
	// Lease is how long the claim holds, in minutes.
	Lease *int `json:"lease"`
}

// claimCallback leases the next callable callback of a queue to an agent:
// 200 with the callback, 204 when none is callable now.
func (s *server) claimCallback(w http.ResponseWriter, r *http.Request) {
	body := s.readBody(w, r)
	if body == nil {
		return
	}
	var req claimRequest
	if err := decodeStrict(body, &req, ""); err != nil {
		writeError(w, http.StatusBadRequest, "invalid claim", err.Error())
		return
	}
	agent, _, forbidden := acting(r, req.Agent)
	if forbidden != "" {
		writeError(w, http.StatusForbidden, forbidden)
		return
	}
	var problems []string
	if req.Queue == "" {
		problems = append(problems, "queue: required")
	}
	if p := callbacks.CheckAgent(agent); p != "" {
		problems = append(problems, p)
	}
	lease, problem := leaseOf(req.Lease)
	if problem != "" {
		problems = append(problems, problem)
	}
	if len(problems) > 0 {
		writeError(w, http.StatusBadRequest, "invalid claim", problems...)
		return
	}
	cb, err := s.callbacks().Claim(r.Context(), req.Queue, agent, lease)
	switch {
	case errors.Is(err, callbacks.ErrUnknownQueue):
		writeError(w, http.StatusBadRequest, "invalid claim", fmt.Sprintf("queue: %q is not defined in %s", req.Queue, flows.QueuesFile))
	case err != nil:
		s.internal(w, r, err)
	case cb == nil:
		w.WriteHeader(http.StatusNoContent)
	default:
		writeJSON(w, http.StatusOK, cb)
	}
}

// outcomeRequest is the body of POST /v1/callbacks/{id}/outcome.
type outcomeRequest struct {
	Agent       string     `json:"agent"`
	Outcome     string     `json:"outcome"`
	Note        string     `json:"note"`
	RequestedAt *time.Time `json:"requested_at"`
}

// recordOutcome records what came of a call: 200 with the callback as it
// is now, 404 for an unknown id, 409 when the agent does not hold it.
func (s *server) recordOutcome(w http.ResponseWriter, r *http.Request) {
	body := s.readBody(w, r)
	if body == nil {
		return
	}
	var req outcomeRequest
	if err := decodeStrict(body, &req, ""); err != nil {
		writeError(w, http.StatusBadRequest, "invalid outcome", err.Error())
		return
	}
	agent, actor, forbidden := acting(r, req.Agent)
	if forbidden != "" {
		writeError(w, http.StatusForbidden, forbidden)
		return
	}
	if p := callbacks.CheckAgent(agent); p != "" {
		writeError(w, http.StatusBadRequest, "invalid outcome", p)
		return
	}
	o := callbacks.Outcome{Outcome: req.Outcome, Note: req.Note, Actor: actor}
	if req.RequestedAt != nil {
		o.RequestedAt = *req.RequestedAt
	}
	id := r.PathValue("id")
	cb, err := s.callbacks().Record(r.Context(), id, agent, o)
	if err != nil {
		s.outcomeError(w, r, id, err)
		return
	}
	writeJSON(w, http.StatusOK, cb)
}

// outcomeError answers an error of Record.
func (s *server) outcomeError(w http.ResponseWriter, r *http.Request, id string, err error) {
	var inv *callbacks.InvalidError
	switch {
	case errors.As(err, &inv):
		writeError(w, http.StatusBadRequest, "invalid outcome", inv.Problems...)
	case errors.Is(err, callbacks.ErrNotFound):
		writeError(w, http.StatusNotFound, "callback "+id+" not found")
	case errors.Is(err, callbacks.ErrNotHolder):
		writeError(w, http.StatusConflict, err.Error())
	default:
		s.internal(w, r, err)
	}
}

// acting returns the agent a request acts as and who acts. An agent token
// acts as its own agent: asking for another is forbidden (the third
// result says why). An admin token acts for the agent it names, or its
// own; without authentication the request names the agent.
func acting(r *http.Request, asked string) (agent, actor, forbidden string) {
	c, ok := httpx.CallerOf(r)
	switch {
	case !ok:
		return asked, asked, ""
	case c.Admin && asked != "":
		return asked, c.Name, ""
	case asked != "" && asked != c.Agent:
		return "", "", fmt.Sprintf("agent: this token acts as %q, not %q", c.Agent, asked)
	}
	return c.Agent, c.Name, ""
}

// assignRequest is the body of POST /v1/callbacks/{id}/assign.
type assignRequest struct {
	Agent string `json:"agent"`
	// Lease is how long the new holder has it, in minutes.
	Lease *int `json:"lease"`
}

// assignCallback hands a callback to another agent, whoever holds it: an
// admin's reassignment, journaled with the admin's name.
func (s *server) assignCallback(w http.ResponseWriter, r *http.Request) {
	body := s.readBody(w, r)
	if body == nil {
		return
	}
	var req assignRequest
	if err := decodeStrict(body, &req, ""); err != nil {
		writeError(w, http.StatusBadRequest, "invalid assignment", err.Error())
		return
	}
	var problems []string
	if p := callbacks.CheckAgent(req.Agent); p != "" {
		problems = append(problems, p)
	}
	lease, problem := leaseOf(req.Lease)
	if problem != "" {
		problems = append(problems, problem)
	}
	if len(problems) > 0 {
		writeError(w, http.StatusBadRequest, "invalid assignment", problems...)
		return
	}
	actor := "an admin"
	if c, ok := httpx.CallerOf(r); ok {
		actor = c.Name
	}
	id := r.PathValue("id")
	cb, err := s.callbacks().Reassign(r.Context(), id, req.Agent, actor, lease)
	if err != nil {
		s.outcomeError(w, r, id, err)
		return
	}
	writeJSON(w, http.StatusOK, cb)
}

// leaseOf reads a lease in minutes: 0 (the queue's) when it is not given,
// else 1 to MaxLease minutes, or the problem with it.
func leaseOf(minutes *int) (time.Duration, string) {
	if minutes == nil {
		return 0, ""
	}
	if *minutes < 1 || *minutes > MaxLease {
		return 0, fmt.Sprintf("lease: must be from 1 to %d minutes", MaxLease)
	}
	return time.Duration(*minutes) * time.Minute, ""
}
