package api_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aheadhq/ahead/engine"
	"github.com/aheadhq/ahead/flows"
	"github.com/aheadhq/ahead/internal/api"
	"github.com/aheadhq/ahead/internal/httpx"
	"github.com/aheadhq/ahead/internal/synthetic"
	"github.com/aheadhq/ahead/internal/web"
)

// measuredFlow is the classic whose report the page tests read.
const measuredFlow = "day2-reassurance-call"

// fillReport enters n synthetic subscribers (internal/synthetic) in
// measuredFlow, with inbound contacts at 25% in its holdout and 10% when
// contacted, and moves the clock 16 days on so that their goal windows
// close. Then k more enter, whose windows are open, every 5th of them
// with a contact at once. It returns the flow's report as the JSON API
// answers it.
func fillReport(t *testing.T, e *env, token string, n, k int) *engine.Report {
	t.Helper()
	cat, err := catalog()
	if err != nil {
		t.Fatal(err)
	}
	post := func(evs []*flows.Event) {
		for i := 0; i < len(evs); i += api.MaxBatch {
			body, _ := json.Marshal(evs[i:min(i+api.MaxBatch, len(evs))])
			if r := e.do("POST", "/v1/events", token, string(body)); r.code != http.StatusAccepted {
				t.Fatalf("post events: %s", r)
			}
		}
	}
	start := e.clock.Now()
	sample := synthetic.Draw(cat.Flows.Get(measuredFlow), start, synthetic.Options{Entrants: n})
	post(sample.Triggers)
	e.clock.Set(start.Add(14 * 24 * time.Hour))
	post(sample.Goals)
	e.clock.Set(start.Add(16 * 24 * time.Hour))
	var subs, contacts []*flows.Event
	for i := range k {
		cus := fmt.Sprintf("cus_open_%03d", i)
		subs = append(subs, &flows.Event{ID: "sub_" + cus, Type: "subscription.created", CustomerID: cus, OccurredAt: e.clock.Now()})
		if i%5 == 0 {
			contacts = append(contacts, &flows.Event{ID: "in_" + cus, Type: "contact.inbound", CustomerID: cus, OccurredAt: e.clock.Now()})
		}
	}
	post(subs)
	post(contacts)
	r := e.do("GET", "/v1/reports/flows/"+measuredFlow+"?effect=0.02", token, "")
	if r.code != http.StatusOK {
		t.Fatalf("report: %s", r)
	}
	var rep engine.Report
	r.json(t, &rep)
	if rep.Closed.Treat.N+rep.Closed.Control.N != n || rep.Open.Treat.N+rep.Open.Control.N != k {
		t.Fatalf("report counts %d closed and %d open entrants, want %d and %d", rep.Closed.Treat.N+rep.Closed.Control.N, rep.Open.Treat.N+rep.Open.Control.N, n, k)
	}
	return &rep
}

