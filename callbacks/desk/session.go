package desk

import (
	"time"

	"github.com/aheadhq/ahead/callbacks"
)

// SessionTTL is how long a desk session lasts after sign-in.
const SessionTTL = 12 * time.Hour

// cookieSession holds the signed session: the agent's name and when the
// session ends, with an HMAC over both (web.Sessions). It never holds a
// token.
const cookieSession = "ahead_session"

// open returns the agent of a session cookie value, or "" when the value
// was not sealed by this desk's sessions or the session has ended.
func (s *Desk) open(v string, now time.Time) string {
	agent, ok := s.sessions.Open(v, now)
	if !ok || callbacks.CheckAgent(agent) != "" {
		return ""
	}
	return agent
}
