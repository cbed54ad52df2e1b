package httpx

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// quickWellFormed never passes what malformed would refuse: checked on
// hand-picked bodies and on many random ones built from pieces that make
// duplicate keys, escapes, bad bytes and nesting likely.
func TestQuickWellFormedAgreesWithMalformed(t *testing.T) {
	t.Parallel()
	check := func(body string) {
		t.Helper()
		_, problem := malformed([]byte(body))
		if quickWellFormed([]byte(body)) && problem != "" {
			t.Errorf("quick check passes %q, which is %s", body, problem)
		}
	}
	for _, body := range []string{
		`{"id":"a","id":"b"}`,
		`{"a":{"b":1,"b":2}}`,
		`{"a":[{"k":1},{"k":1,"k":2}]}`,
		`{"a":"x","\u0061":"y"}`,
		`{"a":"\ud800"}`,
		"{\"a\":\"\xff\"}",
		`{"a":{"a":{"a":1}},"b":[{"a":1},{"a":2}]}`,
		`{"k":"k","v":"k"}`,
		`[{"a":1,"a":1}]`,
	} {
		check(body)
	}
	// What it must pass, so that the quick path is taken at all.
	for _, body := range []string{
		`{"id":"evt_1","type":"t","customer":{"name":"Zoë €"},"data":{"a":{"n":1},"b":{"n":1},"l":[{"k":1},{"k":1}]}}`,
		`[{"id":"a"},{"id":"a"}]`,
		`{"k":"k","v":"k"}`,
	} {
		if !quickWellFormed([]byte(body)) {
			t.Errorf("quick check refuses %s", body)
		}
	}
	pieces := []string{`{`, `}`, `[`, `]`, `,`, `:`, `"a"`, `"b"`, `"a"`, `1`, `"\u0061"`, "\"\xff\"", `"\ud800"`, `"é"`, ` `}
	r := rand.New(rand.NewPCG(1, 2))
	passed := 0
	for range 200000 {
		var b strings.Builder
		for range 1 + r.IntN(14) {
			b.WriteString(pieces[r.IntN(len(pieces))])
		}
		body := b.String()
		if quickWellFormed([]byte(body)) {
			passed++
		}
		check(body)
	}
	if passed == 0 {
		t.Error("no random body passed the quick check; the comparison proved nothing")
	}
}
