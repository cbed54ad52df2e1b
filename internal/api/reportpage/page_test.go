package reportpage

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aheadhq/ahead/engine"
	"github.com/aheadhq/ahead/flows"
	"github.com/aheadhq/ahead/internal/clock"
	"github.com/aheadhq/ahead/internal/web"
	"github.com/aheadhq/ahead/stats"
)

// fakeReports answers reports made up for a test.
type fakeReports struct {
	set     *flows.Set
	reports map[string]*engine.Report
}

func (f *fakeReports) Flows() []*flows.Flow { return f.set.Flows() }

func (f *fakeReports) Report(_ context.Context, name string, o engine.ReportOptions) (*engine.Report, error) {
	r, ok := f.reports[name+"@"+o.Period]
	if !ok {
		return nil, engine.ErrNotFound
	}
	return r, nil
}

const testFlows = `flow: srm-call
description: A call whose holdout is off.
trigger: { event: subscription.created }
holdout: 10%
goal: { event: contact.inbound, within: 14d }
steps: [{ id: call, channel: outbox, template: note }]
---
flow: counted-mail
trigger: { event: order.shipped }
holdout: 10%
goal: { event: contact.inbound, within: 7d, count: true, same_subject: true, if: 'event.data.reason != "praise"' }
steps: [{ id: mail, channel: outbox, template: note }]
---
flow: noisy-sms
trigger: { event: order.late }
holdout: 10%
goal: { event: contact.inbound, within: 36h, include: [callback_requested] }
steps: [{ id: sms, channel: outbox, template: note }]
---
flow: plain-news
trigger: { event: news.published }
steps: [{ id: mail, channel: outbox, template: note }]
`

var asOf = time.Date(2030, 3, 20, 9, 0, 0, 0, time.UTC)

// part compares made-up arms as the engine does.
func part(t, c stats.Arm, share float64) engine.ReportPart {
	p := engine.ReportPart{Result: stats.Compare(t, c, stats.Opts{Share: share, Effect: DefaultEffect / 100})}
	if p.Diff != nil {
		total := p.Diff.Scale(-float64(t.N))
		p.ContactsAvoided = &total
	}
	return p
}

func testPage(t *testing.T) *Page {
	t.Helper()
	set, err := flows.Parse("flows.yaml", []byte(testFlows), nil)
	if err != nil {
		t.Fatal(err)
	}
	since := time.Date(2030, 3, 1, 8, 0, 0, 0, time.UTC)
	before := time.Date(2030, 1, 6, 8, 0, 0, 0, time.UTC)
	srm := set.Get("srm-call")
	counted := set.Get("counted-mail")
	countArms := [2]stats.Arm{{N: 4000, Hits: 600, Sum: 700, SumSq: 900}, {N: 450, Hits: 110, Sum: 160, SumSq: 260}}
	r := &fakeReports{set: set, reports: map[string]*engine.Report{
		"srm-call@": {
			Flow: "srm-call", Description: "A call whose holdout is off.", Goal: srm.Goal.Spec(), Unit: "inbound contacts", Holdout: 0.10,
			Period:  engine.ReportPeriod{ID: srm.Period(), Current: true, Holdout: 0.10, Salt: "srm-call", Goal: srm.Goal.Spec(), Since: &since},
			Earlier: []engine.ReportPeriod{{ID: "0ld5a1t00001", Holdout: 0.05, Salt: "srm-call", Goal: srm.Goal.Spec(), Since: &before}},
			AsOf:    asOf, Closed: part(stats.Arm{N: 9000, Hits: 900}, stats.Arm{N: 1500, Hits: 375}, 0.10),
		},
		"srm-call@0ld5a1t00001": {
			Flow: "srm-call", Goal: srm.Goal.Spec(), Unit: "inbound contacts", Holdout: 0.05,
			Period:  engine.ReportPeriod{ID: "0ld5a1t00001", Holdout: 0.05, Salt: "srm-call", Goal: srm.Goal.Spec(), Since: &before},
			Earlier: []engine.ReportPeriod{{ID: srm.Period(), Current: true, Holdout: 0.10, Salt: "srm-call", Goal: srm.Goal.Spec(), Since: &since}},
			AsOf:    asOf, Closed: part(stats.Arm{N: 950, Hits: 95}, stats.Arm{N: 50, Hits: 12}, 0.05),
		},
		"counted-mail@": {
			Flow: "counted-mail", Goal: counted.Goal.Spec(), Unit: "inbound contacts", Count: true, Holdout: 0.10,
			Period: engine.ReportPeriod{ID: counted.Period(), Current: true, Holdout: 0.10, Salt: "counted-mail", Goal: counted.Goal.Spec(), Since: &since},
			AsOf:   asOf, Closed: part(countArms[0], countArms[1], 0.10),
		},
		"noisy-sms@": {
			Flow: "noisy-sms", Goal: set.Get("noisy-sms").Goal.Spec(), Unit: "inbound contacts", Holdout: 0.10,
			Period: engine.ReportPeriod{ID: set.Get("noisy-sms").Period(), Current: true, Holdout: 0.10, Salt: "noisy-sms", Since: &since},
			AsOf:   asOf, Closed: part(stats.Arm{N: 3600, Hits: 900}, stats.Arm{N: 400, Hits: 40}, 0.10),
		},
	}}
	return New(Options{Reports: r, Clock: clock.NewFake(asOf)})
}