// thousands writes n with a comma between thousands.
func thousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// The report page renders a card per measured flow from the engine's
// report: both arms, the interval as a bar around zero, the verdict in
// words, the always-valid verdict, the power figures and the open runs.
func TestReportPage(t *testing.T) {
	t.Parallel()
	e := setup(t)
	rep := fillReport(t, e, "", 3000, 40)
	b := newBrowser(t, e)
	p := b.get("/reports")
	if p.code != http.StatusOK {
		t.Fatalf("GET /reports: %d %s", p.code, p.body)
	}
	c := rep.Closed
	av := c.Avoided
	if av == nil || c.Seq == nil || c.MDE == nil || c.Needed == nil || c.SRM == nil {
		t.Fatalf("the report lacks figures: %+v", c)
	}
	// The numbers the page must show, written as people read them.
	// Word joiners keep an interval on one line.
	ci := func(lo, hi float64) string { return fmt.Sprintf("%.0f\u2060–\u2060%.0f", lo, hi) }
	rate := func(r *float64) string { return fmt.Sprintf("%.1f%%", *r*100) }
	minus := func(x float64) string { return strings.Replace(fmt.Sprintf("%.1f", x), "-", "−", 1) }
	verdict := fmt.Sprintf("%s avoided %.0f inbound contacts per 1,000 entrants, 95%% CI %s.", measuredFlow, av.Est, ci(av.Lo, av.Hi))
	p.has(t,
		"<h1>Flow reports</h1>",
		`id="flow-`+measuredFlow+`"`,
		"<p class=\"verdict\">"+verdict+"</p>",
		"<th scope=\"row\">Contacted</th><td class=\"num\">"+thousands(c.Treat.N)+"</td><td class=\"num\">"+thousands(c.Treat.Hits)+"</td><td class=\"num\">"+rate(c.Treat.Rate)+"</td>",
		"<th scope=\"row\">Holdout</th><td class=\"num\">"+thousands(c.Control.N)+"</td><td class=\"num\">"+thousands(c.Control.Hits)+"</td><td class=\"num\">"+rate(c.Control.Rate)+"</td>",
		fmt.Sprintf("<dt>Difference (contacted − holdout)</dt><dd>%s points (95%% CI %s to %s)</dd>", minus(c.Diff.Est*100), minus(c.Diff.Lo*100), minus(c.Diff.Hi*100)),
		fmt.Sprintf("<dt>Avoided per 1,000 entrants</dt><dd>%.0f (95%% CI %s)</dd>", av.Est, ci(av.Lo, av.Hi)),
		fmt.Sprintf("%s to %s points: below zero", minus(c.Seq.Lo*100), minus(c.Seq.Hi*100)),
		fmt.Sprintf("The always-valid interval, which may be checked every day, is %s per 1,000 entrants: the flow reduces inbound contacts.", ci(-c.Seq.Hi*1000, -c.Seq.Lo*1000)),
		fmt.Sprintf("<dt>Detectable now (power 80%%)</dt><dd>%.1f points</dd>", *c.MDE*100),
		fmt.Sprintf("<dt>Still needed for 2 points</dt><dd>%s more entrants (%s contacted, %s held out)</dd>", thousands(c.Needed.Total), thousands(c.Needed.Treat), thousands(c.Needed.Control)),
		fmt.Sprintf("%.2f%% held out, configured 10%% (chi² ", c.SRM.Observed*100), "): as expected</dd>",
		`<span class="pill good">fewer inbound contacts</span>`,
		"a contact.inbound event or an SMS or WhatsApp message from the customer within 14 days of the trigger",
		"10% of entrants get no contact",
		"Runs whose goal window has closed", "Runs whose goal window is still open",
		"All their windows close by "+rep.Open.WindowsCloseBy.UTC().Format("2 Jan 2006")+".",
		`<svg class="ci-bar" role="img" aria-label="95% interval: `,
		"; entirely below zero.",
		"Difference in goal rate, contacted − holdout, in percentage points.",
		"since "+rep.Period.Since.UTC().Format("2 Jan 2006"),
		`<a href="#flow-`+measuredFlow+`">`,
	)
	if c.SRM.Alert || strings.Contains(p.body, "Sample-ratio mismatch") {
		t.Errorf("a sample-ratio warning without a mismatch")
	}
	if strings.Contains(p.body, "<script") || strings.Contains(p.body, "ZgotmplZ") {
		t.Error("the page has a script, or a value the template refused")
	}
	if csp := p.header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") || !strings.Contains(csp, "script-src 'none'") {
		t.Errorf("CSP %q", csp)
	}
	// Without tokens checked, the page is open and has no sign-out.
	if strings.Contains(p.body, "Sign out") {
		t.Error("a sign-out without sign-in")
	}

	// One flow alone, and another difference to plan for.
	p = b.get("/reports/flows/" + measuredFlow + "?effect=5")
	if p.code != http.StatusOK {
		t.Fatalf("the flow's page: %d", p.code)
	}
	p.has(t, "<title>"+measuredFlow+" · ahead reports</title>", `<a href="/reports">← All flows</a>`, verdict, "<dt>Still needed for 5 points</dt>", `value="5"`)
	if strings.Contains(p.body, `id="flow-day4-first-invoice"`) {
		t.Error("the flow's page shows another flow")
	}
	if p := b.get("/reports?effect=two"); p.code != http.StatusBadRequest || !strings.Contains(p.body, "want a number of percentage points") {
		t.Errorf("a bad effect: %d", p.code)
	}
	for path, want := range map[string]int{
		"/reports/flows/nope":                            http.StatusNotFound,
		"/reports/flows/" + measuredFlow + "?period=abc": http.StatusNotFound,
		"/reports/static/reports.css":                    http.StatusOK,
		"/reports/static/base.css":                       http.StatusOK,
		"/reports/static/favicon.svg":                    http.StatusOK,
		"/reports/static/reports.html":                   http.StatusNotFound,
		"/reports/":                                      http.StatusMovedPermanently,
	} {
		if p := b.get(path); p.code != want {
			t.Errorf("GET %s: %d, want %d", path, p.code, want)
		}
	}

	// In Dutch.
	b.hdr.Set("Accept-Language", "nl-NL,nl;q=0.9")
	p = b.get("/reports")
	nl := strings.NewReplacer(".", ",")
	p.has(t, `<html lang="nl">`, "<h1>Flowrapporten</h1>",
		fmt.Sprintf("%s voorkwam %.0f inkomende contacten per 1.000 instromers, 95%%-BI %s.", measuredFlow, av.Est, ci(av.Lo, av.Hi)),
		"<th scope=\"row\">Benaderd</th><td class=\"num\">"+strings.ReplaceAll(thousands(c.Treat.N), ",", ".")+"</td>",
		nl.Replace(rate(c.Treat.Rate)), "minder inkomende contacten")
	if got := p.header.Get("Content-Language"); got != "nl" {
		t.Errorf("Content-Language %q", got)
	}
}

