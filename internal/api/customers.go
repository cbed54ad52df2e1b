package api

import (
	"bytes"
	"errors"
	"net/http"

	"github.com/aheadhq/ahead/engine"
	"github.com/aheadhq/ahead/flows"
	"github.com/aheadhq/ahead/internal/httpx"
)

// timeline answers the customer's journal, newest first, and the current
// state of every intervention.
func (s *server) timeline(w http.ResponseWriter, r *http.Request) {
	cus := r.PathValue("id")
	limit, err := httpx.Limit(r, 500)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	tl, err := s.o.Engine.Timeline(r.Context(), cus, limit)
	if errors.Is(err, engine.ErrNotFound) {
		writeError(w, http.StatusNotFound, "customer "+cus+" has no timeline")
		return
	}
	if err != nil {
		s.internal(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, tl)
}

func (s *server) getCustomer(w http.ResponseWriter, r *http.Request) {
	cus := r.PathValue("id")
	p, err := s.o.Engine.Profile(r.Context(), cus)
	if errors.Is(err, engine.ErrNotFound) {
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
	body := s.readBody(w, r)
	if body == nil {
		return
	}
	var c flows.Customer
	if err := decodeStrict(body, &c, ""); err != nil {
		writeError(w, http.StatusBadRequest, "invalid customer", err.Error())
		return
	}
	stored, err := s.o.Engine.PutProfile(r.Context(), r.PathValue("id"), &c)
	if s.failed(w, r, err) {
		return
	}
	writeJSON(w, http.StatusOK, stored)
}

// deleteCustomer erases the customer.
func (s *server) deleteCustomer(w http.ResponseWriter, r *http.Request) {
	if err := s.o.Engine.Erase(r.Context(), r.PathValue("id")); err != nil {
		s.internal(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// cancelCustomer cancels the customer's pending interventions: all of
// them, or those of one flow.
func (s *server) cancelCustomer(w http.ResponseWriter, r *http.Request) {
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
	done, err := s.o.Engine.Cancel(r.Context(), r.PathValue("id"), req.Flow, req.Reason)
	if s.failed(w, r, err) {
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"cancelled": len(done), "interventions": done})
}

// failed answers err, when there is one: 400 with one message per field
// for input the engine refused, else as internal does.
func (s *server) failed(w http.ResponseWriter, r *http.Request, err error) bool {
	var bad *engine.Invalid
	switch {
	case err == nil:
		return false
	case errors.As(err, &bad):
		writeError(w, http.StatusBadRequest, bad.What, bad.Problems...)
	case errors.Is(err, engine.ErrErased):
		writeError(w, http.StatusConflict, err.Error()+"; nothing of theirs is stored again while the erasure is remembered")
	default:
		s.internal(w, r, err)
	}
	return true
}
