package api_test

import (
	"encoding/base64"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aheadhq/ahead/internal/api"
	"github.com/aheadhq/ahead/internal/httpx"
)

// browser is an HTTP client with cookies that does not follow redirects.
type browser struct {
	t   *testing.T
	e   *env
	c   *http.Client
	hdr http.Header
}

func newBrowser(t *testing.T, e *env) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, e: e, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}, hdr: http.Header{}}
}

// page is an answer to the browser.
type page struct {
	code     int
	location string
	body     string
	header   http.Header
}

func (b *browser) do(method, path string, form url.Values) page {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.e.url+path, body)
	if err != nil {
		b.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range b.hdr {
		req.Header[k] = v
	}
	res, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return page{code: res.StatusCode, location: res.Header.Get("Location"), body: string(raw), header: res.Header}
}

func (b *browser) get(path string) page { return b.do("GET", path, nil) }

func (b *browser) post(path string, kv ...string) page {
	form := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		form.Add(kv[i], kv[i+1])
	}
	return b.do("POST", path, form)
}

func (p page) has(t *testing.T, what ...string) {
	t.Helper()
	for _, w := range what {
		if !strings.Contains(p.body, w) {
			t.Errorf("page (%d) lacks %q", p.code, w)
		}
	}
}

func TestAgentPageWithAuth(t *testing.T) {
	t.Parallel()
	tokens := map[string][]string{"agent-token-0123456789": {api.ScopeAgent}, "events-token-0123456789": {api.ScopeEvents}}
	e := setup(t, func(o *api.Options) {
		o.Authorize = func(tok, scope string) bool { return slices.Contains(tokens[tok], scope) }
		o.Identify = func(tok string) (httpx.Caller, bool) {
			_, ok := tokens[tok]
			return httpx.Caller{Name: "desk-ann", Agent: "Ann"}, ok
		}
	})
	e.clock.Set(tuesday10)
	e.queueCallback("cb_1", "cus_1", "Europe/Amsterdam", tuesday10.Add(-90*60e9), 0)
	b := newBrowser(t, e)

	p := b.get("/agent")
	if p.code != http.StatusOK {
		t.Fatalf("GET /agent: %d", p.code)
	}
	p.has(t, `<label for="token">Agent token</label>`, `action="/agent/session"`)
	if strings.Contains(p.body, `<label for="agent">Your name</label>`) {
		t.Error("the sign-in asks for a name while the token says who the agent is")
	}
	if csp := p.header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
		t.Errorf("CSP %q", csp)
	}
	if p := b.get("/agent/callbacks/cb_1"); p.code != http.StatusSeeOther || p.location != "/agent" {
		t.Errorf("a callback page without a session: %d → %s", p.code, p.location)
	}
	if p := b.post("/agent/claim", "queue", "retention"); p.code != http.StatusUnauthorized {
		t.Errorf("claim without a session: %d", p.code)
	}
	if p := b.post("/agent/session", "token", "events-token-0123456789"); p.code != http.StatusUnauthorized {
		t.Errorf("sign in with a token without the agent scope: %d", p.code)
	} else {
		p.has(t, "That token is unknown or lacks the agent scope.")
	}
	// A name typed beside the token is not taken: the token says who it is.
	p = b.post("/agent/session", "agent", "Alice", "token", "agent-token-0123456789")
	if p.code != http.StatusSeeOther || p.location != "/agent" {
		t.Fatalf("sign in: %d → %s", p.code, p.location)
	}
	cookies := p.header.Values("Set-Cookie")
	for _, c := range cookies {
		if !strings.Contains(c, "HttpOnly") || !strings.Contains(c, "SameSite=Strict") || !strings.Contains(c, "Path=/agent") {
			t.Errorf("cookie %s", c)
		}
	}
	if len(cookies) != 1 || strings.Contains(cookies[0], "agent-token-0123456789") {
		t.Errorf("cookies %v, want one session cookie without the token", cookies)
	}

	p = b.get("/agent")
	p.has(t, "Signed in as <strong>Ann</strong>", `<option value="retention">retention — 1 callable</option>`, "mon-fri 09:00-17:00", "until Tue 24 Nov 17:00 CET")

	// Another site cannot post the forms.
	b.hdr.Set("Sec-Fetch-Site", "cross-site")
	if p := b.post("/agent/claim", "queue", "retention"); p.code != http.StatusForbidden {
		t.Errorf("cross-site claim: %d", p.code)
	}
	b.hdr.Del("Sec-Fetch-Site")

	p = b.post("/agent/claim", "queue", "retention")
	if p.code != http.StatusSeeOther || p.location != "/agent/callbacks/cb_1" {
		t.Fatalf("claim: %d → %s", p.code, p.location)
	}
	p = b.get(p.location)
	p.has(t, "<h1>Anna de Vries</h1>", `href="tel:&#43;31612345678"`, "Ask how the first days went.", "yours until 10:15",
		`id="o-reached"`, `id="o-callback_requested"`, "call 1 of 3", "Tries again in 2h, within opening hours.",
		`<label for="note">Note`, "call: claimed", "claimed by Ann until 2026-11-24 10:15 CET")

	// A problem keeps what the agent wrote.
	p = b.post("/agent/callbacks/cb_1/outcome", "outcome", "callback_requested", "note", "Wants a call after lunch")
	if p.code != http.StatusBadRequest {
		t.Fatalf("callback_requested without a time: %d", p.code)
	}
	p.has(t, "Call back at: required with callback_requested", "Wants a call after lunch", `value="callback_requested" data-key="4" required checked`)

	p = b.post("/agent/callbacks/cb_1/outcome", "outcome", "reached", "note", "Happy with the plan.")
	if p.code != http.StatusSeeOther || p.location != "/agent/callbacks/cb_1?recorded=reached" {
		t.Fatalf("record: %d → %s", p.code, p.location)
	}
	p = b.get(p.location)
	p.has(t, "Recorded: Reached.", "call: reached", "reached by Ann, attempt 1 of 3; note: Happy with the plan.", "This callback has ended", "Claim next from retention")
	if strings.Contains(p.body, `id="outcome"`) {
		t.Error("the outcome form is still shown after the callback ended")
	}
	if p := b.post("/agent/callbacks/cb_1/outcome", "outcome", "reached"); p.code != http.StatusConflict {
		t.Errorf("second outcome: %d", p.code)
	} else {
		p.has(t, "Not recorded: callback cb_1 has ended (reached).")
	}
	if p := b.post("/agent/claim", "queue", "retention"); p.code != http.StatusSeeOther || p.location != "/agent?empty=1&queue=retention" {
		t.Errorf("claim from an empty queue: %d → %s", p.code, p.location)
	}
	b.get("/agent?empty=1&queue=retention").has(t, "No callback in retention is callable now.")

	if p := b.post("/agent/session/end"); p.code != http.StatusSeeOther {
		t.Errorf("sign out: %d", p.code)
	}
	b.get("/agent").has(t, `<label for="token">Agent token</label>`)
}

