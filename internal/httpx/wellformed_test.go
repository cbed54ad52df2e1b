package httpx_test

import (
	"testing"

	"github.com/aheadhq/ahead/internal/httpx"
)

type customer struct {
	Name  string `json:"name"`
	Email string `json:"email"`
}

type event struct {
	ID       string         `json:"id"`
	Customer *customer      `json:"customer"`
	Data     map[string]any `json:"data"`
}

// Decode refuses what encoding/json would quietly change: a key given
// twice (json keeps the last) and text that is not UTF-8 (json makes it
// U+FFFD), at any depth, naming where.
func TestDecodeRejectsDuplicateKeysAndBadUTF8(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, body, prefix, want string
	}{
		{"duplicate at the top", `{"id":"a","id":"b"}`, "", "id: duplicate key"},
		{"duplicate in a nested object", `{"id":"a","customer":{"name":"A","name":"B"}}`, "", "customer.name: duplicate key"},
		{"duplicate in data", `{"id":"a","data":{"x":{"y":1,"y":2}}}`, "", "data.x.y: duplicate key"},
		{"duplicate in an array", `{"id":"a","data":{"l":[{"k":1},{"k":1,"k":2}]}}`, "", "data.l[1].k: duplicate key"},
		{"duplicate in a batch element", `{"id":"a","id":"a"}`, "events[3].", "events[3].id: duplicate key"},
		{"bad byte in a value", "{\"id\":\"a\",\"customer\":{\"name\":\"\xff\"}}", "", "customer.name: not valid UTF-8"},
		{"bad byte in a key", "{\"id\":\"a\",\"data\":{\"\xc3\":1}}", "", "data.\uFFFD: not valid UTF-8"},
		{"bad byte in an array", "{\"data\":{\"l\":[\"ok\",\"\xe2\x82\"]}}", "", "data.l[1]: not valid UTF-8"},
		{"lone surrogate escape", `{"customer":{"name":"\ud800"}}`, "", "customer.name: not valid UTF-8"},
		{"bad byte in the whole value", "\"\xff\"", "", "body: not valid UTF-8"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := httpx.Decode([]byte(tc.body), new(event), tc.prefix)
			if err == nil || err.Error() != tc.want {
				t.Errorf("Decode(%q) = %v, want %q", tc.body, err, tc.want)
			}
		})
	}
	for _, body := range []string{
		`{"id":"a","customer":{"name":"Zoë €"},"data":{"a":{"n":1},"b":{"n":1}}}`,
		`{"id":"a","customer":{"name":"\ufffd and � as such"}}`,
		`{"id":"a","customer":{"name":"\ud83d\ude00"}}`,
		`{"id":"a","data":{"l":[{"k":1},{"k":1}]}}`,
	} {
		if err := httpx.Decode([]byte(body), new(event), ""); err != nil {
			t.Errorf("Decode(%s) = %v, want nil", body, err)
		}
	}
}
