package signed

import (
	"errors"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	key := []byte("0123456789abcdef")
	tok := Token(key, "cus_1", "email")
	c, ch, err := Parse(key, tok)
	if err != nil || c != "cus_1" || ch != "email" {
		t.Fatalf("Parse = %q %q %v", c, ch, err)
	}
	for _, bad := range []string{"", "x", tok + "x", Token([]byte("another-key-0000"), "cus_1", "email"), "Y3VzXzEAZW1haWw.AAAA"} {
		if _, _, err := Parse(key, bad); !errors.Is(err, ErrBadToken) {
			t.Errorf("Parse(%q) err = %v, want ErrBadToken", bad, err)
		}
	}
}
