package api

import (
	"net/http"

	"github.com/aheadhq/ahead/flows"
	"github.com/aheadhq/ahead/internal/httpx"
)

// listCallbacks lists a callback queue in the order agents work them;
// see listQueue.
func (s *server) listCallbacks(w http.ResponseWriter, r *http.Request) { s.listQueue(w, r) }

// listFlows lists the flows in force with their steps.
func (s *server) listFlows(w http.ResponseWriter, r *http.Request) {
	cat := s.o.Engine.Catalog()
	type step struct {
		ID       string   `json:"id"`
		After    string   `json:"after,omitempty"`
		At       string   `json:"at,omitempty"`
		Window   string   `json:"window,omitempty"`
		Channels []string `json:"channels"`
		Template string   `json:"template"`
		Queue    string   `json:"queue,omitempty"`
	}
	type flow struct {
		Name        string   `json:"flow"`
		Description string   `json:"description,omitempty"`
		Phase       string   `json:"phase,omitempty"`
		Purpose     string   `json:"purpose"`
		Version     string   `json:"version"`
		Trigger     string   `json:"trigger"`
		If          string   `json:"if,omitempty"`
		CancelOn    []string `json:"cancel_on,omitempty"`
		Holdout     string   `json:"holdout,omitempty"`
		Goal        string   `json:"goal,omitempty"`
		Steps       []step   `json:"steps"`
	}
	out := []flow{}
	for _, f := range cat.Flows.Flows() {
		fl := flow{Name: f.Name, Description: f.Description, Phase: f.Phase, Purpose: f.Purpose,
			Version: f.Version, Trigger: f.Trigger.Event, If: f.Trigger.If}
		if f.Measured() {
			fl.Holdout, fl.Goal = flows.FormatShare(f.Holdout.BP), f.Goal.Spec()
		}
		for _, c := range f.CancelOn {
			fl.CancelOn = append(fl.CancelOn, c.Event)
		}
		for _, st := range f.Steps {
			sp := step{ID: st.ID, At: st.At, Channels: st.Channels, Template: st.Template, Queue: st.Queue}
			if st.After > 0 {
				sp.After = st.After.String()
			}
			if st.Window != nil {
				sp.Window = st.Window.Spec
			}
			fl.Steps = append(fl.Steps, sp)
		}
		out = append(out, fl)
	}
	writeJSON(w, http.StatusOK, map[string]any{"flows": out})
}

// outbox lists what the outbox channel stored, newest first.
func (s *server) outbox(w http.ResponseWriter, r *http.Request) {
	limit, err := httpx.Limit(r, 1000)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	items, err := s.o.Engine.Outbox(r.Context(), limit)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"messages": items})
}