func TestAgentPageWithoutAuth(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.clock.Set(tuesday10)
	e.queueCallback("cb_1", "cus_1", "Europe/Amsterdam", tuesday10.Add(-90*60e9), 0)
	b := newBrowser(t, e)
	p := b.get("/agent")
	p.has(t, `<label for="agent">Your name</label>`)
	if strings.Contains(p.body, "Agent token") {
		t.Error("the sign-in asks for a token while the server checks none")
	}
	if p := b.post("/agent/session", "agent", ""); p.code != http.StatusBadRequest {
		t.Errorf("sign in without a name: %d", p.code)
	}
	if p := b.post("/agent/session", "agent", "Bob"); p.code != http.StatusSeeOther {
		t.Fatalf("sign in: %d", p.code)
	}
	if p := b.post("/agent/claim", "queue", "sales"); p.code != http.StatusBadRequest {
		t.Errorf("claim from an undefined queue: %d", p.code)
	}
	if p := b.post("/agent/claim", "queue", "retention"); p.location != "/agent/callbacks/cb_1" {
		t.Fatalf("claim: %d → %s", p.code, p.location)
	}
	// Another agent sees the callback, not the form.
	other := newBrowser(t, e)
	other.post("/agent/session", "agent", "Cleo")
	p = other.get("/agent/callbacks/cb_1")
	p.has(t, "claimed by Bob", "Not yours to record", `<dt>Phone</dt><dd><a href="tel:&#43;31612345678">`)
	if strings.Contains(p.body, "ZgotmplZ") {
		t.Error("a link on the callback page was refused by the template: #ZgotmplZ")
	}
	if strings.Contains(p.body, `id="outcome"`) {
		t.Error("another agent gets the outcome form")
	}
	if p := other.post("/agent/callbacks/cb_1/outcome", "outcome", "reached"); p.code != http.StatusConflict {
		t.Errorf("outcome by another agent: %d", p.code)
	} else {
		p.has(t, "Not recorded: callback cb_1 is held by Bob.")
	}
	// A call back at a local time of the customer.
	p = b.post("/agent/callbacks/cb_1/outcome", "outcome", "callback_requested", "requested_at", "2026-11-25T14:30")
	if p.code != http.StatusSeeOther {
		t.Fatalf("callback_requested: %d %s", p.code, p.body)
	}
	cb, err := e.store.FindCallback(t.Context(), "cb_1")
	if err != nil || cb.Due.In(amsterdam).Format("2006-01-02 15:04") != "2026-11-25 14:30" {
		t.Errorf("due %v, %v", cb.Due, err)
	}
	if p := b.get("/agent/callbacks/nope"); p.code != http.StatusNotFound {
		t.Errorf("unknown callback: %d", p.code)
	}
	for _, f := range []string{"agent.css", "agent.js"} {
		if p := b.get("/agent/static/" + f); p.code != http.StatusOK || len(p.body) < 100 {
			t.Errorf("%s: %d", f, p.code)
		}
	}
	if p := b.get("/agent/static/common.html"); p.code != http.StatusNotFound {
		t.Errorf("a template is served: %d", p.code)
	}
}

