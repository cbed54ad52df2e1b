package templates_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aheadhq/ahead/flows"
	"github.com/aheadhq/ahead/templates"
)

func load(t *testing.T, dir string) *templates.Set {
	t.Helper()
	s, err := templates.Load(filepath.Join("testdata", dir, "templates"))
	if err != nil {
		t.Fatalf("Load(%s): %v", dir, err)
	}
	return s
}

// Each folder under testdata/bad holds one broken templates folder; Load
// must report exactly these problems.
func TestLoadErrors(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"not-tmpl":            "templates/notes.txt: not a template file (want NAME.CHANNEL.LOCALE[.FORMALITY][.html].tmpl)",
		"few-parts":           "templates/welcome.sms.tmpl: bad template file name (want NAME.CHANNEL.LOCALE[.FORMALITY][.html].tmpl)",
		"upper-name":          `templates/Welcome.sms.nl.tmpl: template name "Welcome" may hold only a-z, 0-9, "-" and "_"`,
		"unknown-channel":     `templates/welcome.fax.nl.tmpl: unknown channel "fax"`,
		"bad-locale":          `templates/welcome.sms.dutch.tmpl: locale "dutch" is not like nl, en or en-GB`,
		"bad-formality":       `templates/welcome.sms.nl.polite.tmpl: formality "polite" is not informal or formal`,
		"html-not-email":      `templates/welcome.sms.nl.html.tmpl: an HTML twin is only used for channel "email"`,
		"orphan-html":         "templates/welcome.email.nl.informal.html.tmpl: HTML twin without its text template templates/welcome.email.nl.informal.tmpl",
		"no-subject":          `templates/welcome.email.nl.tmpl:1: an email template must start with a "Subject: …" line`,
		"empty-subject":       "templates/welcome.email.nl.tmpl:1: empty Subject line",
		"no-blank-line":       "templates/welcome.email.nl.tmpl:2: want a blank line after the Subject line",
		"parse-error":         `templates/welcome.email.nl.tmpl:3: bad character U+007D '}'`,
		"subject-parse-error": "templates/welcome.email.nl.tmpl:1: unexpected EOF",
		"undefined-func":      `templates/welcome.sms.nl.tmpl:4: function "shout" not defined`,
		"html-parse-error":    `templates/welcome.email.nl.html.tmpl:3: unexpected "<" in operand`,
		// The contexts that follow are Go's own words: compare up to "…".
		"html-context": "templates/welcome.email.nl.html.tmpl:2:5: {{if}} branches end in different contexts: …",
		// A broken text template is reported once; its twin is not an orphan.
		"broken-with-twin": `templates/welcome.email.nl.tmpl:1: an email template must start with a "Subject: …" line`,
		"folder":           "templates/nl: a folder; templates must sit directly in templates/",
		"several": strings.Join([]string{
			`templates/a.sms.nl.tmpl:1: unexpected {{end}}`,
			`templates/b.email.en.tmpl:1: an email template must start with a "Subject: …" line`,
			`templates/c.sms.xx-yy.tmpl: locale "xx-yy" is not like nl, en or en-GB`,
		}, "\n"),
	}
	entries, err := os.ReadDir("testdata/bad")
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != len(tests) {
		t.Errorf("testdata/bad has %d cases, the test knows %d", len(entries), len(tests))
	}
	for name, want := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s, err := templates.Load(filepath.Join("testdata/bad", name, "templates"))
			if err == nil {
				t.Fatalf("Load succeeded with names %v", s.Names())
			}
			got := err.Error()
			if prefix, ok := strings.CutSuffix(want, "…"); ok && strings.HasPrefix(got, prefix) {
				return
			}
			if got != want {
				t.Errorf("Load error:\n%s\nwant:\n%s", err, want)
			}
		})
	}
}

func TestLoadMissingFolder(t *testing.T) {
	t.Parallel()
	s, err := templates.Load("testdata/none/templates")
	if err != nil {
		t.Fatal(err)
	}
	if n := s.Names(); len(n) != 0 {
		t.Errorf("Names() = %v, want none", n)
	}
	want := `unknown template "welcome" (want templates/welcome.email.LOCALE.tmpl)`
	if err := s.Check("welcome", "email"); err == nil || err.Error() != want {
		t.Errorf("Check error = %v, want %q", err, want)
	}
}

