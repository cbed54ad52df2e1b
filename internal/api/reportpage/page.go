package reportpage

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/aheadhq/ahead/engine"
	"github.com/aheadhq/ahead/flows"
	"github.com/aheadhq/ahead/internal/clock"
	"github.com/aheadhq/ahead/internal/httpx"
	"github.com/aheadhq/ahead/internal/web"
)

// Reports is what the page reads: the flows in force and the report of
// one. The engine implements Report; Flows lists its catalog's flows.
type Reports interface {
	Flows() []*flows.Flow
	Report(ctx context.Context, flow string, o engine.ReportOptions) (*engine.Report, error)
}

// Options configure the page.
type Options struct {
	Reports Reports
	Clock   clock.Clock
	Log     *slog.Logger
	// Authorize reports whether a bearer token has a scope; nil serves
	// the page without sign-in (ahead dev).
	Authorize func(token, scope string) bool
	// Identify names who a token belongs to, for the page's header.
	Identify func(token string) (httpx.Caller, bool)
	// SigningKey signs the session cookies; empty means a random key, so
	// sessions end when the process does.
	SigningKey []byte
}

// SessionTTL is how long a reports session lasts after sign-in.
const SessionTTL = 8 * time.Hour

// cookieSession holds the signed session: who signed in and when the
// session ends (web.Sessions). It never holds a token.
const cookieSession = "ahead_reports"

// DefaultEffect is the difference in goal rate, in percentage points,
// that the "still needed" line plans for unless the page is asked for
// another.
const DefaultEffect = 2.0

// csp is the desk's policy with no script at all: the page has none.
const csp = web.CSP + "; script-src 'none'"

//go:embed reports
var reportFS embed.FS

var pages = map[web.Lang]*template.Template{web.EN: parsePages(web.EN), web.NL: parsePages(web.NL)}

func parsePages(l web.Lang) *template.Template {
	return template.Must(template.New("").Funcs(catalog.Funcs(l)).ParseFS(reportFS, "reports/*.html"))
}

// own are the page's own static files; the shared look comes from web.
var own, _ = fs.Sub(reportFS, "reports")

// Page is the report page: an http.Handler for /reports and below.
type Page struct {
	o        Options
	mux      *http.ServeMux
	sessions *web.Sessions
}

// New returns the report page.
func New(o Options) *Page {
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Clock == nil {
		o.Clock = clock.Real{}
	}
	p := &Page{o: o, mux: http.NewServeMux(), sessions: web.NewSessions(o.SigningKey, "reports")}
	p.mux.HandleFunc("GET /reports", p.guard(p.home))
	p.mux.HandleFunc("GET /reports/{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/reports", http.StatusMovedPermanently)
	})
	p.mux.HandleFunc("GET /reports/flows/{flow}", p.guard(p.flow))
	p.mux.HandleFunc("POST /reports/session", p.signIn)
	p.mux.HandleFunc("POST /reports/session/end", p.signOut)
	p.mux.HandleFunc("GET /reports/static/{file}", web.Static(own))
	return p
}

// ServeHTTP serves the page.
func (p *Page) ServeHTTP(w http.ResponseWriter, r *http.Request) { p.mux.ServeHTTP(w, r) }

// view is what every page renders.
type view struct {
	Lang  web.Lang
	Title string
	// Auth says the server checks tokens; Who is who signed in.
	Auth bool
	Who  string
	// Error is a message at the top of the page.
	Error string

	// sign-in
	Next         string
	SessionHours int

	// reports
	AsOf       string
	Effect     string
	Cards      []*cardView
	Unmeasured []string
	// Single is set on one flow's page; Period is the period it asked
	// for.
	Single bool
	Period string
}

// render writes a page in the request's language.
func (p *Page) render(w http.ResponseWriter, r *http.Request, code int, name string, v *view) {
	v.Lang = web.LangOf(r)
	v.Auth = p.o.Authorize != nil
	if err := web.Render(w, pages[v.Lang], name, v, v.Lang, csp, code); err != nil {
		httpx.Internal(p.o.Log, w, r, fmt.Errorf("render %s: %w", name, err), nil)
	}
}

// plainError answers code with a line of text in the request's language.
func plainError(w http.ResponseWriter, r *http.Request, code int, key string, args ...any) {
	l := web.LangOf(r)
	web.PlainError(w, l, code, catalog.T(l, key, args...))
}

// guard lets a signed-in admin through, or anyone when the server checks
// no tokens; anyone else gets the sign-in form, which leads back here.
func (p *Page) guard(h func(w http.ResponseWriter, r *http.Request, who string)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if p.o.Authorize == nil {
			h(w, r, "")
			return
		}
		if c, err := r.Cookie(cookieSession); err == nil {
			if who, ok := p.sessions.Open(c.Value, p.o.Clock.Now()); ok {
				h(w, r, who)
				return
			}
		}
		l := web.LangOf(r)
		p.render(w, r, http.StatusOK, "signin.html", &view{Title: catalog.T(l, "sign_in"), Next: r.URL.RequestURI(), SessionHours: int(SessionTTL / time.Hour)})
	}
}