// A desk session cannot be forged or stretched: a cookie changed to name
// another agent, or made with another key, or past its end, signs nobody in.
func TestAgentSessionCannotBeForged(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.clock.Set(tuesday10)
	b := newBrowser(t, e)
	p := b.post("/agent/session", "agent", "Bob")
	if p.code != http.StatusSeeOther {
		t.Fatalf("sign in: %d", p.code)
	}
	var session *http.Cookie
	for _, c := range (&http.Response{Header: p.header}).Cookies() {
		if c.Name == "ahead_session" {
			session = c
		}
	}
	if session == nil || strings.Contains(session.Value, "Bob") {
		t.Fatalf("session cookie %v, want one that does not spell the name", session)
	}
	body, sig, _ := strings.Cut(session.Value, ".")
	alice := base64.RawURLEncoding.EncodeToString([]byte("Alice"))
	for name, value := range map[string]string{
		"another name, same signature": alice + "." + strings.SplitN(session.Value, ".", 2)[1],
		"no signature":                 body + "." + strings.SplitN(sig, ".", 2)[0],
		"plain name":                   "Alice",
	} {
		other := newBrowser(t, e)
		u, _ := url.Parse(e.url + "/agent")
		other.c.Jar.SetCookies(u, []*http.Cookie{{Name: "ahead_session", Value: value, Path: "/agent"}})
		if p := other.get("/agent"); !strings.Contains(p.body, "Sign in") || strings.Contains(p.body, "Signed in as") {
			t.Errorf("%s: signed in with a forged session", name)
		}
	}
	if p := b.get("/agent"); !strings.Contains(p.body, "Signed in as <strong>Bob</strong>") {
		t.Fatalf("the real session does not work: %s", p.body)
	}
	e.clock.Advance(13 * time.Hour)
	if p := b.get("/agent"); strings.Contains(p.body, "Signed in as") {
		t.Error("the session still works 13 hours after sign-in")
	}
}