func get(t *testing.T, h http.Handler, path, lang string) (int, string) {
	t.Helper()
	req := httptest.NewRequest("GET", path, nil)
	if lang != "" {
		req.Header.Set("Accept-Language", lang)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	b, _ := io.ReadAll(rec.Body)
	return rec.Code, string(b)
}

func has(t *testing.T, body string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(body, w) {
			t.Errorf("page lacks %q", w)
		}
	}
}

// A sample-ratio mismatch is a warning on the card; a changed holdout
// says that a new period started, and links the earlier one.
func TestCardWarnsAndExplainsPeriods(t *testing.T) {
	p := testPage(t)
	code, body := get(t, p, "/reports", "")
	if code != http.StatusOK {
		t.Fatalf("GET /reports: %d %s", code, body)
	}
	if path := os.Getenv("AHEAD_REPORTS_HTML"); path != "" {
		_ = os.WriteFile(path, []byte(body), 0o644)
	}
	has(t, body,
		`<p class="msg warn" role="note"><strong>⚠</strong> Sample-ratio mismatch: 14.29% of entrants are in the holdout, not the configured 10% (p &lt; 0.0001).`,
		"14.29% held out, configured 10% (chi² ", "): mismatch</dd>",
		"since 1 Mar 2030",
		"A new period started on 1 Mar 2030 because the holdout went from 5% to 10%; its counts started at zero.",
		`Earlier periods:`, `<a href="/reports/flows/srm-call?period=0ld5a1t00001">since 6 Jan 2030 (period 0ld5a1t00001)</a>`,
		// A count goal compares contacts per entrant.
		"<th scope=\"col\" class=\"num\">Per entrant</th>", "<td class=\"num\">0.17</td>", "<td class=\"num\">0.36</td>",
		"<dt>Difference in contacts per 1,000 entrants</dt>",
		"a contact.inbound event within 7 days of the trigger, where event.data.reason != &#34;praise&#34;, about the same subject; every one counts (contacts per entrant)",
		"Difference in inbound contacts per 1,000 entrants, contacted − holdout.",
		// A flow that raises its goal says so.
		"noisy-sms caused 150 more inbound contacts per 1,000 entrants, 95% CI 114\u2060–\u2060179.",
		`<span class="pill bad">more inbound contacts</span>`,
		"more inbound contacts per 1,000 entrants: the flow increases inbound contacts.",
		"a contact.inbound event or a request to be called back within 1 day 12 hours of the trigger",
		// A flow without holdout or goal is named, not measured.
		"<h2 id=\"unmeasured-title\">Not measured</h2>", "<code>plain-news</code>",
	)
	if strings.Contains(body, `id="flow-plain-news"`) {
		t.Error("an unmeasured flow has a card")
	}

	// The earlier period, on the flow's own page.
	code, body = get(t, p, "/reports/flows/srm-call?period=0ld5a1t00001", "")
	if code != http.StatusOK {
		t.Fatalf("earlier period: %d", code)
	}
	has(t, body, "This is an earlier period of the flow.", `<a href="/reports/flows/srm-call">Show the current period</a>`,
		"Other periods:", `<a href="/reports/flows/srm-call">since 1 Mar 2030 (period `+p.o.Reports.(*fakeReports).set.Get("srm-call").Period()+`), the current one</a>`,
		`<input type="hidden" name="period" value="0ld5a1t00001">`, "5% of entrants get no contact")
	if strings.Contains(body, "A new period started") {
		t.Error("an earlier period says a new one started")
	}
	if code, body := get(t, p, "/reports/flows/srm-call?period=nope", ""); code != http.StatusNotFound || !strings.Contains(body, `Flow srm-call has no report period &#34;nope&#34;.`) {
		t.Errorf("an unknown period: %d", code)
	}

	// In Dutch.
	_, body = get(t, p, "/reports", "nl")
	has(t, body, "Scheve verdeling: 14,29% van de instromers zit in de controlegroep, niet de ingestelde 10% (p &lt; 0,0001).",
		"Op 1 mrt 2030 begon een nieuwe periode omdat de controlegroep ging van 5% naar 10%",
		"noisy-sms veroorzaakte 150 inkomende contacten extra per 1.000 instromers",
		"binnen 1 dag 12 uur na de trigger")
}

