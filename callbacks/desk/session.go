package desk

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"strconv"
	"strings"
	"time"

	"github.com/aheadhq/ahead/callbacks"
)

// SessionTTL is how long a desk session lasts after sign-in.
const SessionTTL = 12 * time.Hour

// cookieSession holds the signed session: the agent's name and when the
// session ends, with an HMAC over both. It never holds a token.
const cookieSession = "ahead_session"

// sessionKey returns the key sessions are signed with: the configured
// signing key, or a random one that lasts as long as the process.
func sessionKey(k []byte) []byte {
	if len(k) > 0 {
		return k
	}
	k = make([]byte, 32)
	_, _ = rand.Read(k)
	return k
}

// seal returns the cookie value of a session of agent that ends at end.
func (s *Desk) seal(agent string, end time.Time) string {
	body := base64.RawURLEncoding.EncodeToString([]byte(agent)) + "." + strconv.FormatInt(end.Unix(), 10)
	return body + "." + s.mac(body)
}

// open returns the agent of a session cookie value, or "" when the value
// was not made by seal with this key or the session has ended.
func (s *Desk) open(v string, now time.Time) string {
	i := strings.LastIndexByte(v, '.')
	if i < 0 {
		return ""
	}
	body, sig := v[:i], v[i+1:]
	if !hmac.Equal([]byte(sig), []byte(s.mac(body))) {
		return ""
	}
	name, end, ok := strings.Cut(body, ".")
	if !ok {
		return ""
	}
	unix, err := strconv.ParseInt(end, 10, 64)
	if err != nil || !now.Before(time.Unix(unix, 0)) {
		return ""
	}
	agent, err := base64.RawURLEncoding.DecodeString(name)
	if err != nil || callbacks.CheckAgent(string(agent)) != "" {
		return ""
	}
	return string(agent)
}

func (s *Desk) mac(body string) string {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte("ahead desk session\x00" + body))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}