// A flow with no entrants, one with a holdout but no goal, and the flows
// that measure nothing.
func TestReportPageEmpty(t *testing.T) {
	t.Parallel()
	e := setup(t)
	p := newBrowser(t, e).get("/reports")
	p.has(t, "No entrants yet in this period.", `<span class="pill none">too little data</span>`)
	cat, _ := catalog()
	for _, f := range cat.Flows.Flows() {
		if !f.Measured() {
			p.has(t, "<code>"+f.Name+"</code>")
		}
	}
}

// When the server checks tokens, the page asks for an admin token and
// keeps a signed session that only /reports gets; agent tokens, forged,
// borrowed and expired sessions get the sign-in form.
func TestReportPageAuth(t *testing.T) {
	t.Parallel()
	const admin, agent = "admin-token-0123456789", "agent-token-0123456789"
	tokens := map[string][]string{admin: {api.ScopeAdmin}, agent: {api.ScopeAgent}}
	e := setup(t, func(o *api.Options) {
		o.Authorize = func(tok, scope string) bool {
			return slices.Contains(tokens[tok], scope) || slices.Contains(tokens[tok], api.ScopeAdmin)
		}
		o.Identify = func(tok string) (httpx.Caller, bool) {
			names := map[string]string{admin: "ops-admin", agent: "desk-ann"}
			return httpx.Caller{Name: names[tok], Agent: "Ann"}, names[tok] != ""
		}
	})
	fillReport(t, e, admin, 200, 0)
	b := newBrowser(t, e)
	signInForm := `<label for="token">Admin token</label>`
	card := `id="flow-` + measuredFlow + `"`

	p := b.get("/reports")
	p.has(t, signInForm, `action="/reports/session"`, `name="next" value="/reports"`)
	if strings.Contains(p.body, card) {
		t.Fatal("the page shows a report without a session")
	}
	// A flow's page leads back to itself after sign-in.
	b.get("/reports/flows/"+measuredFlow+"?effect=5").has(t, signInForm, `name="next" value="/reports/flows/`+measuredFlow+`?effect=5"`)

	if p := b.post("/reports/session", "token", agent); p.code != http.StatusUnauthorized {
		t.Errorf("sign in with an agent token: %d", p.code)
	} else {
		p.has(t, "That token is unknown or lacks the admin scope.")
		if len(p.header.Values("Set-Cookie")) > 0 {
			t.Error("an agent token got a session")
		}
	}
	if p := b.post("/reports/session", "token", "nope"); p.code != http.StatusUnauthorized {
		t.Errorf("sign in with an unknown token: %d", p.code)
	}
	b.hdr.Set("Sec-Fetch-Site", "cross-site")
	if p := b.post("/reports/session", "token", admin); p.code != http.StatusForbidden {
		t.Errorf("cross-site sign-in: %d", p.code)
	}
	b.hdr.Del("Sec-Fetch-Site")

	p = b.post("/reports/session", "token", admin, "next", "/reports/flows/"+measuredFlow)
	if p.code != http.StatusSeeOther || p.location != "/reports/flows/"+measuredFlow {
		t.Fatalf("sign in: %d → %s", p.code, p.location)
	}
	cookies := p.header.Values("Set-Cookie")
	if len(cookies) != 1 || strings.Contains(cookies[0], admin) {
		t.Fatalf("cookies %v, want one session cookie without the token", cookies)
	}
	for _, want := range []string{"ahead_reports=", "Path=/reports", "HttpOnly", "SameSite=Strict", "Max-Age=28800"} {
		if !strings.Contains(cookies[0], want) {
			t.Errorf("cookie %s lacks %s", cookies[0], want)
		}
	}
	p = b.get("/reports")
	p.has(t, card, "Signed in as <strong>ops-admin</strong>", `action="/reports/session/end"`)
	if strings.Contains(p.body, signInForm) {
		t.Error("the sign-in form after signing in")
	}
	// The desk does not get the reports' session.
	if p := b.get("/agent"); strings.Contains(p.body, "Signed in as") {
		t.Error("the reports session signs in at the desk")
	}

	// Only a safe place under /reports is followed after sign-in.
	for _, bad := range []string{"//evil.example/reports", "https://evil.example/reports", "/agent", "/reports/session/end", `/\evil.example`, "/reportsx", "/reports/../agent", "/reports/%2e%2e/agent"} {
		if p := b.post("/reports/session", "token", admin, "next", bad); p.location != "/reports" {
			t.Errorf("next %q: → %s", bad, p.location)
		}
	}

	// Forged, borrowed and expired sessions sign nobody in.
	sealed := func(key []byte, purpose string, end time.Time) string {
		return web.NewSessions(key, purpose).Seal("ops-admin", end)
	}
	end := e.clock.Now().Add(time.Hour)
	for name, value := range map[string]string{
		"another key":          sealed([]byte("another-signing-key-0123456789"), "reports", end),
		"a desk session":       sealed(signingKey, "desk", end),
		"ended":                sealed(signingKey, "reports", e.clock.Now().Add(-time.Second)),
		"longer, resigned not": strings.Replace(sealed(signingKey, "reports", end), fmt.Sprint(end.Unix()), fmt.Sprint(end.Add(48*time.Hour).Unix()), 1),
		"garbage":              "x.y.z",
	} {
		req, _ := http.NewRequest("GET", e.url+"/reports", nil)
		req.AddCookie(&http.Cookie{Name: "ahead_reports", Value: value})
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if !strings.Contains(string(body), signInForm) || strings.Contains(string(body), card) {
			t.Errorf("%s: the page opens", name)
		}
	}
	// A real session lasts eight hours.
	e.clock.Advance(8*time.Hour + time.Second)
	b.get("/reports").has(t, signInForm)
	e.clock.Advance(-8*time.Hour - time.Second)

	if p := b.post("/reports/session/end"); p.code != http.StatusSeeOther {
		t.Errorf("sign out: %d", p.code)
	}
	b.get("/reports").has(t, signInForm)
	// The JSON report still takes bearer tokens, as before.
	if r := e.do("GET", "/v1/reports/flows/"+measuredFlow, agent, ""); r.code != http.StatusForbidden {
		t.Errorf("the JSON report with an agent token: %s", r)
	}
}
