package desk

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/mail"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/aheadhq/ahead/callbacks"
	"github.com/aheadhq/ahead/flows"
	"github.com/aheadhq/ahead/internal/clock"
	"github.com/aheadhq/ahead/internal/httpx"
	"github.com/aheadhq/ahead/internal/store"
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

var agentPages = template.Must(template.ParseFS(agentFS, "agent/*.html"))

// crossOrigin rejects form posts from other sites.
var crossOrigin = http.NewCrossOriginProtection()

// pageView is what every agent page renders.
type pageView struct {
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

type pageForm struct {
	Agent, Outcome, Note, RequestedAt string
}

type queueView struct {
	Name, Description, Timezone, Status string
	Hours                               []string
	Open, Selected                      bool
	Callable, Queued, Claimed           int
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
	o   Options
	mux *http.ServeMux
	key []byte
}

// New returns the agent desk.
func New(o Options) *Desk {
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Clock == nil {
		o.Clock = clock.Real{}
	}
	s := &Desk{o: o, mux: http.NewServeMux(), key: sessionKey(o.SigningKey)}
	s.mux.HandleFunc("GET /agent", s.agentPage(s.agentHome))
	s.mux.HandleFunc("POST /agent/session", s.agentSignIn)
	s.mux.HandleFunc("POST /agent/session/end", s.agentSignOut)
	s.mux.HandleFunc("POST /agent/claim", s.agentPage(s.agentClaim))
	s.mux.HandleFunc("GET /agent/callbacks/{id}", s.agentPage(s.agentCallback))
	s.mux.HandleFunc("POST /agent/callbacks/{id}/outcome", s.agentPage(s.agentOutcome))
	s.mux.HandleFunc("GET /agent/static/{file}", s.agentStatic)
	return s
}

// ServeHTTP serves the desk's pages.
func (s *Desk) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// fail logs err and answers 500.
func (s *Desk) fail(w http.ResponseWriter, r *http.Request, err error) {
	httpx.Internal(s.o.Log, w, r, err, nil)
}

// render writes a page; a template failure is a 500.
func (s *Desk) render(w http.ResponseWriter, r *http.Request, code int, name string, v *pageView) {
	v.Auth = s.o.Authorize != nil
	var buf bytes.Buffer
	if err := agentPages.ExecuteTemplate(&buf, name, v); err != nil {
		s.fail(w, r, fmt.Errorf("render %s: %w", name, err))
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", "default-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("Referrer-Policy", "same-origin")
	w.WriteHeader(code)
	_, _ = w.Write(buf.Bytes())
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
			http.Error(w, "cross-site form posts are not accepted", http.StatusForbidden)
			return
		}
		agent := s.pageAgent(r)
		switch {
		case agent != "":
			h(w, r, agent)
		case r.Method == http.MethodGet && r.URL.Path == "/agent":
			s.render(w, r, http.StatusOK, "signin.html", &pageView{Title: "Sign in"})
		case r.Method == http.MethodGet:
			http.Redirect(w, r, "/agent", http.StatusSeeOther)
		default:
			s.render(w, r, http.StatusUnauthorized, "signin.html", &pageView{Title: "Sign in", Error: "Sign in first: your session has ended."})
		}
	}
}

func secure(r *http.Request) bool {
	return r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

func setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{
		Name: name, Value: value, Path: "/agent", MaxAge: maxAge,
		HttpOnly: true, Secure: secure(r), SameSite: http.SameSiteStrictMode,
	})
}

// agentSignIn starts a session: the agent's name and, with authentication
// on, a token that has the agent scope.
func (s *Desk) agentSignIn(w http.ResponseWriter, r *http.Request) {
	if err := crossOrigin.Check(r); err != nil {
		http.Error(w, "cross-site form posts are not accepted", http.StatusForbidden)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form: "+err.Error(), http.StatusBadRequest)
		return
	}
	name := strings.TrimSpace(r.PostFormValue("agent"))
	v := &pageView{Title: "Sign in", Form: pageForm{Agent: name}}
	if s.o.Authorize != nil {
		// The token says who the agent is; a name typed beside it is not
		// taken.
		agent, ok := s.tokenAgent(strings.TrimSpace(r.PostFormValue("token")))
		if !ok {
			v.Error = "That token is unknown or lacks the agent scope."
			s.render(w, r, http.StatusUnauthorized, "signin.html", v)
			return
		}
		name = agent
	} else if p := callbacks.CheckAgent(name); p != "" {
		v.Error = "Your name: " + strings.TrimPrefix(p, "agent: ")
		s.render(w, r, http.StatusBadRequest, "signin.html", v)
		return
	}
	setCookie(w, r, cookieSession, s.seal(name, s.o.Clock.Now().Add(SessionTTL)), int(SessionTTL/time.Second))
	http.Redirect(w, r, "/agent", http.StatusSeeOther)
}

