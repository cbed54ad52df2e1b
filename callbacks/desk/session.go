package desk

import (
	"net/http"
	"strings"
	"time"

	"github.com/aheadhq/ahead/callbacks"
	"github.com/aheadhq/ahead/internal/httpx"
	"github.com/aheadhq/ahead/internal/web"
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

// tokenAgent returns the agent a token acts as, when it may use the desk.
func (s *Desk) tokenAgent(tok string) (string, bool) {
	if tok == "" || !s.o.Authorize(tok, httpx.ScopeAgent) && !s.o.Authorize(tok, httpx.ScopeAdmin) || s.o.Identify == nil {
		return "", false
	}
	c, ok := s.o.Identify(tok)
	if !ok || callbacks.CheckAgent(c.Agent) != "" {
		return "", false
	}
	return c.Agent, true
}

// pageAgent returns the signed-in agent of a request, or "".
func (s *Desk) pageAgent(r *http.Request) string {
	c, err := r.Cookie(cookieSession)
	if err != nil {
		return ""
	}
	return s.open(c.Value, s.o.Clock.Now())
}

// agentPage guards a page handler: form posts must come from this site,
// and the agent must be signed in.
func (s *Desk) agentPage(h func(w http.ResponseWriter, r *http.Request, agent string)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := web.SameOrigin(r); err != nil {
			plainError(w, r, http.StatusForbidden, "cross_site")
			return
		}
		agent := s.pageAgent(r)
		l := langOf(r)
		switch {
		case agent != "":
			h(w, r, agent)
		case r.Method == http.MethodGet && r.URL.Path == "/agent":
			s.render(w, r, http.StatusOK, "signin.html", &pageView{Title: l.T("sign_in")})
		case r.Method == http.MethodGet:
			http.Redirect(w, r, "/agent", http.StatusSeeOther)
		default:
			s.render(w, r, http.StatusUnauthorized, "signin.html", &pageView{Title: l.T("sign_in"), Error: l.T("session_ended")})
		}
	}
}

func setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge int) {
	web.SetCookie(w, r, name, value, "/agent", maxAge)
}

// agentSignIn starts a session: the agent's name and, with authentication
// on, a token that has the agent scope.
func (s *Desk) agentSignIn(w http.ResponseWriter, r *http.Request) {
	if code, key, args := web.ReadForm(w, r, 16<<10); code != 0 {
		plainError(w, r, code, key, args...)
		return
	}
	name := strings.TrimSpace(r.PostFormValue("agent"))
	l := langOf(r)
	v := &pageView{Title: l.T("sign_in"), Form: pageForm{Agent: name}}
	if s.o.Authorize != nil {
		// The token says who the agent is; a name typed beside it is not
		// taken.
		agent, ok := s.tokenAgent(strings.TrimSpace(r.PostFormValue("token")))
		if !ok {
			v.Error = l.T("token_refused")
			s.render(w, r, http.StatusUnauthorized, "signin.html", v)
			return
		}
		name = agent
	} else if p := callbacks.CheckAgent(name); p != "" {
		v.Error = l.T("your_name_is", nameProblem(l, strings.TrimPrefix(p, "agent: ")))
		s.render(w, r, http.StatusBadRequest, "signin.html", v)
		return
	}
	setCookie(w, r, cookieSession, s.sessions.Seal(name, s.o.Clock.Now().Add(SessionTTL)), int(SessionTTL/time.Second))
	http.Redirect(w, r, "/agent", http.StatusSeeOther)
}

// agentSignOut ends the session.
func (s *Desk) agentSignOut(w http.ResponseWriter, r *http.Request) {
	if err := web.SameOrigin(r); err != nil {
		plainError(w, r, http.StatusForbidden, "cross_site")
		return
	}
	setCookie(w, r, cookieSession, "", -1)
	http.Redirect(w, r, "/agent", http.StatusSeeOther)
}

// nameProblem says what is wrong with a typed name, in l.
func nameProblem(l lang, p string) string {
	for key, text := range map[string]string{"name_required": "required", "name_too_long": "longer than 100 characters", "name_control": "must not contain control characters"} {
		if p == text {
			return l.T(key)
		}
	}
	return p
}
