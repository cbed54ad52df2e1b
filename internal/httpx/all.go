package httpx

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
)

// DecodeAll decodes raw into v as Decode does, but an unknown field does
// not hide the rest: it reports every unknown field, at any depth, and
// then decodes v without them so that the caller can check the value
// too. ok says v holds the value; it is false when raw could not be
// decoded at all (bad JSON, a wrong type).
func DecodeAll(raw []byte, v any, prefix string) (problems []string, ok bool) {
	err := Decode(raw, v, prefix)
	if err == nil {
		return nil, true
	}
	unknown := unknownFields(raw, reflect.TypeOf(v), "")
	if len(unknown) == 0 {
		return []string{err.Error()}, false
	}
	for _, p := range unknown {
		problems = append(problems, prefix+p+": unknown field")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if dec.Decode(v) != nil {
		// Another problem besides: report the strict decoder's own words
		// for it when they are not about a field already named.
		if msg := err.Error(); !strings.HasSuffix(msg, ": unknown field") {
			problems = append(problems, msg)
		}
		return problems, false
	}
	return problems, true
}

// unknownFields returns the dotted paths of every member of the JSON
// object raw that struct type t, or a struct nested in it, has no field
// for.
func unknownFields(raw []byte, t reflect.Type, path string) []string {
	t = deref(t)
	if t.Kind() != reflect.Struct || t == timeType {
		return nil
	}
	ms, ok := members(raw)
	if !ok {
		return nil
	}
	var out []string
	for _, m := range ms {
		f := field(t, m.name)
		if f == nil {
			out = append(out, path+m.name)
			continue
		}
		out = append(out, unknownFields(m.val, f.Type, fmt.Sprintf("%s%s.", path, m.name))...)
	}
	return out
}
