package desk

import (
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"regexp"
	"time"

	"github.com/aheadhq/ahead/callbacks"
	"github.com/aheadhq/ahead/flows"
	"github.com/aheadhq/ahead/internal/clock"
	"github.com/aheadhq/ahead/internal/httpx"
	"github.com/aheadhq/ahead/internal/store"
	"github.com/aheadhq/ahead/internal/web"
)

// The agent desk at /agent is server-rendered HTML: plain forms that post
// to the handlers below, a small style sheet and a few lines of script for
// keyboard shortcuts. An agent signs in with a name and, when the server
// checks tokens, a bearer token with the agent scope; both are kept in
// a signed, expiring session cookie that only this path gets (HttpOnly,
// SameSite=Strict). With tokens checked, the agent is the one the token
// names: a session cannot be made out for somebody else.

//go:embed agent
var agentFS embed.FS

// agentStatic are the desk's own style sheet and script; the shared look
// (base.css, favicon.svg) comes from package web.
var agentStatic, _ = fs.Sub(agentFS, "agent")

// agentPages are the pages in each language, parsed from the same
// templates with the language's messages.
var agentPages = map[lang]*template.Template{en: parsePages(en), nl: parsePages(nl)}

func parsePages(l lang) *template.Template {
	return template.Must(template.New("").Funcs(l.funcs()).ParseFS(agentFS, "agent/*.html"))
}

// pageView is what every agent page renders.
type pageView struct {
	Lang   lang
	Title  string
	Agent  string
	Auth   bool
	Error  string
	Notice string
	Form   pageForm

	// the queues page
	Queues []queueView
	Mine   []*store.Callback

	// a callback page
	CB           *store.Callback
	CustomerName string
	Holder       bool
	StateText    string
	StateClass   string
	StateHelp    string
	Attempt      string
	Local        string
	Zone         string
	Customer     []fieldView
	Details      []fieldView
	Timeline     []entryView
	Outcomes     []outcomeView
	Problems     []string
}

// SessionHours is how many hours a session lasts.
func (v *pageView) SessionHours() int { return int(SessionTTL / time.Hour) }

type pageForm struct {
	Agent, Outcome, Note, RequestedAt string
}

type queueView struct {
	Name, Description, Timezone, Status string
	Hours                               []string
	Open, Selected                      bool
	Callable, Queued, Claimed           int

	// Opens is when a closed queue opens next, zero when it never does.
	Opens time.Time
	loc   *time.Location
}

type fieldView struct {
	Label, Value string
	// Href is a link built from a checked value: tel: for an E.164
	// number, mailto: for an address.
	Href template.URL
	Warn bool
}

var e164 = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)

type entryView struct {
	At, What, Reason string
	Callback         bool
}

type outcomeView struct {
	Value, Label, Key, Hint string
	Checked                 bool
}

// Options configure the desk.
type Options struct {
	// Queues are the callback queues the agents work.
	Queues *callbacks.Queues
	Clock  clock.Clock
	Log    *slog.Logger
	// Authorize reports whether a bearer token has a scope; nil runs the
	// desk without tokens (ahead dev), where agents sign in by name.
	Authorize func(token, scope string) bool
	// Identify names the agent a token acts as.
	Identify func(token string) (httpx.Caller, bool)
	// SigningKey signs the session cookies; empty means a random key, so
	// sessions end when the process does.
	SigningKey []byte
}

// Desk is the agent desk: an http.Handler for /agent and below.
type Desk struct {
	o        Options
	mux      *http.ServeMux
	sessions *web.Sessions
}

// New returns the agent desk.
func New(o Options) *Desk {
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Clock == nil {
		o.Clock = clock.Real{}
	}
	s := &Desk{o: o, mux: http.NewServeMux(), sessions: web.NewSessions(o.SigningKey, "desk")}
	s.mux.HandleFunc("GET /agent", s.agentPage(s.agentHome))
	s.mux.HandleFunc("POST /agent/session", s.agentSignIn)
	s.mux.HandleFunc("POST /agent/session/end", s.agentSignOut)
	s.mux.HandleFunc("POST /agent/claim", s.agentPage(s.agentClaim))
	s.mux.HandleFunc("GET /agent/callbacks/{id}", s.agentPage(s.agentCallback))
	s.mux.HandleFunc("POST /agent/callbacks/{id}/outcome", s.agentPage(s.agentOutcome))
	s.mux.HandleFunc("GET /agent/static/{file}", web.Static(agentStatic))
	return s
}

// ServeHTTP serves the desk's pages.
func (s *Desk) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// fail logs err and answers 500.
func (s *Desk) fail(w http.ResponseWriter, r *http.Request, err error) {
	httpx.Internal(s.o.Log, w, r, err, nil)
}

// render writes a page in the request's language; a template failure is
// a 500.
func (s *Desk) render(w http.ResponseWriter, r *http.Request, code int, name string, v *pageView) {
	v.Auth = s.o.Authorize != nil
	v.Lang = langOf(r)
	if err := web.Render(w, agentPages[v.Lang], name, v, web.Lang(v.Lang), "", code); err != nil {
		s.fail(w, r, fmt.Errorf("render %s: %w", name, err))
	}
}

// plainError answers code with a line of text in the request's language.
func plainError(w http.ResponseWriter, r *http.Request, code int, key string, args ...any) {
	l := langOf(r)
	web.PlainError(w, web.Lang(l), code, l.T(key, args...))
}

// outcomeOrder is the order of the outcome choices; their shortcuts are 1 to 6.
var outcomeOrder = []string{
	flows.OutcomeReached, flows.OutcomeNoAnswer, flows.OutcomeVoicemail,
	flows.OutcomeCallbackRequested, flows.OutcomeDeclined, flows.OutcomeWrongNumber,
}

// formProblems are the messages of the problems Record finds.
var formProblems = map[string]string{
	"outcome: required":                              "choose_one",
	"note: not valid UTF-8":                          "note_invalid",
	"requested_at: required with callback_requested": "requested_required",
	"requested_at: must be in the future":            "requested_future",
	"requested_at: only with callback_requested":     "requested_only",
}
