package web

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// A session opens only with its key and purpose, unchanged and before
// its end.
func TestSessions(t *testing.T) {
	key := []byte("web-test-signing-key-0123456789")
	now := time.Date(2030, 1, 7, 9, 0, 0, 0, time.UTC)
	s := NewSessions(key, "reports")
	v := s.Seal("ops", now.Add(time.Hour))
	if name, ok := s.Open(v, now); !ok || name != "ops" {
		t.Fatalf("Open = %q, %v", name, ok)
	}
	if _, ok := s.Open(v, now.Add(time.Hour)); ok {
		t.Error("a session opens at its end")
	}
	for what, other := range map[string]*Sessions{
		"another purpose": NewSessions(key, "desk"),
		"another key":     NewSessions([]byte("another-signing-key-0123456789"), "reports"),
		"a random key":    NewSessions(nil, "reports"),
	} {
		if _, ok := other.Open(v, now); ok {
			t.Errorf("%s opens the session", what)
		}
	}
	// Another name ("admin") or a later end, under the same signature.
	end := fmt.Sprint(now.Add(time.Hour).Unix())
	later := fmt.Sprint(now.Add(48 * time.Hour).Unix())
	for _, bad := range []string{"", ".", "x.y.z", v + "x", strings.Replace(v, "b3Bz", "YWRtaW4", 1), strings.Replace(v, end, later, 1)} {
		if name, ok := s.Open(bad, now); ok {
			t.Errorf("Open(%q) = %q", bad, name)
		}
	}
}
