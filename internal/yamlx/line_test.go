package yamlx

import (
	"errors"
	"testing"
)

func TestLine(t *testing.T) {
	for _, c := range []struct {
		err  string
		line int
		msg  string
	}{
		{"yaml: line 7: did not find expected key", 7, "did not find expected key"},
		{"yaml: unmarshal errors", 1, "unmarshal errors"},
		{"something else", 1, "something else"},
	} {
		line, msg := Line(errors.New(c.err))
		if line != c.line || msg != c.msg {
			t.Errorf("Line(%q) = %d, %q; want %d, %q", c.err, line, msg, c.line, c.msg)
		}
	}
}
