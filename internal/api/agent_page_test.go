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

// setupWithAgentToken checks tokens: agent-token-0123456789 has the
// agent scope and names Ann, events-token-0123456789 has only events.
func setupWithAgentToken(t *testing.T) *env {
	tokens := map[string][]string{"agent-token-0123456789": {api.ScopeAgent}, "events-token-0123456789": {api.ScopeEvents}}
	e := setup(t, func(o *api.Options) {
		o.Authorize = func(tok, scope string) bool { return slices.Contains(tokens[tok], scope) }
		o.Identify = func(tok string) (httpx.Caller, bool) {
			_, ok := tokens[tok]
			return httpx.Caller{Name: "desk-ann", Agent: "Ann"}, ok
		}
	})
	return e
}

func TestAgentPageWithAuth(t *testing.T) {
	t.Parallel()
	e := setupWithAgentToken(t)
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

// dutch is what a Dutch browser sends.
const dutch = "nl-NL,nl;q=0.9,en;q=0.8"

func (p page) lacks(t *testing.T, what ...string) {
	t.Helper()
	for _, w := range what {
		if strings.Contains(p.body, w) {
			t.Errorf("page (%d) has %q", p.code, w)
		}
	}
}

func (p page) speaks(t *testing.T, lang string) {
	t.Helper()
	if !strings.Contains(p.body, `<html lang="`+lang+`">`) {
		t.Errorf("page (%d) is not marked lang=%q", p.code, lang)
	}
	if got := p.header.Get("Content-Language"); got != lang {
		t.Errorf("Content-Language %q, want %q", got, lang)
	}
	if !slices.Contains(p.header.Values("Vary"), "Accept-Language") {
		t.Errorf("Vary %q lacks Accept-Language", p.header.Values("Vary"))
	}
}

// The desk speaks Dutch to a browser that prefers it: every page, the
// outcomes, the dates, the notices and the problems. The journal's
// reasons stay as they were recorded.
func TestAgentPageInDutch(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.clock.Set(tuesday10)
	e.queueCallback("cb_1", "cus_1", "Europe/Amsterdam", tuesday10.Add(-90*60e9), 0)
	b := newBrowser(t, e)
	b.hdr.Set("Accept-Language", dutch)

	p := b.get("/agent")
	p.speaks(t, "nl")
	p.has(t, "<title>Inloggen · ahead agentendesk</title>", `<h1 id="signin-title">Inloggen op de agentendesk</h1>`,
		"Je naam staat bij elke claim en uitkomst op de tijdlijn van de klant.", `<label for="agent">Je naam</label>`,
		`<button type="submit" class="primary">Inloggen</button>`, "Naar de inhoud")
	p.lacks(t, "Sign in", "Your name")
	if p := b.post("/agent/session", "agent", ""); p.code != http.StatusBadRequest {
		t.Errorf("sign in without a name: %d", p.code)
	} else {
		p.speaks(t, "nl")
		p.has(t, "Je naam: vul je naam in")
	}
	if p := b.post("/agent/claim", "queue", "retention"); p.code != http.StatusUnauthorized {
		t.Errorf("claim without a session: %d", p.code)
	} else {
		p.has(t, "Log eerst in: je sessie is afgelopen.")
	}
	if p := b.post("/agent/session", "agent", "Bob"); p.code != http.StatusSeeOther {
		t.Fatalf("sign in: %d", p.code)
	}

	p = b.get("/agent")
	p.speaks(t, "nl")
	p.has(t, "<title>Wachtrijen · ahead agentendesk</title>", "Ingelogd als <strong>Bob</strong>", ">Uitloggen</button>",
		"<h1>Terugbelwachtrijen</h1>", "Pak het volgende terugbelverzoek op", `<label for="queue">Wachtrij</label>`,
		`<option value="retention">retention — 1 belbaar</option>`, "Volgende oppakken <kbd",
		`<th scope="col">Openingstijden</th>`, `<th scope="col" class="num">Belbaar</th>`,
		`<span class="pill open">open</span> <span class="sub">tot di 24 nov 17:00 CET</span>`, `<span class="nw">ma-vr 09:00-17:00</span>`,
		"Jouw openstaande terugbelverzoeken", "Geen. Pak er een op om te beginnen.",
		"<h2>Toetsenbord</h2>", "Sneltoetsen werken als je niet in een veld typt. <kbd>Tab</kbd> gaat in leesvolgorde door de pagina.",
		"pak het volgende terugbelverzoek op", "kies een uitkomst", "leg de uitkomst vast (ook vanuit de notitie)")
	p.lacks(t, "Callback queues", "callable", "Keyboard", "Sign out", "until Tue")

	if p := b.post("/agent/claim", "queue", "sales"); p.code != http.StatusBadRequest {
		t.Errorf("claim from an undefined queue: %d", p.code)
	} else {
		p.has(t, "Er is geen wachtrij &#34;sales&#34;.")
	}
	p = b.post("/agent/claim", "queue", "retention")
	if p.location != "/agent/callbacks/cb_1" {
		t.Fatalf("claim: %d → %s", p.code, p.location)
	}
	p = b.get(p.location)
	p.speaks(t, "nl")
	p.has(t, "<title>Anna de Vries · ahead agentendesk</title>", "<h1>Anna de Vries</h1>",
		"<span>wachtrij retention</span>", "<span>poging 1 van 3</span>", "<span>bij de klant di 10:00 CET</span>", "van jou tot 10:15",
		"Gesprekspunten", "Uit day2-reassurance-call / reassurance-call; bellen binnen ma-vr 09:00-17:00 (Europe/Amsterdam).",
		"<dt>Telefoon</dt>", "<dt>Tijdzone</dt><dd>Europe/Amsterdam, nu 10:00</dd>",
		"<h2 id=\"timeline-title\">Tijdlijn</h2>", "<time>24 nov 10:00</time> <strong>terugbellen: opgepakt</strong>",
		"claimed by Bob until 2026-11-24 10:15 CET", // the journal's reason, as recorded
		"Leg de uitkomst vast", "<legend>Uitkomst</legend>",
		"</kbd> Bereikt</label>", "</kbd> Geen gehoor</label>", "</kbd> Voicemail</label>", "</kbd> Later terugbellen</label>",
		"</kbd> Afgewezen</label>", "</kbd> Verkeerd nummer</label>",
		"Klant gesproken; het terugbelverzoek is klaar.", "Nieuwe poging over 2 uur, binnen de openingstijden.",
		"Belt terug op het tijdstip hieronder.", "Wil niet praten; het terugbelverzoek stopt.",
		"Markeert het telefoonnummer als verkeerd; het terugbelverzoek stopt.",
		`<label for="requested_at">Terugbellen om <span class="sub">(bij “Later terugbellen”; tijd bij de klant, Europe/Amsterdam)</span>`,
		`<label for="note">Notitie <span class="sub">(blijft bij het terugbelverzoek; de tijdlijn toont het begin)</span>`,
		"Uitkomst vastleggen <kbd", "<h2 id=\"cb-title\">Terugbelverzoek</h2>",
		"<dt>Wachtrij</dt><dd>retention (ma-vr 09:00-17:00, Europe/Amsterdam)</dd>",
		"<dt>Gepland</dt><dd>di 24 nov 08:30 CET</dd>", "<dt>Uiterlijk</dt><dd>vr 27 nov 08:30 CET</dd>",
		"<dt>Pogingen gedaan</dt><dd>0 van maximaal 3</dd>")
	p.lacks(t, "Talking points", "Record outcome", "No answer", "Wrong number", "Call back at", "customer's time", "call: claimed")

	// Problems with the form, in Dutch.
	p = b.post("/agent/callbacks/cb_1/outcome", "note", "Belt na de lunch")
	if p.code != http.StatusBadRequest {
		t.Fatalf("no outcome: %d", p.code)
	}
	p.has(t, "<p>Niet vastgelegd:</p>", "<li>Uitkomst: kies er een</li>", "Belt na de lunch")
	p = b.post("/agent/callbacks/cb_1/outcome", "outcome", "callback_requested")
	p.has(t, "<li>Terugbellen om: vul een tijd in bij “Later terugbellen”</li>")
	p = b.post("/agent/callbacks/cb_1/outcome", "outcome", "callback_requested", "requested_at", "morgen")
	p.has(t, "<li>Terugbellen om: vul een datum en tijd in, zoals 2026-11-25T14:30</li>")
	p = b.post("/agent/callbacks/cb_1/outcome", "outcome", "callback_requested", "requested_at", "2026-11-24T18:00")
	p.has(t, "<li>Terugbellen om: wachtrij retention is dan gesloten (open ma-vr 09:00-17:00); hij opent weer wo 25 nov 09:00 CET</li>")
	p = b.post("/agent/callbacks/cb_1/outcome", "outcome", "reached", "requested_at", "2026-11-25T10:00")
	p.has(t, "<li>Terugbellen om: alleen bij “Later terugbellen”</li>")

	// Another agent reads who holds it.
	other := newBrowser(t, e)
	other.hdr.Set("Accept-Language", "nl-BE")
	other.post("/agent/session", "agent", "Cleo")
	p = other.get("/agent/callbacks/cb_1")
	p.has(t, `<span class="pill claimed">opgepakt door Bob</span>`, "Niet aan jou om vast te leggen",
		"Bob heeft dit terugbelverzoek tot di 24 nov 10:15 CET.", "Volgende oppakken uit retention <kbd", "Alle wachtrijen")
	if p := other.post("/agent/callbacks/cb_1/outcome", "outcome", "reached"); p.code != http.StatusConflict {
		t.Errorf("outcome by another agent: %d", p.code)
	} else {
		p.has(t, "Niet vastgelegd: terugbelverzoek cb_1 is opgepakt door Bob.")
	}

	p = b.post("/agent/callbacks/cb_1/outcome", "outcome", "reached", "note", "Blij met het plan.")
	if p.code != http.StatusSeeOther {
		t.Fatalf("record: %d", p.code)
	}
	p = b.get(p.location)
	p.has(t, "Vastgelegd: Bereikt.", "<strong>terugbellen: bereikt</strong>", "reached by Bob, attempt 1 of 3; note: Blij met het plan.",
		"Dit terugbelverzoek is afgerond", `<span class="pill done">afgerond: bereikt</span>`, "Afgerond op di 24 nov 10:00 CET (bereikt).",
		"<span>1 van 3 pogingen gedaan</span>", "<dt>Laatste uitkomst</dt><dd>Bereikt</dd>", "<dt>Laatste notitie</dt><dd>Blij met het plan.</dd>")
	if p := b.post("/agent/callbacks/cb_1/outcome", "outcome", "reached"); p.code != http.StatusConflict {
		t.Errorf("second outcome: %d", p.code)
	} else {
		p.has(t, "Niet vastgelegd: terugbelverzoek cb_1 is al afgerond (bereikt).")
	}
	if p := b.get("/agent/callbacks/nope"); p.code != http.StatusNotFound {
		t.Errorf("unknown callback: %d", p.code)
	} else {
		p.has(t, "Er is geen terugbelverzoek nope: misschien is het gewist.")
	}
	b.get("/agent?empty=1&queue=retention").has(t, "Geen terugbelverzoek in retention is nu belbaar.")

	// After hours the queue is closed until the next morning.
	e.clock.Set(tuesday10.Add(8 * time.Hour))
	p = b.get("/agent?empty=1&queue=retention")
	p.has(t, "Geen terugbelverzoek in retention is nu belbaar. De wachtrij is gesloten; hij opent wo 25 nov 09:00 CET.",
		`<option value="retention" selected>retention — 0 belbaar, gesloten</option>`,
		`<span class="pill closed">gesloten</span> <span class="sub">opent wo 25 nov 09:00 CET</span>`)

	b.hdr.Set("Sec-Fetch-Site", "cross-site")
	if p := b.post("/agent/claim", "queue", "retention"); p.code != http.StatusForbidden {
		t.Errorf("cross-site claim: %d", p.code)
	} else if !strings.Contains(p.body, "formulieren van andere sites worden niet aangenomen") {
		t.Errorf("cross-site claim: %q", p.body)
	}
	b.hdr.Del("Sec-Fetch-Site")

	// A French browser gets English; so does one that says nothing.
	for _, al := range []string{"fr-FR,fr;q=0.9", ""} {
		b.hdr.Set("Accept-Language", al)
		p = b.get("/agent")
		p.speaks(t, "en")
		p.has(t, "<h1>Callback queues</h1>", "Signed in as <strong>Bob</strong>", "opens Wed 25 Nov 09:00 CET", "mon-fri 09:00-17:00")
		p.lacks(t, "Terugbelwachtrijen", "belbaar")
	}
}

// The sign-in with a token speaks Dutch too.
func TestAgentSignInInDutch(t *testing.T) {
	t.Parallel()
	e := setupWithAgentToken(t)
	b := newBrowser(t, e)
	b.hdr.Set("Accept-Language", "nl")
	p := b.get("/agent")
	p.speaks(t, "nl")
	p.has(t, `<label for="token">Agenttoken</label>`,
		`Je eigen bearer-token met de scope <code>agent</code>, uit <code>api.tokens</code>. Het zegt wie je bent; de browser bewaart alleen een ondertekende sessie, 12 uur lang.`)
	if p := b.post("/agent/session", "token", "events-token-0123456789"); p.code != http.StatusUnauthorized {
		t.Errorf("sign in with a token without the agent scope: %d", p.code)
	} else {
		p.has(t, "Dat token is onbekend of heeft de scope agent niet.")
	}
}
