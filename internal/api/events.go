package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/aheadhq/ahead/flows"
	"github.com/aheadhq/ahead/internal/metrics"
	"github.com/aheadhq/ahead/internal/store"
	"github.com/aheadhq/ahead/tasks"
)

// readBody reads a request body within the size limit. It answers the
// request itself and returns nil when the body cannot be read.
func (s *server) readBody(w http.ResponseWriter, r *http.Request) []byte {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.o.MaxBody))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("body larger than %d bytes", s.o.MaxBody))
		return nil
	}
	if err != nil {
		writeError(w, http.StatusBadRequest, "read body: "+err.Error())
		return nil
	}
	return body
}

// decodeStrict decodes one JSON value into v, rejecting unknown fields.
// Errors name the field with prefix.
func decodeStrict(raw []byte, v any, prefix string) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		if dec.More() {
			return fmt.Errorf("%sbody: more than one JSON value", prefix)
		}
		return nil
	}
	var typ *json.UnmarshalTypeError
	if errors.As(err, &typ) {
		return fmt.Errorf("%s%s: must be %s, got %s", prefix, typ.Field, typ.Type, typ.Value)
	}
	if f, ok := bytes.CutPrefix([]byte(err.Error()), []byte("json: unknown field ")); ok {
		return fmt.Errorf("%s%s: unknown field", prefix, bytes.Trim(f, `"`))
	}
	if t := new(json.SyntaxError); errors.As(err, &t) {
		return fmt.Errorf("%sbody: invalid JSON at byte %d: %v", prefix, t.Offset, err)
	}
	return fmt.Errorf("%sbody: %v", prefix, err)
}

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
		if err := decodeStrict(raw, ev, prefix); err != nil {
			problems = append(problems, err.Error())
			continue
		}
		for _, fe := range flows.ValidateEvent(ev) {
			problems = append(problems, prefix+fe.Error())
		}
		events[i] = ev
	}
	if len(problems) > 0 {
		metrics.Events.WithLabelValues("invalid").Add(float64(len(raws)))
		writeError(w, http.StatusBadRequest, "invalid events; nothing was accepted", problems...)
		return
	}
	accepted, dups, err := s.ingest(r, events)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	metrics.Events.WithLabelValues("accepted").Add(float64(accepted))
	metrics.Events.WithLabelValues("duplicate").Add(float64(dups))
	writeJSON(w, http.StatusAccepted, map[string]int{"accepted": accepted, "duplicates": dups})
}

// ingest stores the new events, updates profiles, journals the events and
// queues one route task per new event. If queuing fails, the events are
// forgotten again so that the producer's retry is not taken for a duplicate.
func (s *server) ingest(r *http.Request, events []*flows.Event) (accepted, dups int, err error) {
	ctx := r.Context()
	now := s.o.Clock.Now().UTC()
	seen := map[[2]string]bool{}
	var refs []store.EventRef
	var uniq []*flows.Event
	for _, ev := range events {
		k := [2]string{ev.CustomerID, ev.ID}
		if seen[k] {
			dups++
			continue
		}
		seen[k] = true
		if ev.OccurredAt.IsZero() {
			ev.OccurredAt = now
		}
		b, err := json.Marshal(ev)
		if err != nil {
			return 0, 0, err
		}
		refs = append(refs, store.EventRef{Customer: ev.CustomerID, ID: ev.ID, JSON: b})
		uniq = append(uniq, ev)
	}
	fresh, err := s.o.Store.AcceptEvents(ctx, refs, eventTTL)
	if err != nil {
		return 0, 0, fmt.Errorf("%w: %w", errUnavailable, err)
	}
	var newRefs []store.EventRef
	var newEvents []*flows.Event
	for i, ok := range fresh {
		if !ok {
			dups++
			continue
		}
		newRefs = append(newRefs, refs[i])
		newEvents = append(newEvents, uniq[i])
	}
	rollback := func(cause error) (int, int, error) {
		if err := s.o.Store.ForgetEvents(ctx, newRefs); err != nil {
			s.o.Log.Error("forget events after failed ingest", "err", err)
		}
		return 0, 0, fmt.Errorf("%w: %w", errUnavailable, cause)
	}
	for _, ev := range newEvents {
		if ev.Customer != nil {
			if err := s.o.Store.UpsertProfile(ctx, ev.CustomerID, tasks.ProfileFields(ev.Customer)); err != nil {
				return rollback(err)
			}
		}
		if err := s.o.Store.Journal(ctx, ev.CustomerID, store.Entry{
			At: now, Kind: store.KindEvent, State: "received", EventID: ev.ID,
			EventType: ev.Type, Subject: ev.Subject,
		}); err != nil {
			return rollback(err)
		}
	}
	for _, ev := range newEvents {
		t, opts := tasks.NewRouteTask(ev.CustomerID, ev.ID)
		if _, err := s.o.Client.EnqueueContext(ctx, t, opts...); err != nil && !isConflict(err) {
			return rollback(err)
		}
	}
	return len(newEvents), dups, nil
}
