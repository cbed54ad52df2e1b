package desk

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/aheadhq/ahead/callbacks"
	"github.com/aheadhq/ahead/internal/store"
	"github.com/aheadhq/ahead/internal/web"
)

// agentHome lists the queues and the agent's open callbacks.
func (s *Desk) agentHome(w http.ResponseWriter, r *http.Request, agent string) {
	l := langOf(r)
	v := &pageView{Title: l.T("queues"), Agent: agent}
	selected := r.URL.Query().Get("queue")
	if err := s.fillQueues(r, v, selected); err != nil {
		s.fail(w, r, err)
		return
	}
	if r.URL.Query().Get("empty") != "" && selected != "" {
		v.Notice = l.T("none_callable", selected)
		for _, q := range v.Queues {
			switch {
			case q.Name != selected || q.Open:
			case q.Opens.IsZero():
				v.Notice += l.T("queue_shut")
			default:
				v.Notice += l.T("queue_shut_until", l.stamp(q.Opens, q.loc))
			}
		}
	}
	s.render(w, r, http.StatusOK, "home.html", v)
}

// fillQueues adds every queue with its counts, and the agent's claims.
func (s *Desk) fillQueues(r *http.Request, v *pageView, selected string) error {
	ctx := r.Context()
	cbq := s.o.Queues
	names, err := cbq.Names(ctx)
	if err != nil {
		return err
	}
	now := s.o.Clock.Now()
	l := langOf(r)
	for _, name := range names {
		cfg := s.queueConfig(name)
		qv := queueView{Name: name, Description: cfg.Description, Hours: strings.Split(l.days(cfg.HoursText()), ", "), Timezone: cfg.Location.String(),
			Open: cfg.Open(now), Selected: name == selected, loc: cfg.Location}
		if qv.Open {
			qv.Status = l.T("open_now")
			if c := cfg.Close(now); !c.IsZero() {
				qv.Status = l.T("open_until", l.stamp(c, cfg.Location))
			}
		} else if qv.Opens = cfg.Next(now); !qv.Opens.IsZero() {
			qv.Status = l.T("opens", l.stamp(qv.Opens, cfg.Location))
		}
		cbs, err := s.o.Queues.Waiting(ctx, name, 0, 1000)
		if err != nil {
			return err
		}
		for _, cb := range cbs {
			switch cb.State {
			case store.CallbackQueued:
				qv.Queued++
			case store.CallbackClaimed:
				qv.Claimed++
				if cb.Agent == v.Agent && cb.LeaseUntil.After(now) {
					v.Mine = append(v.Mine, cb)
				}
			}
			if cbq.Callable(cb, now) {
				qv.Callable++
			}
		}
		v.Queues = append(v.Queues, qv)
	}
	return nil
}

// agentClaim claims the next callable callback of the chosen queue and
// opens it.
func (s *Desk) agentClaim(w http.ResponseWriter, r *http.Request, agent string) {
	if code, key, args := web.ReadForm(w, r, 16<<10); code != 0 {
		plainError(w, r, code, key, args...)
		return
	}
	queue := r.PostFormValue("queue")
	cb, err := s.o.Queues.Claim(r.Context(), queue, agent, 0)
	switch {
	case errors.Is(err, callbacks.ErrUnknownQueue) || queue == "":
		l := langOf(r)
		v := &pageView{Title: l.T("queues"), Agent: agent, Error: l.T("no_such_queue", queue)}
		if err := s.fillQueues(r, v, ""); err != nil {
			s.fail(w, r, err)
			return
		}
		s.render(w, r, http.StatusBadRequest, "home.html", v)
	case err != nil:
		s.fail(w, r, err)
	case cb == nil:
		http.Redirect(w, r, "/agent?empty=1&queue="+url.QueryEscape(queue), http.StatusSeeOther)
	default:
		http.Redirect(w, r, "/agent/callbacks/"+url.PathEscape(cb.ID), http.StatusSeeOther)
	}
}