func TestLoadNotAFolder(t *testing.T) {
	t.Parallel()
	_, err := templates.Load("testdata/bad/not-tmpl/templates/notes.txt")
	if err == nil || !strings.HasPrefix(err.Error(), "read templates: ") {
		t.Errorf("Load(file) error = %v, want a read error", err)
	}
}

func TestNames(t *testing.T) {
	t.Parallel()
	got := strings.Join(load(t, "render").Names(), ",")
	if want := "facts,plan,welcome"; got != want {
		t.Errorf("Names() = %s, want %s", got, want)
	}
}

func TestFallback(t *testing.T) {
	t.Parallel()
	s := load(t, "fallback")
	// Files: nl.informal, nl, en, en-GB.formal, fr.formal.
	tests := []struct {
		locale, formality, def string
		want                   string // the rendered text, which names the file
		wantLocale, wantForm   string
	}{
		{"nl", "informal", "nl", "nl.informal", "nl", "informal"},
		{"nl", "formal", "nl", "nl", "nl", ""},
		{"nl", "", "nl", "nl", "nl", ""},
		{"NL", "Informal", "nl", "nl.informal", "nl", "informal"},
		{"nl-BE", "informal", "en", "nl.informal", "nl", "informal"},
		{"en-GB", "formal", "nl", "en-GB.formal", "en-GB", "formal"},
		{"en_gb", "formal", "nl", "en-GB.formal", "en-GB", "formal"},
		{"en-GB", "informal", "nl", "en", "en", ""},
		{"en", "formal", "nl", "en", "en", ""},
		{"de", "informal", "nl", "nl.informal", "nl", "informal"},
		{"de", "formal", "nl", "nl", "nl", ""},
		{"de", "formal", "en-US", "en", "en", ""},
		{"fr", "formal", "nl", "fr.formal", "fr", "formal"},
		{"fr", "informal", "nl", "nl.informal", "nl", "informal"},
		{"", "informal", "nl", "nl.informal", "nl", "informal"},
	}
	for _, tt := range tests {
		r, err := s.Render("greeting", "sms", tt.locale, tt.formality, tt.def, templates.Data{})
		if err != nil {
			t.Errorf("Render(%q, %q, default %q): %v", tt.locale, tt.formality, tt.def, err)
			continue
		}
		if r.Text != tt.want || r.Locale != tt.wantLocale || r.Formality != tt.wantForm {
			t.Errorf("Render(%q, %q, default %q) = %q (%s/%s), want %q (%s/%s)",
				tt.locale, tt.formality, tt.def, r.Text, r.Locale, r.Formality, tt.want, tt.wantLocale, tt.wantForm)
		}
	}
}

func TestFallbackErrors(t *testing.T) {
	t.Parallel()
	s := load(t, "fallback")
	tests := []struct {
		name, channel, locale, formality, def string
		want                                  string
	}{
		{"greeting", "sms", "de", "formal", "es",
			`render template "greeting" for sms: no template variant (tried greeting.sms.de.formal.tmpl, greeting.sms.de.tmpl, greeting.sms.es.formal.tmpl, greeting.sms.es.tmpl)`},
		{"greeting", "sms", "pt-BR", "", "pt-BR",
			`render template "greeting" for sms: no template variant (tried greeting.sms.pt-BR.tmpl, greeting.sms.pt.tmpl)`},
		{"greeting", "email", "nl", "informal", "nl",
			`render template "greeting" for email: no template variant (tried greeting.email.nl.informal.tmpl, greeting.email.nl.tmpl)`},
		{"greeting", "sms", "", "", "",
			`render template "greeting" for sms: no locale and no default locale: no template variant`},
		{"nope", "sms", "nl", "", "nl",
			`render template "nope" for sms: no template variant (tried nope.sms.nl.tmpl)`},
	}
	for _, tt := range tests {
		_, err := s.Render(tt.name, tt.channel, tt.locale, tt.formality, tt.def, templates.Data{})
		if err == nil || err.Error() != tt.want {
			t.Errorf("Render(%s, %s, %q, %q, %q) error:\n%v\nwant:\n%s", tt.name, tt.channel, tt.locale, tt.formality, tt.def, err, tt.want)
		}
		if !errors.Is(err, templates.ErrNoVariant) {
			t.Errorf("Render(%s, %s, %q) error does not wrap ErrNoVariant", tt.name, tt.channel, tt.locale)
		}
	}
	_, err := s.Render("greeting", "sms", "nl", "polite", "nl", templates.Data{})
	if want := `render template "greeting": formality "polite" is not informal or formal`; err == nil || err.Error() != want {
		t.Errorf("Render with formality polite: error = %v, want %q", err, want)
	}
}