// The page never offers a number it cannot back: a figure without data
// reads as a sentence, not as NaN or an empty interval.
func TestNoNumbersWithoutData(t *testing.T) {
	p := testPage(t)
	_, body := get(t, p, "/reports", "")
	for _, bad := range []string{"NaN", "Inf", "%!", "<no value>"} {
		if strings.Contains(body, bad) {
			t.Errorf("the page shows %q", bad)
		}
	}
}

func TestNumbers(t *testing.T) {
	for _, c := range []struct {
		l    web.Lang
		x    float64
		d    int
		want string
	}{
		{web.EN, 18045, 0, "18,045"},
		{web.NL, 18045, 0, "18.045"},
		{web.EN, 1234567.25, 1, "1,234,567.2"},
		{web.NL, 1234567.25, 2, "1.234.567,25"},
		{web.EN, -15.03, 1, "−15.0"},
		{web.EN, -0.04, 1, "0.0"},
		{web.EN, 999, 0, "999"},
		{web.EN, 2.5, -1, "2.5"},
		{web.NL, 0.5, -1, "0,5"},
	} {
		if got := number(c.l, c.x, c.d); got != c.want {
			t.Errorf("number(%s, %v, %d) = %q, want %q", c.l, c.x, c.d, got, c.want)
		}
	}
	pt := func(l web.Lang, x float64) string { return perThousand(l, x) }
	for _, c := range []struct {
		l      web.Lang
		lo, hi float64
		want   string
	}{
		{web.EN, 131.2, 170.4, "131\u2060–\u2060170"},
		{web.EN, -4.2, 20, "−4.2 to 20"},
		{web.NL, -4.2, 20, "−4,2 tot 20"},
		{web.EN, 3, 3, "3.0"},
	} {
		if got := span(c.l, c.lo, c.hi, pt); got != c.want {
			t.Errorf("span(%v, %v) = %q, want %q", c.lo, c.hi, got, c.want)
		}
	}
	for p, want := range map[float64]string{0.289: "= 0.29", 0.00012: "= 0.00012", 1: "= 1", 1e-12: "< 0.0001"} {
		if got := pValue(web.EN, p); got != want {
			t.Errorf("pValue(%v) = %q, want %q", p, got, want)
		}
	}
	for v, want := range map[float64]float64{0: 1, 0.7: 0.8, 17.5: 20, 25: 30, 31: 40, 4.2: 5, 1000: 1000, 0.012: 0.02} {
		if got := niceCeil(v); fmt.Sprintf("%.6g", got) != fmt.Sprintf("%.6g", want) {
			t.Errorf("niceCeil(%v) = %v, want %v", v, got, want)
		}
	}
	for share, want := range map[float64]string{0.1: "10%", 0.025: "2.5%", 0.0125: "1.25%", 0.5: "50%"} {
		if got := shareText(web.EN, share); got != want {
			t.Errorf("shareText(%v) = %q, want %q", share, got, want)
		}
	}
	if got := tickLabel(web.NL, -2.5); got != "−2,5" {
		t.Errorf("tickLabel(-2.5) = %q", got)
	}
}

// The bar puts zero in the middle and the interval where it lies.
func TestBar(t *testing.T) {
	b := newBar(web.EN, stats.Interval{Est: -0.15, Lo: -0.17, Hi: -0.13}, &stats.Interval{Est: -0.15, Lo: -0.182, Hi: -0.119}, 0.95, 100, oneDecimal, "points", "caption")
	if b.Zero != "50.00%" || len(b.Rows) != 2 || len(b.Ticks) != 5 {
		t.Fatalf("bar %+v", b)
	}
	// The axis runs from −20 to 20 points over 5% to 95% of the width.
	if b.Ticks[0].Label != "−20" || b.Ticks[0].X != "5.00%" || b.Ticks[4].Label != "20" || b.Ticks[4].X != "95.00%" {
		t.Errorf("ticks %+v", b.Ticks)
	}
	ci := b.Rows[0]
	if ci.X != "11.75%" || ci.W != "9.00%" || ci.Dot != "16.25%" || ci.Text != "−15.0 (−17.0 to −13.0)" {
		t.Errorf("95%% row %+v", ci)
	}
	if ci.Alt != "95% interval: −17.0 to −13.0 points, estimate −15.0; entirely below zero." {
		t.Errorf("alt %q", ci.Alt)
	}
	if b.Rows[1].Dot != "" || b.Rows[1].Alt != "always-valid: −18.2 to −11.9 points; entirely below zero." {
		t.Errorf("always-valid row %+v", b.Rows[1])
	}
}
