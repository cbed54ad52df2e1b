package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/aheadhq/ahead/flows"
	"github.com/aheadhq/ahead/internal/httpx"
	"github.com/aheadhq/ahead/internal/metrics"
)

// postEvents ingests one event or a batch: every event is validated first
// and the batch is accepted whole or not at all.
func (s *server) postEvents(w http.ResponseWriter, r *http.Request) {
	body := s.readBody(w, r)
	if body == nil {
		return
	}
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	var raws []json.RawMessage
	batch := len(trimmed) > 0 && trimmed[0] == '['
	if batch {
		if err := json.Unmarshal(trimmed, &raws); err != nil {
			writeError(w, http.StatusBadRequest, "invalid events", "body: "+err.Error())
			return
		}
		if len(raws) == 0 {
			writeError(w, http.StatusBadRequest, "invalid events", "body: empty batch")
			return
		}
		if len(raws) > MaxBatch {
			writeError(w, http.StatusBadRequest, "invalid events", fmt.Sprintf("body: batch of %d events, at most %d", len(raws), MaxBatch))
			return
		}
	} else {
		raws = []json.RawMessage{trimmed}
	}
	events := make([]*flows.Event, len(raws))
	var problems []string
	for i, raw := range raws {
		prefix := ""
		if batch {
			prefix = fmt.Sprintf("events[%d].", i)
		}
		ev := new(flows.Event)
		bad, ok := httpx.DecodeAll(raw, ev, prefix)
		problems = append(problems, bad...)
		if !ok {
			continue
		}
		for _, fe := range flows.ValidateEventAt(ev, s.o.Clock.Now()) {
			problems = append(problems, prefix+fe.Error())
		}
		events[i] = ev
	}
	if len(problems) > 0 {
		metrics.Events.WithLabelValues("invalid").Add(float64(len(raws)))
		writeError(w, http.StatusBadRequest, "invalid events; nothing was accepted", problems...)
		return
	}
	in, err := s.o.Engine.Take(r.Context(), events)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	metrics.Events.WithLabelValues("accepted").Add(float64(in.Accepted))
	metrics.Events.WithLabelValues("duplicate").Add(float64(in.Duplicates))
	metrics.Events.WithLabelValues("erased").Add(float64(in.Erased))
	writeJSON(w, http.StatusAccepted, in)
}
