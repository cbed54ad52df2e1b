package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"

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
// Errors name the field, after prefix ("events[3]."); a problem with the
// body as a whole is named "body".
func decodeStrict(raw []byte, v any, prefix string) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		if dec.More() {
			return errors.New("body: more than one JSON value")
		}
		return nil
	}
	at := func(path string) string {
		if path == "" {
			if path = strings.TrimSuffix(prefix, "."); path == "" {
				path = "body"
			}
			return path
		}
		return prefix + path
	}
	typ := reflect.TypeOf(v)
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr):
		return fmt.Errorf("%s: must be %s, got %s", at(typeErr.Field), kindName(typeErr.Type), typeErr.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name, _ := strconv.Unquote(strings.TrimPrefix(err.Error(), "json: unknown field "))
		path, _, ok := findMember(raw, typ, "", func(f *reflect.StructField, _ json.RawMessage) bool { return f == nil })
		if !ok {
			path = name
		}
		return fmt.Errorf("%s: unknown field", at(path))
	case errors.Is(err, io.EOF):
		return errors.New("body: empty")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errors.New("body: invalid JSON: unexpected end")
	case errors.As(err, &syntaxErr):
		return fmt.Errorf("body: invalid JSON at byte %d: %v", syntaxErr.Offset, err)
	}
	// A value its type rejected itself: for an event, a bad time.
	badTime := func(f *reflect.StructField, val json.RawMessage) bool {
		if f == nil || deref(f.Type) != timeType {
			return false
		}
		var t time.Time
		return json.Unmarshal(val, &t) != nil
	}
	if path, val, ok := findMember(raw, typ, "", badTime); ok {
		return fmt.Errorf("%s: must be an RFC 3339 time, got %s", at(path), val)
	}
	return fmt.Errorf("%s: %v", at(""), err)
}

var timeType = reflect.TypeFor[time.Time]()

func deref(t reflect.Type) reflect.Type {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

// kindName names a Go type the way a JSON user knows it.
func kindName(t reflect.Type) string {
	t = deref(t)
	if t == timeType {
		return "an RFC 3339 time"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Map, reflect.Struct:
		return "an object"
	case reflect.Slice, reflect.Array:
		return "an array"
	}
	return "a JSON value"
}

// member is one member of a JSON object, in document order.
type member struct {
	name string
	val  json.RawMessage
}

// members returns the members of the JSON object raw, or false when raw
// is no object.
func members(raw []byte) ([]member, bool) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, false
	}
	var out []member
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, false
		}
		name, _ := tok.(string)
		var val json.RawMessage
		if err := dec.Decode(&val); err != nil {
			return nil, false
		}
		out = append(out, member{name, val})
	}
	return out, true
}

// field returns the field of struct type t that the JSON name decodes
// into, matching as encoding/json does (exact name first, then ignoring case).
func field(t reflect.Type, name string) *reflect.StructField {
	var fold *reflect.StructField
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if tag == "-" {
			continue
		}
		if tag == "" {
			tag = f.Name
		}
		if tag == name {
			return &f
		}
		if fold == nil && strings.EqualFold(tag, name) {
			fold = &f
		}
	}
	return fold
}

// findMember walks the JSON object raw along struct type t, into nested
// structs, and returns the dotted path and the value of the first member
// for which bad is true. bad gets the struct field the member decodes
// into (nil when there is none) and its value.
func findMember(raw []byte, t reflect.Type, path string, bad func(*reflect.StructField, json.RawMessage) bool) (string, json.RawMessage, bool) {
	t = deref(t)
	if t.Kind() != reflect.Struct || t == timeType {
		return "", nil, false
	}
	ms, ok := members(raw)
	if !ok {
		return "", nil, false
	}
	for _, m := range ms {
		f := field(t, m.name)
		if bad(f, m.val) {
			return path + m.name, m.val, true
		}
		if f != nil {
			if p, v, ok := findMember(m.val, f.Type, path+m.name+".", bad); ok {
				return p, v, true
			}
		}
	}
	return "", nil, false
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

// ingestTimeout bounds storing and routing one batch. A producer that
// hangs up meanwhile does not cut the batch short: what was accepted is
// routed, or handed to route tasks, or forgotten, whole.
const ingestTimeout = 30 * time.Second

// ingest stores the new events, updates profiles, journals the events and
// routes them, or hands them to route tasks when routing fails. If that
// fails too, the events are forgotten again so that the producer's retry
// is not taken for a duplicate.
func (s *server) ingest(r *http.Request, events []*flows.Event) (accepted, dups int, err error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), ingestTimeout)
	defer cancel()
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
	got, err := s.o.Store.Accept(ctx, refs, s.o.Worker.EventTTL())
	if err != nil {
		return 0, 0, fmt.Errorf("%w: %w", errUnavailable, err)
	}
	// An event stored before but never routed was taken by a process that
	// stopped halfway; the producer, who got no answer, sends it again. It
	// is taken as new, and what routing it the first time journaled is not
	// journaled again.
	var newRefs []store.EventRef
	var newEvents []*flows.Event
	again := map[*flows.Event]bool{}
	for i, a := range got {
		if a == store.AcceptRouted {
			dups++
			continue
		}
		newRefs = append(newRefs, refs[i])
		newEvents = append(newEvents, uniq[i])
		if a == store.AcceptUnrouted {
			again[uniq[i]] = true
		}
	}
	rollback := func(cause error) (int, int, error) {
		if err := s.o.Store.ForgetEvents(ctx, newRefs); err != nil {
			s.o.Log.Error("forget events after failed ingest", "err", err)
		}
		return 0, 0, fmt.Errorf("%w: %w", errUnavailable, cause)
	}
	received := make([]store.Received, len(newEvents))
	for i, ev := range newEvents {
		received[i] = store.Received{Customer: ev.CustomerID, Entry: store.Entry{
			At: now, Kind: store.KindEvent, State: "received", EventID: ev.ID,
			EventType: ev.Type, Subject: ev.Subject, Once: again[ev],
		}}
		if ev.Customer != nil {
			received[i].Profile = tasks.ProfileFields(ev.Customer)
		}
	}
	if err := s.o.Store.Receive(ctx, received); err != nil {
		return rollback(err)
	}
	for _, ev := range newEvents {
		if ev.Customer != nil && len(ev.Customer.Consent) > 0 {
			if err := s.o.Store.SetConsent(ctx, ev.CustomerID, tasks.ConsentOf(ev.Customer), ev.OccurredAt); err != nil {
				return rollback(err)
			}
		}
	}
	// Route the batch now, so its steps are scheduled when the answer
	// comes. Should that fail, route tasks take over: nothing accepted is
	// lost.
	if err := s.o.Worker.RouteEvents(ctx, newEvents, func(ev *flows.Event) bool { return again[ev] }); err != nil {
		s.o.Log.Warn("route events: handing them to route tasks", "events", len(newEvents), "err", err)
		for _, ev := range newEvents {
			t, opts := tasks.NewRouteTask(ev.CustomerID, ev.ID)
			if _, err := s.o.Client.EnqueueContext(ctx, t, opts...); err != nil && !isConflict(err) {
				return rollback(err)
			}
		}
	}
	if err := s.o.Store.MarkRouted(ctx, newRefs); err != nil {
		// Routed all the same; a repeat of these events would be routed
		// again, which creates nothing new.
		s.o.Log.Warn("mark events routed", "events", len(newRefs), "err", err)
	}
	return len(newEvents), dups, nil
}