func anna() *flows.Customer {
	return &flows.Customer{Name: "Anna", Locale: "nl", Formality: "informal"}
}

func TestRenderEmail(t *testing.T) {
	t.Parallel()
	s := load(t, "render")
	d := templates.Data{Customer: anna(), Event: &flows.Event{Data: map[string]any{"plan": "family"}}}
	r, err := s.Render("welcome", "email", "nl", "informal", "nl", d)
	if err != nil {
		t.Fatal(err)
	}
	want := templates.Rendered{
		Subject: "Welkom, Anna",
		Text:    "Hoi Anna,\n\nJe abonnement family is gestart.",
		HTML:    "<p>Hoi Anna,</p>\n<p>Je abonnement family is gestart.</p>",
		Locale:  "nl",
	}
	if *r != want {
		t.Errorf("Render =\n%#v\nwant\n%#v", *r, want)
	}

	// The HTML part escapes what the data holds; the text part does not,
	// and the subject stays on one line.
	d.Customer = &flows.Customer{Name: "<b>Anna</b>\r\nBcc: x@example.com"}
	r, err = s.Render("welcome", "email", "nl", "informal", "nl", d)
	if err != nil {
		t.Fatal(err)
	}
	if want := "Welkom, <b>Anna</b> Bcc: x@example.com"; r.Subject != want {
		t.Errorf("Subject = %q, want %q", r.Subject, want)
	}
	if !strings.HasPrefix(r.Text, "Hoi <b>Anna</b>") {
		t.Errorf("Text = %q, want the name as is", r.Text)
	}
	if !strings.HasPrefix(r.HTML, "<p>Hoi &lt;b&gt;Anna&lt;/b&gt;") {
		t.Errorf("HTML = %q, want the name escaped", r.HTML)
	}
}

func TestRenderMissingKey(t *testing.T) {
	t.Parallel()
	s := load(t, "render")
	noPlan := templates.Data{Customer: anna(), Event: &flows.Event{Data: map[string]any{"other": 1}}}
	tests := []struct {
		name, channel string
		d             templates.Data
		want          string
	}{
		{"plan", "sms", noPlan,
			`render template: templates/plan.sms.nl.tmpl:1:23: at <.Event.Data.plan>: map has no entry for key "plan"`},
		// Line numbers in an email body are the file's.
		{"welcome", "email", noPlan,
			`render template: templates/welcome.email.nl.tmpl:5:22: at <.Event.Data.plan>: map has no entry for key "plan"`},
		// An event without data has no keys at all.
		{"plan", "sms", templates.Data{},
			`render template: templates/plan.sms.nl.tmpl:1:23: at <.Event.Data.plan>: map has no entry for key "plan"`},
	}
	for _, tt := range tests {
		_, err := s.Render(tt.name, tt.channel, "nl", "informal", "nl", tt.d)
		if err == nil || err.Error() != tt.want {
			t.Errorf("Render(%s.%s) error:\n%v\nwant:\n%s", tt.name, tt.channel, err, tt.want)
		}
	}
}

