package httpx

import (
	"bytes"
	"unicode/utf8"
)

// quickWellFormed reports whether raw certainly holds neither text that
// is not UTF-8 nor an object with a key twice, by one pass over its bytes
// with no allocation for small objects. It answers false, and malformed
// looks closer, whenever it cannot be sure: an escape anywhere (a key
// may be written two ways, "a" and "\u0061"; "\ud800" decodes to
// U+FFFD), bytes that are not UTF-8, or JSON it cannot follow.
func quickWellFormed(raw []byte) bool {
	if bytes.IndexByte(raw, '\\') >= 0 || !utf8.Valid(raw) {
		return false
	}
	type frame struct {
		object, wantKey bool
		keys            [][]byte
	}
	var stack []frame
	for i := 0; i < len(raw); i++ {
		switch raw[i] {
		case '"':
			end := bytes.IndexByte(raw[i+1:], '"')
			if end < 0 {
				return false
			}
			s := raw[i+1 : i+1+end]
			i += end + 1
			if n := len(stack); n > 0 && stack[n-1].object && stack[n-1].wantKey {
				top := &stack[n-1]
				for _, k := range top.keys {
					if bytes.Equal(k, s) {
						return false
					}
				}
				top.keys = append(top.keys, s)
				top.wantKey = false
			}
		case '{':
			stack = append(stack, frame{object: true, wantKey: true})
		case '[':
			stack = append(stack, frame{})
		case '}', ']':
			if len(stack) == 0 || stack[len(stack)-1].object != (raw[i] == '}') {
				return false
			}
			stack = stack[:len(stack)-1]
		case ',':
			if n := len(stack); n > 0 && stack[n-1].object {
				stack[n-1].wantKey = true
			}
		}
	}
	return len(stack) == 0
}
