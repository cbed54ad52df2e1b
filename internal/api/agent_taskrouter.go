package api

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/aheadhq/ahead/callbacks"
	"github.com/aheadhq/ahead/callbacks/taskrouter"
	"github.com/aheadhq/ahead/internal/store"
)

// TaskRouterLease is how long a callback stays with a TaskRouter worker
// who accepted its reservation, waiting for the Task to complete.
const TaskRouterLease = 2 * time.Hour

// taskrouterEvent takes TaskRouter's event callbacks for the Tasks that
// offer callbacks (POST /v1/webhooks/twilio/taskrouter, signed like every
// Twilio webhook): an accepted reservation claims the callback for the
// worker, a completed or canceled Task records its outcome. Events about
// other Tasks, and events that no longer apply (the callback ended or was
// erased meanwhile), are acknowledged and change nothing.
func (s *server) taskrouterEvent(w http.ResponseWriter, r *http.Request) {
	form := s.twilioForm(w, r)
	if form == nil {
		return
	}
	a := taskrouter.Map(form)
	ctx := r.Context()
	cbq := s.callbacks()
	var err error
	switch a.Kind {
	case taskrouter.Take:
		var cb *store.Callback
		if cb, err = cbq.Find(ctx, a.Callback); err == nil {
			if cb.TaskSID != a.Task {
				err = fmt.Errorf("task %s no longer offers callback %s: %w", a.Task, a.Callback, callbacks.ErrNotHolder)
			} else {
				_, err = cbq.Take(ctx, a.Callback, a.Agent, TaskRouterLease)
			}
		}
	case taskrouter.Record:
		_, err = cbq.Record(ctx, a.Callback, "", a.Outcome)
	case taskrouter.Unoffer:
		err = cbq.Unoffer(ctx, a.Callback, a.Task, a.Why)
	default:
		s.o.Log.Debug("taskrouter event ignored", "event", form.Get("EventType"), "task", a.Task, "why", a.Why)
	}
	var inv *callbacks.InvalidError
	switch {
	case err == nil:
	case errors.Is(err, store.ErrNotFound), errors.Is(err, callbacks.ErrNotHolder), errors.As(err, &inv):
		s.o.Log.Info("taskrouter event does not apply", "event", form.Get("EventType"), "task", a.Task, "callback", a.Callback, "err", err)
	default:
		s.internal(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