func TestRenderHelpers(t *testing.T) {
	t.Parallel()
	s := load(t, "render")
	at := time.Date(2026, 11, 23, 9, 12, 0, 0, time.UTC)
	tests := []struct {
		locale string
		data   map[string]any
		want   string
	}{
		{"nl", map[string]any{"first_invoice": map[string]any{"amount": "23.95", "date": "2026-11-30"}},
			"day4-first-invoice/invoice-explainer subscription.created 2026-11-23 € 23,95 op 30 november 2026"},
		{"en", map[string]any{"first_invoice": map[string]any{"amount": 23.9, "date": "2026-11-30"}},
			"day4-first-invoice/invoice-explainer subscription.created 2026-11-23 €23.90 on 30 November 2026"},
		{"nl", nil, "day4-first-invoice/invoice-explainer subscription.created 2026-11-23 geen factuur"},
	}
	for _, tt := range tests {
		d := templates.Data{
			Event: &flows.Event{Type: "subscription.created", OccurredAt: at, Data: tt.data},
			Flow:  templates.FlowInfo{Name: "day4-first-invoice"},
			Step:  templates.StepInfo{ID: "invoice-explainer"},
		}
		r, err := s.Render("facts", "sms", tt.locale, "", "nl", d)
		if err != nil {
			t.Errorf("Render(facts, %s): %v", tt.locale, err)
			continue
		}
		if r.Text != tt.want {
			t.Errorf("Render(facts, %s) = %q, want %q", tt.locale, r.Text, tt.want)
		}
	}
	d := templates.Data{Event: &flows.Event{Data: map[string]any{
		"first_invoice": map[string]any{"amount": "23.95", "date": "30-11-2026"}}}}
	_, err := s.Render("facts", "sms", "nl", "", "nl", d)
	want := `render template: templates/facts.sms.nl.tmpl:1:155: at <date .date>: error calling date: date: "30-11-2026" is not a date like 2026-11-30`
	if err == nil || err.Error() != want {
		t.Errorf("Render with a bad date: error\n%v\nwant\n%s", err, want)
	}
}

func TestCheck(t *testing.T) {
	t.Parallel()
	s := load(t, "fields")
	want := strings.Join([]string{
		"templates/typo.email.nl.html.tmpl:1: unknown field .Customer.Emial",
		"templates/typo.email.nl.tmpl:1: unknown field .Customer.Nmae",
		"templates/typo.email.nl.tmpl:3: unknown field .Event.Typ",
		"templates/typo.email.nl.tmpl:5: unknown field $.Step.Id",
		"templates/typo.email.nl.tmpl:7: unknown field .Customer.Name.First",
		"templates/typo.email.nl.tmpl:8: unknown field .Foo",
		"templates/typo.email.nl.tmpl:9: unknown field .Flow.Title",
		"templates/typo.email.nl.tmpl:10: unknown field .Customer.Phnoe",
		"templates/typo.email.nl.tmpl:11: unknown field .Event.Customer.Loc",
	}, "\n")
	if err := s.Check("typo", "email"); err == nil || err.Error() != want {
		t.Errorf("Check(typo, email):\n%v\nwant:\n%s", err, want)
	}
	if err := s.Check("typo", "sms"); err != nil {
		t.Errorf("Check(typo, sms): %v", err)
	}
	want = `template "typo" has no variant for channel "whatsapp" (want templates/typo.whatsapp.LOCALE.tmpl)`
	if err := s.Check("typo", "whatsapp"); err == nil || err.Error() != want {
		t.Errorf("Check(typo, whatsapp) = %v, want %q", err, want)
	}
	want = `unknown template "typos" (want templates/typos.email.LOCALE.tmpl)`
	if err := s.Check("typos", "email"); err == nil || err.Error() != want {
		t.Errorf("Check(typos, email) = %v, want %q", err, want)
	}

	// What Check finds statically also fails at render time.
	_, err := s.Render("typo", "email", "nl", "", "nl", templates.Data{Customer: anna()})
	if err == nil || !strings.Contains(err.Error(), "can't evaluate field Nmae") {
		t.Errorf("Render(typo) error = %v, want the unknown field", err)
	}
}

func TestRenderConcurrently(t *testing.T) {
	t.Parallel()
	s := load(t, "render")
	done := make(chan error)
	for i := range 8 {
		go func() {
			d := templates.Data{Customer: anna(), Event: &flows.Event{Data: map[string]any{"plan": i}}}
			r, err := s.Render("welcome", "email", "nl", "informal", "nl", d)
			if err == nil && !strings.Contains(r.HTML, fmt.Sprintf("abonnement %d is", i)) {
				err = fmt.Errorf("HTML %q lacks plan %d", r.HTML, i)
			}
			done <- err
		}()
	}
	for range 8 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}
