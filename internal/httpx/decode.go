package httpx

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// ReadBody reads a request body within the size limit. It answers the
// request itself and returns nil when the body cannot be read.
func ReadBody(w http.ResponseWriter, r *http.Request, limit int64) []byte {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		Error(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("body larger than %d bytes", limit))
		return nil
	}
	if err != nil {
		Error(w, http.StatusBadRequest, "read body: "+err.Error())
		return nil
	}
	return body
}

// Decode decodes one JSON value into v, rejecting unknown fields, text
// that is not UTF-8 and objects with a key twice, at any depth.
// Errors name the field, after prefix ("events[3]."); a problem with the
// body as a whole is named "body".
func Decode(raw []byte, v any, prefix string) error {
	if path, problem := malformed(raw); problem != "" {
		if path == "" {
			path = strings.TrimSuffix(prefix, ".")
		} else {
			path = prefix + path
		}
		if path == "" {
			path = "body"
		}
		return fmt.Errorf("%s: %s", path, problem)
	}
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

// MaxLimit is the most items a list route returns at once.
const MaxLimit = 5000

// Limit reads the limit query parameter of a list route: def when it is
// absent, else a whole number from 1 to MaxLimit, or an error naming it.
func Limit(r *http.Request, def int) (int, error) {
	v := r.URL.Query().Get("limit")
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > MaxLimit {
		return 0, fmt.Errorf("limit: must be a whole number from 1 to %d, got %q", MaxLimit, v)
	}
	return n, nil
}