// next returns where to go after signing in: a page under /reports, or
// /reports itself.
func next(v string) string {
	u, err := url.Parse(v)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || strings.ContainsAny(v, "\\\r\n") || strings.HasPrefix(v, "//") ||
		path.Clean(u.Path) != u.Path || u.Path != "/reports" && !strings.HasPrefix(u.Path, "/reports/") || strings.HasPrefix(u.Path, "/reports/session") {
		return "/reports"
	}
	return v
}

// signIn starts a session for a token with the admin scope.
func (p *Page) signIn(w http.ResponseWriter, r *http.Request) {
	if code, key, args := web.ReadForm(w, r, 16<<10); code != 0 {
		plainError(w, r, code, key, args...)
		return
	}
	to := next(r.PostFormValue("next"))
	if p.o.Authorize == nil {
		http.Redirect(w, r, to, http.StatusSeeOther)
		return
	}
	tok := strings.TrimSpace(r.PostFormValue("token"))
	if tok == "" || !p.o.Authorize(tok, httpx.ScopeAdmin) {
		l := web.LangOf(r)
		p.render(w, r, http.StatusUnauthorized, "signin.html", &view{Title: catalog.T(l, "sign_in"), Error: catalog.T(l, "token_refused"),
			Next: to, SessionHours: int(SessionTTL / time.Hour)})
		return
	}
	who := "admin"
	if p.o.Identify != nil {
		if c, ok := p.o.Identify(tok); ok && c.Name != "" {
			who = c.Name
		}
	}
	web.SetCookie(w, r, cookieSession, p.sessions.Seal(who, p.o.Clock.Now().Add(SessionTTL)), "/reports", int(SessionTTL/time.Second))
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// signOut ends the session.
func (p *Page) signOut(w http.ResponseWriter, r *http.Request) {
	if err := web.SameOrigin(r); err != nil {
		plainError(w, r, http.StatusForbidden, "cross_site")
		return
	}
	web.SetCookie(w, r, cookieSession, "", "/reports", -1)
	http.Redirect(w, r, "/reports", http.StatusSeeOther)
}

// effectParam reads the difference to plan for, in percentage points, from
// ?effect=; ok is false for a value that is not one.
func effectParam(r *http.Request) (float64, string, bool) {
	v := strings.TrimSpace(r.URL.Query().Get("effect"))
	if v == "" {
		return DefaultEffect, strconv.FormatFloat(DefaultEffect, 'f', -1, 64), true
	}
	e, err := strconv.ParseFloat(strings.ReplaceAll(v, ",", "."), 64)
	if err != nil || !(e >= 0.1 && e <= 50) {
		return DefaultEffect, v, false
	}
	return e, v, true
}

// home shows a card for every measured flow.
func (p *Page) home(w http.ResponseWriter, r *http.Request, who string) {
	l := web.LangOf(r)
	v := &view{Title: catalog.T(l, "title"), Who: who, AsOf: stamp(l, p.o.Clock.Now())}
	effect, text, ok := effectParam(r)
	v.Effect = text
	code := http.StatusOK
	if !ok {
		v.Error, code = catalog.T(l, "effect_bad"), http.StatusBadRequest
	}
	for _, f := range p.o.Reports.Flows() {
		if !f.Measured() {
			v.Unmeasured = append(v.Unmeasured, f.Name)
			continue
		}
		rep, err := p.o.Reports.Report(r.Context(), f.Name, engine.ReportOptions{Effect: effect / 100})
		if errors.Is(err, engine.ErrNotFound) {
			continue // reloaded away meanwhile
		}
		if err != nil {
			httpx.Internal(p.o.Log, w, r, err, engine.ErrUnavailable)
			return
		}
		v.Cards = append(v.Cards, reportView(l, rep, f, effect))
	}
	p.render(w, r, code, "reports.html", v)
}

// flow shows one flow's card, of its current period or of ?period=.
func (p *Page) flow(w http.ResponseWriter, r *http.Request, who string) {
	l := web.LangOf(r)
	name := r.PathValue("flow")
	v := &view{Title: name, Who: who, AsOf: stamp(l, p.o.Clock.Now()), Single: true}
	effect, text, ok := effectParam(r)
	v.Effect = text
	code := http.StatusOK
	if !ok {
		v.Error, code = catalog.T(l, "effect_bad"), http.StatusBadRequest
	}
	var f *flows.Flow
	for _, g := range p.o.Reports.Flows() {
		if g.Name == name {
			f = g
		}
	}
	period := r.URL.Query().Get("period")
	v.Period = period
	rep, err := p.o.Reports.Report(r.Context(), name, engine.ReportOptions{Period: period, Effect: effect / 100})
	switch {
	case errors.Is(err, engine.ErrNotFound) && f == nil:
		v.Error = catalog.T(l, "not_found", name)
		p.render(w, r, http.StatusNotFound, "reports.html", v)
		return
	case errors.Is(err, engine.ErrNotFound):
		v.Error = catalog.T(l, "no_period", name, period)
		p.render(w, r, http.StatusNotFound, "reports.html", v)
		return
	case err != nil:
		httpx.Internal(p.o.Log, w, r, err, engine.ErrUnavailable)
		return
	}
	v.Cards = []*cardView{reportView(l, rep, f, effect)}
	p.render(w, r, code, "reports.html", v)
}
