package desk

import (
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/mail"
	"net/url"
	"regexp"
	"slices"
	"strings"
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

// crossOrigin rejects form posts from other sites.
var crossOrigin = http.NewCrossOriginProtection()

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

// telLink returns the tel: link of an E.164 number, "" for anything else.
func telLink(phone string) template.URL {
	if !e164.MatchString(phone) {
		return ""
	}
	return template.URL("tel:" + phone)
}

// mailLink returns the mailto: link of an address, "" when it is none.
func mailLink(addr string) template.URL {
	a, err := mail.ParseAddress(addr)
	if err != nil || a.Name != "" {
		return ""
	}
	return template.URL("mailto:" + url.PathEscape(a.Address))
}

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
		if err := crossOrigin.Check(r); err != nil {
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
	if err := crossOrigin.Check(r); err != nil {
		plainError(w, r, http.StatusForbidden, "cross_site")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		plainError(w, r, http.StatusBadRequest, "bad_form", err)
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
	if err := crossOrigin.Check(r); err != nil {
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

// agentHome lists the queues and the agent's open callbacks.
func (s *Desk) agentHome(w http.ResponseWriter, r *http.Request, agent string) {
	l := langOf(r)
	v := &pageView{Title: l.T("queues"), Agent: agent}
	selected := r.URL.Query().Get("queue")
	if err := s.fillQueues(r, v, selected); err != nil {
		s.fail(w, r, err)
		return
	}
	if r.URL.Query().Get("empty") != "" && selected != "" {
		v.Notice = l.T("none_callable", selected)
		for _, q := range v.Queues {
			switch {
			case q.Name != selected || q.Open:
			case q.Opens.IsZero():
				v.Notice += l.T("queue_shut")
			default:
				v.Notice += l.T("queue_shut_until", l.stamp(q.Opens, q.loc))
			}
		}
	}
	s.render(w, r, http.StatusOK, "home.html", v)
}

// fillQueues adds every queue with its counts, and the agent's claims.
func (s *Desk) fillQueues(r *http.Request, v *pageView, selected string) error {
	ctx := r.Context()
	cbq := s.o.Queues
	names, err := cbq.Names(ctx)
	if err != nil {
		return err
	}
	now := s.o.Clock.Now()
	l := langOf(r)
	for _, name := range names {
		cfg := s.queueConfig(name)
		qv := queueView{Name: name, Description: cfg.Description, Hours: strings.Split(l.days(cfg.HoursText()), ", "), Timezone: cfg.Location.String(),
			Open: cfg.Open(now), Selected: name == selected, loc: cfg.Location}
		if qv.Open {
			qv.Status = l.T("open_now")
			if c := cfg.Close(now); !c.IsZero() {
				qv.Status = l.T("open_until", l.stamp(c, cfg.Location))
			}
		} else if qv.Opens = cfg.Next(now); !qv.Opens.IsZero() {
			qv.Status = l.T("opens", l.stamp(qv.Opens, cfg.Location))
		}
		cbs, err := s.o.Queues.Waiting(ctx, name, 0, 1000)
		if err != nil {
			return err
		}
		for _, cb := range cbs {
			switch cb.State {
			case store.CallbackQueued:
				qv.Queued++
			case store.CallbackClaimed:
				qv.Claimed++
				if cb.Agent == v.Agent && cb.LeaseUntil.After(now) {
					v.Mine = append(v.Mine, cb)
				}
			}
			if cbq.Callable(cb, now) {
				qv.Callable++
			}
		}
		v.Queues = append(v.Queues, qv)
	}
	return nil
}

// agentClaim claims the next callable callback of the chosen queue and
// opens it.
func (s *Desk) agentClaim(w http.ResponseWriter, r *http.Request, agent string) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		plainError(w, r, http.StatusBadRequest, "bad_form", err)
		return
	}
	queue := r.PostFormValue("queue")
	cb, err := s.o.Queues.Claim(r.Context(), queue, agent, 0)
	switch {
	case errors.Is(err, callbacks.ErrUnknownQueue) || queue == "":
		l := langOf(r)
		v := &pageView{Title: l.T("queues"), Agent: agent, Error: l.T("no_such_queue", queue)}
		if err := s.fillQueues(r, v, ""); err != nil {
			s.fail(w, r, err)
			return
		}
		s.render(w, r, http.StatusBadRequest, "home.html", v)
	case err != nil:
		s.fail(w, r, err)
	case cb == nil:
		http.Redirect(w, r, "/agent?empty=1&queue="+url.QueryEscape(queue), http.StatusSeeOther)
	default:
		http.Redirect(w, r, "/agent/callbacks/"+url.PathEscape(cb.ID), http.StatusSeeOther)
	}
}

// agentCallback shows one callback: customer, talking points, timeline
// and, to the agent who holds it, the outcome form.
func (s *Desk) agentCallback(w http.ResponseWriter, r *http.Request, agent string) {
	v := &pageView{Agent: agent}
	if rec := r.URL.Query().Get("recorded"); rec != "" {
		l := langOf(r)
		v.Notice = l.T("recorded", outcomeLabel(l, rec))
	}
	s.showCallback(w, r, http.StatusOK, r.PathValue("id"), v)
}

// showCallback renders the callback page into v.
func (s *Desk) showCallback(w http.ResponseWriter, r *http.Request, code int, id string, v *pageView) {
	ctx := r.Context()
	l := langOf(r)
	cb, err := s.o.Queues.Find(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		v.Title, v.Error = l.T("queues"), l.T("no_such_callback", id)
		if err := s.fillQueues(r, v, ""); err != nil {
			s.fail(w, r, err)
			return
		}
		s.render(w, r, http.StatusNotFound, "home.html", v)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	prof, entries, err := s.o.Queues.Customer(ctx, cb.Customer, 30)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	cfg := s.queueConfig(cb.Queue)
	now := s.o.Clock.Now()
	qloc := cfg.Location
	zone := cb.Timezone
	if zone == "" {
		zone = prof["timezone"]
	}
	cloc, err := flows.Location(zone, "")
	if err != nil {
		cloc = qloc
	}

	v.CB = cb
	v.CustomerName = firstOf(cb.Name, prof["name"], cb.Customer)
	v.Title = v.CustomerName
	v.Holder = cb.State == store.CallbackClaimed && cb.Agent == v.Agent
	v.Zone = cloc.String()
	v.Local = l.format(now.In(cloc), "Mon 15:04 MST")
	switch {
	case cb.State == store.CallbackDone:
		v.Attempt = l.T("calls_made_of", cb.Attempts, cfg.MaxAttempts)
	default:
		v.Attempt = l.T("call_of", cb.Attempts+1, cfg.MaxAttempts)
	}
	switch {
	case v.Holder:
		v.StateText, v.StateClass = l.T("yours_until", cb.LeaseUntil.In(qloc).Format("15:04")), "claimed"
	case cb.State == store.CallbackClaimed:
		v.StateText, v.StateClass = l.T("claimed_by", cb.Agent), "claimed"
		v.StateHelp = l.T("held_until", cb.Agent, l.stamp(cb.LeaseUntil, qloc))
	case cb.State == store.CallbackQueued:
		v.StateText, v.StateClass = l.state(store.CallbackQueued), "queued"
		v.StateHelp = l.T("back_in_queue", l.stamp(cb.Due, qloc))
	default:
		v.StateText, v.StateClass = l.T("ended", l.state(cb.Result)), "done"
		v.StateHelp = l.T("ended_at", l.stamp(cb.Ended, qloc), l.state(cb.Result))
	}
	v.Customer = customerFields(l, prof, cloc, now)
	v.Details = []fieldView{
		{Label: l.T("queue"), Value: cb.Queue + " (" + l.days(cfg.HoursText()) + ", " + qloc.String() + ")"},
		{Label: l.T("due"), Value: l.stamp(cb.Due, qloc)},
		{Label: l.T("deadline"), Value: l.stamp(cb.Deadline, qloc)},
		{Label: l.T("calls_made"), Value: l.T("calls_made_max", cb.Attempts, cfg.MaxAttempts)},
	}
	if cb.Outcome != "" {
		v.Details = append(v.Details, fieldView{Label: l.T("last_outcome"), Value: outcomeLabel(l, cb.Outcome)})
	}
	if cb.Note != "" {
		v.Details = append(v.Details, fieldView{Label: l.T("last_note"), Value: cb.Note})
	}
	for _, e := range entries {
		v.Timeline = append(v.Timeline, timelineEntry(l, e, qloc))
	}
	checked := v.Form.Outcome
	for i, o := range outcomeOrder {
		v.Outcomes = append(v.Outcomes, outcomeView{
			Value: o, Label: outcomeLabel(l, o), Key: fmt.Sprint(i + 1), Hint: outcomeHint(l, o, cb, cfg), Checked: o == checked,
		})
	}
	s.render(w, r, code, "callback.html", v)
}

// queueConfig returns the rules of a queue: its entry in queues.yaml, or
// the defaults.
func (s *Desk) queueConfig(name string) *flows.Queue {
	if cfg, ok := s.o.Queues.Config(name); ok {
		return cfg
	}
	return flows.DefaultQueue(name)
}

// outcomeOrder is the order of the outcome choices; their shortcuts are 1 to 6.
var outcomeOrder = []string{
	flows.OutcomeReached, flows.OutcomeNoAnswer, flows.OutcomeVoicemail,
	flows.OutcomeCallbackRequested, flows.OutcomeDeclined, flows.OutcomeWrongNumber,
}

// outcomeLabel names an outcome on the form, like "No answer".
func outcomeLabel(l lang, o string) string {
	if has("outcome_" + o) {
		return l.T("outcome_" + o)
	}
	return o
}

// outcomeHint says what an outcome will do with this callback.
func outcomeHint(l lang, o string, cb *store.Callback, cfg *flows.Queue) string {
	switch o {
	case flows.OutcomeNoAnswer, flows.OutcomeVoicemail:
		if cb.Attempts+1 >= cfg.MaxAttempts {
			return l.T("hint_last")
		}
		return l.T("hint_retry", l.duration(cfg.RetryAfter(o)))
	case flows.OutcomeReached, flows.OutcomeCallbackRequested, flows.OutcomeDeclined, flows.OutcomeWrongNumber:
		return l.T("hint_" + o)
	}
	return ""
}

func firstOf(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

// customerFields lists a profile for agents: the contact points first.
func customerFields(l lang, p store.Profile, loc *time.Location, now time.Time) []fieldView {
	var out []fieldView
	add := func(label, key string, href template.URL) {
		if v := p[key]; v != "" {
			out = append(out, fieldView{Label: label, Value: v, Href: href})
		}
	}
	add(l.T("name"), "name", "")
	add(l.T("phone"), "phone", telLink(p["phone"]))
	if t := p[callbacks.ProfilePhoneInvalid]; t != "" {
		out = append(out, fieldView{Label: l.T("phone_flagged"), Value: l.T("wrong_since", l.stampText(t, loc)), Warn: true})
	}
	add(l.T("whatsapp"), "whatsapp", "")
	add(l.T("email"), "email", mailLink(p["email"]))
	out = append(out, fieldView{Label: l.T("time_zone"), Value: l.T("zone_now", loc.String(), now.In(loc).Format("15:04"))})
	add(l.T("language"), "locale", "")
	if f := p["formality"]; f != "" {
		if has("tone_" + f) {
			f = l.T("tone_" + f)
		}
		out = append(out, fieldView{Label: l.T("tone"), Value: f})
	}
	shown := map[string]bool{"id": true, "name": true, "phone": true, "whatsapp": true, "email": true, "timezone": true,
		"locale": true, "formality": true, callbacks.ProfilePhoneInvalid: true}
	var rest []string
	for k := range p {
		if !shown[k] {
			rest = append(rest, k)
		}
	}
	slices.Sort(rest)
	for _, k := range rest {
		label := strings.ReplaceAll(k, "_", " ")
		if ch, ok := strings.CutPrefix(k, "optout_"); ok {
			out = append(out, fieldView{Label: l.T("opted_out"), Value: l.T("since", ch, l.stampText(p[k], loc)), Warn: true})
			continue
		}
		out = append(out, fieldView{Label: label, Value: p[k]})
	}
	return out
}

// timelineEntry describes a journal entry for agents. The entry's reason
// is shown as the journal recorded it.
func timelineEntry(l lang, e store.Entry, loc *time.Location) entryView {
	state := l.state(e.State)
	v := entryView{At: l.format(e.At.In(loc), "2 Jan 15:04"), Reason: e.Reason}
	switch e.Kind {
	case store.KindEvent:
		v.What = l.T("tl_event", e.EventType)
		if e.State != "" && e.State != "received" {
			v.What = l.T("tl_event_state", e.EventType, state)
		}
	case store.KindCallback:
		v.What, v.Callback = l.T("tl_call", state), true
	case store.KindIntervention:
		v.What = l.T("tl_step", e.Step, state)
		if e.Channel != "" && !strings.Contains(e.Reason, e.Channel) {
			v.What = l.T("tl_step_channel", e.Step, state, e.Channel)
		}
	default:
		kind := e.Kind
		if has("kind_" + kind) {
			kind = l.T("kind_" + kind)
		}
		v.What = strings.TrimSpace(kind + " " + state)
	}
	return v
}

// agentOutcome records the outcome form.
func (s *Desk) agentOutcome(w http.ResponseWriter, r *http.Request, agent string) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		plainError(w, r, http.StatusBadRequest, "bad_form", err)
		return
	}
	l := langOf(r)
	id := r.PathValue("id")
	f := pageForm{Outcome: r.PostFormValue("outcome"), Note: r.PostFormValue("note"), RequestedAt: strings.TrimSpace(r.PostFormValue("requested_at"))}
	v := &pageView{Agent: agent, Form: f}
	o := callbacks.Outcome{Outcome: f.Outcome, Note: f.Note}
	ctx := r.Context()
	var cfg *flows.Queue
	if f.RequestedAt != "" {
		cb, err := s.o.Queues.Find(ctx, id)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			s.fail(w, r, err)
			return
		}
		loc := time.UTC
		if cb != nil {
			cfg = s.queueConfig(cb.Queue)
			if cl, err := flows.Location(cb.Timezone, ""); err == nil {
				loc = cl
			}
		}
		t, err := parseLocal(f.RequestedAt, loc)
		if err != nil {
			v.Problems = []string{l.T("problem", l.T("requested_at"), l.T("want_datetime"))}
			s.showCallback(w, r, http.StatusBadRequest, id, v)
			return
		}
		o.RequestedAt = t
	}
	_, err := s.o.Queues.Record(ctx, id, agent, o)
	var inv *callbacks.InvalidError
	switch {
	case errors.As(err, &inv):
		for _, p := range inv.Problems {
			v.Problems = append(v.Problems, formProblem(l, p, cfg, o.RequestedAt))
		}
		s.showCallback(w, r, http.StatusBadRequest, id, v)
	case errors.Is(err, callbacks.ErrNotHolder):
		v.Error = l.T("not_recorded_because", s.notHolder(r, id, agent, err))
		s.showCallback(w, r, http.StatusConflict, id, v)
	case errors.Is(err, store.ErrNotFound):
		s.showCallback(w, r, http.StatusNotFound, id, v)
	case err != nil:
		s.fail(w, r, err)
	default:
		http.Redirect(w, r, "/agent/callbacks/"+url.PathEscape(id)+"?recorded="+url.QueryEscape(o.Outcome), http.StatusSeeOther)
	}
}

// parseLocal reads a datetime-local value in loc.
func parseLocal(s string, loc *time.Location) (time.Time, error) {
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05", "2006-01-02 15:04"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, nil
		}
	}
	return time.Parse(time.RFC3339, s)
}

