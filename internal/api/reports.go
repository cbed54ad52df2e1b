package api

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/aheadhq/ahead/engine"
	"github.com/aheadhq/ahead/flows"
)

// engineReports gives the report page at /reports the engine's flows and
// reports.
type engineReports struct{ *engine.Engine }

func (e engineReports) Flows() []*flows.Flow { return e.Catalog().Flows.Flows() }

// flowReport answers a flow's measured effect: GET
// /v1/reports/flows/{id}[?effect=0.02][&period=ID].
func (s *server) flowReport(w http.ResponseWriter, r *http.Request) {
	o := engine.ReportOptions{Period: r.URL.Query().Get("period")}
	if v := r.URL.Query().Get("effect"); v != "" {
		e, err := strconv.ParseFloat(v, 64)
		if err != nil || !(e > 0 && e < 1) {
			writeError(w, http.StatusBadRequest, "effect: must be a difference in goal rate between 0 and 1, such as 0.02")
			return
		}
		o.Effect = e
	}
	rep, err := s.o.Engine.Report(r.Context(), r.PathValue("id"), o)
	if errors.Is(err, engine.ErrNotFound) {
		writeError(w, http.StatusNotFound, err.Error())
		return
	}
	if err != nil {
		s.internal(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, rep)
}
