package api

import (
	"net/http"
	"time"

	"github.com/aheadhq/ahead/callbacks/taskrouter"
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
	err := taskrouter.Apply(r.Context(), s.callbacks(), a, TaskRouterLease)
	switch {
	case err == nil:
	case taskrouter.Moot(err):
		s.o.Log.Info("taskrouter event does not apply", "event", form.Get("EventType"), "task", a.Task, "callback", a.Callback, "err", err)
	default:
		s.internal(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