// formProblems are the messages of the problems Record finds.
var formProblems = map[string]string{
	"outcome: required":                              "choose_one",
	"note: not valid UTF-8":                          "note_invalid",
	"requested_at: required with callback_requested": "requested_required",
	"requested_at: must be in the future":            "requested_future",
	"requested_at: only with callback_requested":     "requested_only",
}

// formProblem says one of Record's problems in l, naming the field the
// way the form labels it. A call-back time when the queue is closed
// says when it opens, in the queue's zone (cfg, at: the queue and the
// time asked for). Other problems keep Record's words.
func formProblem(l lang, p string, cfg *flows.Queue, at time.Time) string {
	// The catalog labels the fields Record checks by their form names.
	field, rest, ok := strings.Cut(p, ": ")
	if !ok || !slices.Contains([]string{"outcome", "note", "requested_at"}, field) {
		return p
	}
	switch key, ok := formProblems[p]; {
	case ok:
		rest = l.T(key)
	case field == "requested_at" && strings.HasPrefix(rest, "queue ") && cfg != nil && !at.IsZero() && !cfg.Open(at):
		rest = l.T("requested_closed", cfg.Name, l.days(cfg.HoursText()))
		if next := cfg.Next(at); !next.IsZero() {
			rest = l.T("requested_closed_next", cfg.Name, l.days(cfg.HoursText()), l.stamp(next, cfg.Location))
		}
	}
	return l.T("problem", l.T(field), rest)
}

// notHolder says why agent may not record an outcome of callback id: it
// has ended, or somebody else or nobody holds it.
func (s *Desk) notHolder(r *http.Request, id, agent string, err error) string {
	l := langOf(r)
	cb, ferr := s.o.Queues.Find(r.Context(), id)
	switch {
	case ferr != nil:
	case cb.State == store.CallbackDone:
		return l.T("has_ended_result", id, l.state(cb.Result))
	case cb.State == store.CallbackClaimed && cb.Agent != agent:
		return l.T("held_by", id, cb.Agent)
	case cb.State != store.CallbackClaimed:
		return l.T("held_by_nobody", id)
	}
	// The callback changed meanwhile, or a task holds it: Record's words.
	msg := err.Error()
	if i := strings.LastIndex(msg, ": "+callbacks.ErrNotHolder.Error()); i > 0 {
		msg = msg[:i]
	}
	return strings.TrimPrefix(msg, "record outcome: ") + "."
}
