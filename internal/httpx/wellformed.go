package httpx

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"unicode/utf8"
)

// malformed finds what encoding/json lets through in raw: text that is
// not UTF-8 (json turns it into U+FFFD, silently changing the value) and
// an object that has a key twice (json keeps the last, silently dropping
// the first). It returns the path of the first such place ("" for the
// value as a whole; "customer.name", "data.items[2]") and the problem, or
// "" when there is none. JSON that does not parse is left to the decoder.
func malformed(raw []byte) (path, problem string) {
	if quickWellFormed(raw) {
		return "", ""
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var stack []*level
	prev := int64(0)
	for {
		tok, err := dec.Token()
		if err != nil {
			return "", "" // the end, or a syntax error the decoder reports
		}
		cur := dec.InputOffset()
		text := raw[prev:cur]
		prev = cur
		var top *level
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if key, ok := tok.(string); ok && top != nil && top.object && top.wantKey {
			if !validText(text, key) {
				return pathOf(stack, key), "not valid UTF-8"
			}
			if top.keys[key] {
				return pathOf(stack, key), "duplicate key"
			}
			top.keys[key], top.key, top.wantKey = true, key, false
			continue
		}
		if s, ok := tok.(string); ok && !validText(text, s) {
			return pathOf(stack, ""), "not valid UTF-8"
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &level{object: true, wantKey: true, keys: map[string]bool{}})
			continue
		case json.Delim('['):
			stack = append(stack, &level{})
			continue
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
		}
		// A value ended: its container moves on.
		if len(stack) > 0 {
			if p := stack[len(stack)-1]; p.object {
				p.wantKey = true
			} else {
				p.index++
			}
		}
	}
}

// level is an object or array that malformed is inside of.
type level struct {
	object  bool
	wantKey bool            // an object's next token is a key
	keys    map[string]bool // an object's keys so far
	key     string          // an object's current key
	index   int             // an array's current element
}

// pathOf names the place the stack is at, with key added when it is not
// "": "customer.name", "data.items[2]".
func pathOf(stack []*level, key string) string {
	var b strings.Builder
	for i, l := range stack {
		switch {
		case !l.object:
			b.WriteString("[" + strconv.Itoa(l.index) + "]")
		case i < len(stack)-1 || key == "":
			if !l.wantKey {
				dot(&b)
				b.WriteString(l.key)
			}
		}
	}
	if key != "" {
		dot(&b)
		b.WriteString(key)
	}
	return b.String()
}

func dot(b *strings.Builder) {
	if b.Len() > 0 {
		b.WriteByte('.')
	}
}

// validText reports whether the JSON text of a string token, decoded as
// s, is UTF-8 throughout: raw bytes that are not, and escapes of lone
// surrogates (\ud800), both decode to U+FFFD.
func validText(text []byte, s string) bool {
	if !utf8.Valid(text) {
		return false
	}
	if !strings.ContainsRune(s, utf8.RuneError) {
		return true
	}
	// U+FFFD may stand in the text itself, or as \ufffd; count those.
	written := bytes.Count(text, []byte("\uFFFD")) + strings.Count(strings.ToLower(string(text)), `\ufffd`)
	return strings.Count(s, string(utf8.RuneError)) <= written
}