// agentSignOut ends the session.
func (s *Desk) agentSignOut(w http.ResponseWriter, r *http.Request) {
	if err := crossOrigin.Check(r); err != nil {
		http.Error(w, "cross-site form posts are not accepted", http.StatusForbidden)
		return
	}
	setCookie(w, r, cookieSession, "", -1)
	http.Redirect(w, r, "/agent", http.StatusSeeOther)
}

// stamp formats an instant for agents, in loc.
func stamp(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return "—"
	}
	return t.In(loc).Format("Mon 2 Jan 15:04 MST")
}

// agentHome lists the queues and the agent's open callbacks.
func (s *Desk) agentHome(w http.ResponseWriter, r *http.Request, agent string) {
	v := &pageView{Title: "Queues", Agent: agent}
	selected := r.URL.Query().Get("queue")
	if err := s.fillQueues(r, v, selected); err != nil {
		s.fail(w, r, err)
		return
	}
	if r.URL.Query().Get("empty") != "" && selected != "" {
		v.Notice = "No callback in " + selected + " is callable now."
		for _, q := range v.Queues {
			if q.Name == selected && !q.Open {
				v.Notice += " The queue is closed; it " + q.Status + "."
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
	for _, name := range names {
		cfg, ok := cbq.Config(name)
		if !ok {
			cfg = flows.DefaultQueue(name)
		}
		qv := queueView{Name: name, Description: cfg.Description, Hours: strings.Split(cfg.HoursText(), ", "), Timezone: cfg.Location.String(), Open: cfg.Open(now), Selected: name == selected}
		if qv.Open {
			qv.Status = "open now"
			if c := cfg.Close(now); !c.IsZero() {
				qv.Status = "until " + stamp(c, cfg.Location)
			}
		} else if n := cfg.Next(now); !n.IsZero() {
			qv.Status = "opens " + stamp(n, cfg.Location)
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
		http.Error(w, "bad form: "+err.Error(), http.StatusBadRequest)
		return
	}
	queue := r.PostFormValue("queue")
	cb, err := s.o.Queues.Claim(r.Context(), queue, agent, 0)
	switch {
	case errors.Is(err, callbacks.ErrUnknownQueue) || queue == "":
		v := &pageView{Title: "Queues", Agent: agent, Error: fmt.Sprintf("There is no queue %q.", queue)}
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
		v.Notice = "Recorded: " + outcomeLabel(rec) + "."
	}
	s.showCallback(w, r, http.StatusOK, r.PathValue("id"), v)
}

// showCallback renders the callback page into v.
func (s *Desk) showCallback(w http.ResponseWriter, r *http.Request, code int, id string, v *pageView) {
	ctx := r.Context()
	cb, err := s.o.Queues.Find(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		v.Title, v.Error = "Queues", "There is no callback "+id+": it may have been erased."
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
	cbq := s.o.Queues
	cfg, ok := cbq.Config(cb.Queue)
	if !ok {
		cfg = flows.DefaultQueue(cb.Queue)
	}
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
	v.Local = now.In(cloc).Format("Mon 15:04 MST")
	switch {
	case cb.State == store.CallbackDone:
		v.Attempt = fmt.Sprintf("%d of %d calls made", cb.Attempts, cfg.MaxAttempts)
	default:
		v.Attempt = fmt.Sprintf("call %d of %d", cb.Attempts+1, cfg.MaxAttempts)
	}
	switch {
	case v.Holder:
		v.StateText, v.StateClass = "yours until "+cb.LeaseUntil.In(qloc).Format("15:04"), "claimed"
	case cb.State == store.CallbackClaimed:
		v.StateText, v.StateClass = "claimed by "+cb.Agent, "claimed"
		v.StateHelp = cb.Agent + " holds this callback until " + stamp(cb.LeaseUntil, qloc) + "."
	case cb.State == store.CallbackQueued:
		v.StateText, v.StateClass = "queued", "queued"
		v.StateHelp = "It is back in the queue, due " + stamp(cb.Due, qloc) + ". Claim the next callback to work the queue in order."
	default:
		v.StateText, v.StateClass = "ended: "+strings.ReplaceAll(cb.Result, "_", " "), "done"
		v.StateHelp = "It ended " + stamp(cb.Ended, qloc) + " (" + strings.ReplaceAll(cb.Result, "_", " ") + ")."
	}
	v.Customer = customerFields(prof, cloc, now)
	v.Details = []fieldView{
		{Label: "Queue", Value: cb.Queue + " (" + cfg.HoursText() + ", " + qloc.String() + ")"},
		{Label: "Due", Value: stamp(cb.Due, qloc)},
		{Label: "Deadline", Value: stamp(cb.Deadline, qloc)},
		{Label: "Calls made", Value: fmt.Sprintf("%d of at most %d", cb.Attempts, cfg.MaxAttempts)},
	}
	if cb.Outcome != "" {
		v.Details = append(v.Details, fieldView{Label: "Last outcome", Value: outcomeLabel(cb.Outcome)})
	}
	if cb.Note != "" {
		v.Details = append(v.Details, fieldView{Label: "Last note", Value: cb.Note})
	}
	for _, e := range entries {
		v.Timeline = append(v.Timeline, timelineEntry(e, qloc))
	}
	checked := v.Form.Outcome
	for i, o := range outcomeOrder {
		v.Outcomes = append(v.Outcomes, outcomeView{
			Value: o, Label: outcomeLabel(o), Key: fmt.Sprint(i + 1), Hint: outcomeHint(o, cb, cfg), Checked: o == checked,
		})
	}
	s.render(w, r, code, "callback.html", v)
}

// outcomeOrder is the order of the outcome choices; their shortcuts are 1 to 6.
var outcomeOrder = []string{
	flows.OutcomeReached, flows.OutcomeNoAnswer, flows.OutcomeVoicemail,
	flows.OutcomeCallbackRequested, flows.OutcomeDeclined, flows.OutcomeWrongNumber,
}

func outcomeLabel(o string) string {
	switch o {
	case flows.OutcomeReached:
		return "Reached"
	case flows.OutcomeNoAnswer:
		return "No answer"
	case flows.OutcomeVoicemail:
		return "Voicemail"
	case flows.OutcomeCallbackRequested:
		return "Callback requested"
	case flows.OutcomeDeclined:
		return "Declined"
	case flows.OutcomeWrongNumber:
		return "Wrong number"
	}
	return o
}

// outcomeHint says what an outcome will do with this callback.
func outcomeHint(o string, cb *store.Callback, cfg *flows.Queue) string {
	last := cb.Attempts+1 >= cfg.MaxAttempts
	retry := func() string {
		if last {
			return "Last try: the callback ends as exhausted."
		}
		return "Tries again in " + fmtDuration(cfg.RetryAfter(o)) + ", within opening hours."
	}
	switch o {
	case flows.OutcomeReached:
		return "Spoke with the customer; the callback ends."
	case flows.OutcomeNoAnswer, flows.OutcomeVoicemail:
		return retry()
	case flows.OutcomeCallbackRequested:
		return "Calls back at the time below."
	case flows.OutcomeDeclined:
		return "Does not want to talk; the callback ends."
	case flows.OutcomeWrongNumber:
		return "Flags the phone number as wrong; the callback ends."
	}
	return ""
}

func fmtDuration(d time.Duration) string {
	switch {
	case d%(24*time.Hour) == 0:
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	case d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	}
	return strings.TrimSuffix(d.String(), "0s")
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
func customerFields(p store.Profile, loc *time.Location, now time.Time) []fieldView {
	var out []fieldView
	add := func(label, key string, href template.URL) {
		if v := p[key]; v != "" {
			out = append(out, fieldView{Label: label, Value: v, Href: href})
		}
	}
	add("Name", "name", "")
	add("Phone", "phone", telLink(p["phone"]))
	if t := p[callbacks.ProfilePhoneInvalid]; t != "" {
		out = append(out, fieldView{Label: "Phone flagged", Value: "wrong number, since " + t, Warn: true})
	}
	add("WhatsApp", "whatsapp", "")
	add("Email", "email", mailLink(p["email"]))
	out = append(out, fieldView{Label: "Time zone", Value: loc.String() + ", now " + now.In(loc).Format("15:04")})
	add("Language", "locale", "")
	add("Tone", "formality", "")
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
			out = append(out, fieldView{Label: "Opted out", Value: ch + " since " + p[k], Warn: true})
			continue
		}
		out = append(out, fieldView{Label: label, Value: p[k]})
	}
	return out
}

// timelineEntry describes a journal entry for agents.
func timelineEntry(e store.Entry, loc *time.Location) entryView {
	state := strings.ReplaceAll(e.State, "_", " ")
	v := entryView{At: e.At.In(loc).Format("2 Jan 15:04"), Reason: e.Reason}
	switch e.Kind {
	case store.KindEvent:
		v.What = "event " + e.EventType
		if e.State != "" && e.State != "received" {
			v.What += " " + state
		}
	case store.KindCallback:
		v.What, v.Callback = "call: "+state, true
	case store.KindIntervention:
		v.What = "step " + e.Step + ": " + state
		if e.Channel != "" && !strings.Contains(e.Reason, e.Channel) {
			v.What += " (" + e.Channel + ")"
		}
	default:
		v.What = strings.TrimSpace(e.Kind + " " + state)
	}
	return v
}

// agentOutcome records the outcome form.
func (s *Desk) agentOutcome(w http.ResponseWriter, r *http.Request, agent string) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form: "+err.Error(), http.StatusBadRequest)
		return
	}
	id := r.PathValue("id")
	f := pageForm{Outcome: r.PostFormValue("outcome"), Note: r.PostFormValue("note"), RequestedAt: strings.TrimSpace(r.PostFormValue("requested_at"))}
	v := &pageView{Agent: agent, Form: f}
	o := callbacks.Outcome{Outcome: f.Outcome, Note: f.Note}
	ctx := r.Context()
	if f.RequestedAt != "" {
		cb, err := s.o.Queues.Find(ctx, id)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			s.fail(w, r, err)
			return
		}
		loc := time.UTC
		if cb != nil {
			if l, err := flows.Location(cb.Timezone, ""); err == nil {
				loc = l
			}
		}
		t, err := parseLocal(f.RequestedAt, loc)
		if err != nil {
			v.Problems = []string{"Call back at: want a date and time, like 2026-11-25T14:30"}
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
			v.Problems = append(v.Problems, formProblem(p))
		}
		s.showCallback(w, r, http.StatusBadRequest, id, v)
	case errors.Is(err, callbacks.ErrNotHolder):
		v.Error = "Not recorded: " + notHolder(err)
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

// formProblem names a field of Record's problems the way the form labels it.
func formProblem(p string) string {
	for field, label := range map[string]string{"outcome: ": "Outcome: ", "note: ": "Note: ", "requested_at: ": "Call back at: "} {
		if rest, ok := strings.CutPrefix(p, field); ok {
			if field == "outcome: " && rest == "required" {
				return "Outcome: choose one"
			}
			return label + rest
		}
	}
	return p
}

// notHolder explains ErrNotHolder without the wrapping.
func notHolder(err error) string {
	msg := err.Error()
	if i := strings.LastIndex(msg, ": "+callbacks.ErrNotHolder.Error()); i > 0 {
		msg = msg[:i]
	}
	msg = strings.TrimPrefix(msg, "record outcome: ")
	return msg + "."
}

// agentStatic serves the style sheet and the script.
func (s *Desk) agentStatic(w http.ResponseWriter, r *http.Request) {
	name := path.Base(r.PathValue("file"))
	types := map[string]string{".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".svg": "image/svg+xml"}
	typ, ok := types[path.Ext(name)]
	b, err := agentFS.ReadFile("agent/" + name)
	if !ok || err != nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", typ)
	w.Header().Set("Cache-Control", "max-age=300")
	_, _ = w.Write(b)
}
