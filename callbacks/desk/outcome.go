package desk

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/aheadhq/ahead/callbacks"
	"github.com/aheadhq/ahead/flows"
	"github.com/aheadhq/ahead/internal/store"
	"github.com/aheadhq/ahead/internal/web"
)

// agentOutcome records the outcome form.
func (s *Desk) agentOutcome(w http.ResponseWriter, r *http.Request, agent string) {
	if code, key, args := web.ReadForm(w, r, 64<<10); code != 0 {
		plainError(w, r, code, key, args...)
		return
	}
	l := langOf(r)
	id := r.PathValue("id")
	f := pageForm{Outcome: r.PostFormValue("outcome"), Note: r.PostFormValue("note"), RequestedAt: strings.TrimSpace(r.PostFormValue("requested_at"))}
	v := &pageView{Agent: agent, Form: f}
	o := callbacks.Outcome{Outcome: f.Outcome, Note: f.Note}
	ctx := r.Context()
	var cfg *flows.Queue
	if f.RequestedAt != "" {
		cb, err := s.o.Queues.Find(ctx, id)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			s.fail(w, r, err)
			return
		}
		loc := time.UTC
		if cb != nil {
			cfg = s.queueConfig(cb.Queue)
			if cl, err := flows.Location(cb.Timezone, ""); err == nil {
				loc = cl
			}
		}
		t, err := parseLocal(f.RequestedAt, loc)
		if err != nil {
			v.Problems = []string{l.T("problem", l.T("requested_at"), l.T("want_datetime"))}
			s.showCallback(w, r, http.StatusBadRequest, id, v)
			return
		}
		o.RequestedAt = t
	}
	_, err := s.o.Queues.Record(ctx, id, agent, o)
	var inv *callbacks.InvalidError
	switch {
	case errors.As(err, &inv):
		for _, p := range inv.Problems {
			v.Problems = append(v.Problems, formProblem(l, p, cfg, o.RequestedAt))
		}
		s.showCallback(w, r, http.StatusBadRequest, id, v)
	case errors.Is(err, callbacks.ErrNotHolder):
		v.Error = l.T("not_recorded_because", s.notHolder(r, id, agent, err))
		s.showCallback(w, r, http.StatusConflict, id, v)
	case errors.Is(err, store.ErrNotFound):
		s.showCallback(w, r, http.StatusNotFound, id, v)
	case err != nil:
		s.fail(w, r, err)
	default:
		http.Redirect(w, r, "/agent/callbacks/"+url.PathEscape(id)+"?recorded="+url.QueryEscape(o.Outcome), http.StatusSeeOther)
	}
}

// parseLocal reads a datetime-local value in loc.
func parseLocal(s string, loc *time.Location) (time.Time, error) {
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05", "2006-01-02 15:04"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, nil
		}
	}
	return time.Parse(time.RFC3339, s)
}

// formProblem says one of Record's problems in l, naming the field the
// way the form labels it. A call-back time when the queue is closed
// says when it opens, in the queue's zone (cfg, at: the queue and the
// time asked for). Other problems keep Record's words.
func formProblem(l lang, p string, cfg *flows.Queue, at time.Time) string {
	// The catalog labels the fields Record checks by their form names.
	field, rest, ok := strings.Cut(p, ": ")
	if !ok || !slices.Contains([]string{"outcome", "note", "requested_at"}, field) {
		return p
	}
	switch key, ok := formProblems[p]; {
	case ok:
		rest = l.T(key)
	case field == "requested_at" && strings.HasPrefix(rest, "queue ") && cfg != nil && !at.IsZero() && !cfg.Open(at):
		rest = l.T("requested_closed", cfg.Name, l.days(cfg.HoursText()))
		if next := cfg.Next(at); !next.IsZero() {
			rest = l.T("requested_closed_next", cfg.Name, l.days(cfg.HoursText()), l.stamp(next, cfg.Location))
		}
	}
	return l.T("problem", l.T(field), rest)
}

// notHolder says why agent may not record an outcome of callback id: it
// has ended, or somebody else or nobody holds it.
func (s *Desk) notHolder(r *http.Request, id, agent string, err error) string {
	l := langOf(r)
	cb, ferr := s.o.Queues.Find(r.Context(), id)
	switch {
	case ferr != nil:
	case cb.State == store.CallbackDone:
		return l.T("has_ended_result", id, l.state(cb.Result))
	case cb.State == store.CallbackClaimed && cb.Agent != agent:
		return l.T("held_by", id, cb.Agent)
	case cb.State != store.CallbackClaimed:
		return l.T("held_by_nobody", id)
	}
	// The callback changed meanwhile, or a task holds it: Record's words.
	msg := err.Error()
	if i := strings.LastIndex(msg, ": "+callbacks.ErrNotHolder.Error()); i > 0 {
		msg = msg[:i]
	}
	return strings.TrimPrefix(msg, "record outcome: ") + "."
}
