package web

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"strconv"
	"strings"
	"time"
)

// Sessions seals and opens session cookie values: a name and the moment
// the session ends, with an HMAC-SHA256 over both. A value holds no
// secret (never a token); it cannot be made or altered without the key,
// and a value sealed for one purpose (the desk) does not open for
// another (the reports).
type Sessions struct {
	key     []byte
	purpose string
}

// NewSessions returns sessions for purpose, such as "desk", signed with
// key; an empty key means a random one that lasts as long as the
// process, so that sessions end when it does.
func NewSessions(key []byte, purpose string) *Sessions {
	if len(key) == 0 {
		key = make([]byte, 32)
		_, _ = rand.Read(key)
	}
	return &Sessions{key: key, purpose: purpose}
}

// Seal returns the cookie value of a session of name that ends at end.
func (s *Sessions) Seal(name string, end time.Time) string {
	body := base64.RawURLEncoding.EncodeToString([]byte(name)) + "." + strconv.FormatInt(end.Unix(), 10)
	return body + "." + s.mac(body)
}

// Open returns the name of a session cookie value, and false when the
// value was not made by Seal with this key and purpose or the session
// has ended by now.
func (s *Sessions) Open(v string, now time.Time) (string, bool) {
	i := strings.LastIndexByte(v, '.')
	if i < 0 {
		return "", false
	}
	body, sig := v[:i], v[i+1:]
	if !hmac.Equal([]byte(sig), []byte(s.mac(body))) {
		return "", false
	}
	enc, end, ok := strings.Cut(body, ".")
	if !ok {
		return "", false
	}
	unix, err := strconv.ParseInt(end, 10, 64)
	if err != nil || !now.Before(time.Unix(unix, 0)) {
		return "", false
	}
	name, err := base64.RawURLEncoding.DecodeString(enc)
	if err != nil {
		return "", false
	}
	return string(name), true
}

func (s *Sessions) mac(body string) string {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte("ahead " + s.purpose + " session\x00" + body))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}
