package templates_test

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/aheadhq/ahead/flows"
	"github.com/aheadhq/ahead/templates"
)

const sid = "HXb5b62575e6e4ff6129ad7c8efe1f983e"

// contentDir writes files (name → text) into a templates/ folder of a new
// flow folder and returns the templates/ folder.
func contentDir(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "templates")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func loadContent(t *testing.T, files map[string]string) *templates.ContentSet {
	t.Helper()
	c, err := templates.LoadContent(contentDir(t, files))
	if err != nil {
		t.Fatalf("LoadContent: %v", err)
	}
	return c
}

func invoiceData() templates.Data {
	return templates.Data{
		Customer: &flows.Customer{Name: "Anna"},
		Event: &flows.Event{Type: "subscription.created", Data: map[string]any{
			"first_invoice": map[string]any{"amount": "23.95", "date": "2026-11-30"},
		}},
		Flow: templates.FlowInfo{Name: "new-subscriber"},
		Step: templates.StepInfo{ID: "invoice-explainer"},
	}
}

func TestLoadContentAndRender(t *testing.T) {
	t.Parallel()
	c := loadContent(t, map[string]string{
		"first-invoice.whatsapp.nl.informal.content.yaml": `# the approved Dutch template
content_sid: ` + sid + `
variables:            # Twilio ContentVariables
  "1": "{{.Customer.Name}}"
  "2": "€ {{with index .Event.Data \"first_invoice\"}}{{money .amount}}{{end}}"
  "3": |
    {{with index .Event.Data "first_invoice"}}{{date .date}}{{end}}
  step: "{{.Flow.Name}}/{{.Step.ID}}"
`,
		// Files that Load reads are not LoadContent's business.
		"first-invoice.whatsapp.nl.tmpl": "Hoi {{.Customer.Name}}",
		"first-invoice.email.nl.tmpl":    "Subject: x\n\ny",
		".hidden.content.yaml":           "not: yaml: at: all",
	})
	got, err := c.Render("first-invoice", "nl", "informal", "nl", invoiceData())
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	want := &templates.Content{
		SID: sid,
		Variables: map[string]string{
			"1":    "Anna",
			"2":    "€ 23,95",
			"3":    "30 november 2026",
			"step": "new-subscriber/invoice-explainer",
		},
		Locale:    "nl",
		Formality: "informal",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Render = %+v, want %+v", got, want)
	}
	if names := c.Names(); !reflect.DeepEqual(names, []string{"first-invoice"}) {
		t.Errorf("Names = %v, want [first-invoice]", names)
	}
	if !c.Has("first-invoice") || c.Has("other") {
		t.Errorf("Has: first-invoice %v, other %v; want true, false", c.Has("first-invoice"), c.Has("other"))
	}
}

func TestContentWithoutVariables(t *testing.T) {
	t.Parallel()
	c := loadContent(t, map[string]string{"hello.whatsapp.en.content.yaml": "content_sid: " + sid + "\n"})
	got, err := c.Render("hello", "en", "", "nl", templates.Data{})
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	if got.SID != sid || len(got.Variables) != 0 {
		t.Errorf("Render = %+v, want the SID and no variables", got)
	}
}

func TestContentFallback(t *testing.T) {
	t.Parallel()
	file := func(label string) string {
		return "content_sid: " + sid + "\nvariables:\n  which: " + label + "\n"
	}
	c := loadContent(t, map[string]string{
		"greeting.whatsapp.nl.informal.content.yaml":  file("nl.informal"),
		"greeting.whatsapp.nl.content.yaml":           file("nl"),
		"greeting.whatsapp.en.content.yaml":           file("en"),
		"greeting.whatsapp.en-GB.formal.content.yaml": file("en-GB.formal"),
	})
	tests := []struct {
		locale, formality, def string
		want                   string
		wantLocale, wantForm   string
	}{
		{"nl", "informal", "nl", "nl.informal", "nl", "informal"},
		{"nl", "formal", "nl", "nl", "nl", ""},
		{"NL", "Informal", "en", "nl.informal", "nl", "informal"},
		{"nl-BE", "informal", "en", "nl.informal", "nl", "informal"},
		{"en-GB", "formal", "nl", "en-GB.formal", "en-GB", "formal"},
		{"en_gb", "formal", "nl", "en-GB.formal", "en-GB", "formal"},
		{"en-GB", "informal", "nl", "en", "en", ""},
		{"de", "informal", "nl", "nl.informal", "nl", "informal"},
		{"de", "formal", "en-US", "en", "en", ""},
		{"", "", "nl", "nl", "nl", ""},
	}
	for _, tt := range tests {
		got, err := c.Render("greeting", tt.locale, tt.formality, tt.def, templates.Data{})
		if err != nil {
			t.Errorf("Render(%q, %q, default %q): %v", tt.locale, tt.formality, tt.def, err)
			continue
		}
		if got.Variables["which"] != tt.want || got.Locale != tt.wantLocale || got.Formality != tt.wantForm {
			t.Errorf("Render(%q, %q, default %q) = %s (%s/%s), want %s (%s/%s)", tt.locale, tt.formality, tt.def,
				got.Variables["which"], got.Locale, got.Formality, tt.want, tt.wantLocale, tt.wantForm)
		}
	}
}

func TestContentNoVariant(t *testing.T) {
	t.Parallel()
	c := loadContent(t, map[string]string{"greeting.whatsapp.nl.content.yaml": "content_sid: " + sid + "\n"})
	tests := []struct {
		name, locale, formality, def string
		wantTried                    string
	}{
		{"greeting", "de", "formal", "fr",
			"tried greeting.whatsapp.de.formal.content.yaml, greeting.whatsapp.de.content.yaml, greeting.whatsapp.fr.formal.content.yaml, greeting.whatsapp.fr.content.yaml"},
		{"other", "nl", "", "nl", "tried other.whatsapp.nl.content.yaml"},
		{"greeting", "", "", "", "no locale and no default locale"},
	}
	for _, tt := range tests {
		_, err := c.Render(tt.name, tt.locale, tt.formality, tt.def, templates.Data{})
		if !errors.Is(err, templates.ErrNoVariant) {
			t.Errorf("Render(%q, %q): %v, want ErrNoVariant", tt.name, tt.locale, err)
			continue
		}
		if !strings.Contains(err.Error(), tt.wantTried) {
			t.Errorf("Render(%q, %q): %v, want it to say %q", tt.name, tt.locale, err, tt.wantTried)
		}
	}
	// A nil set has no templates.
	var none *templates.ContentSet
	if _, err := none.Render("greeting", "nl", "", "nl", templates.Data{}); !errors.Is(err, templates.ErrNoVariant) {
		t.Errorf("nil ContentSet Render: %v, want ErrNoVariant", err)
	}
	if none.Has("greeting") || len(none.Names()) != 0 {
		t.Error("a nil ContentSet has templates")
	}
}

func TestContentRenderErrors(t *testing.T) {
	t.Parallel()
	c := loadContent(t, map[string]string{
		"x.whatsapp.nl.content.yaml": "content_sid: " + sid + `
variables:
  "1": "{{.Customer.Name}}"
  "2": >
    {{.Event.Data.plan}}
`,
	})
	tests := []struct {
		name string
		data templates.Data
		want string
	}{
		{"missing key", templates.Data{Customer: &flows.Customer{Name: "Anna"}},
			`render content template: templates/x.whatsapp.nl.content.yaml:5: variables.2: at <.Event.Data.plan>: map has no entry for key "plan"`},
		{"empty value", templates.Data{Event: &flows.Event{Data: map[string]any{"plan": "family"}}},
			`render content template: templates/x.whatsapp.nl.content.yaml:3: variables.1: renders empty; WhatsApp refuses empty variables`},
	}
	for _, tt := range tests {
		_, err := c.Render("x", "nl", "", "nl", tt.data)
		if err == nil || err.Error() != tt.want {
			t.Errorf("%s: Render error\n %v\nwant\n %s", tt.name, err, tt.want)
		}
	}
	if _, err := c.Render("x", "nl", "casual", "nl", templates.Data{}); err == nil || !strings.Contains(err.Error(), `formality "casual"`) {
		t.Errorf("Render with a bad formality: %v", err)
	}
}

func TestContentFlattensWhiteSpace(t *testing.T) {
	t.Parallel()
	c := loadContent(t, map[string]string{
		"x.whatsapp.nl.content.yaml": "content_sid: " + sid + `
variables:
  "1": |
    {{.Customer.Name}}
    en     familie
`,
	})
	got, err := c.Render("x", "nl", "", "nl", templates.Data{Customer: &flows.Customer{Name: "Anna\tde Vries"}})
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	if v := got.Variables["1"]; v != "Anna de Vries en familie" {
		t.Errorf("variable 1 = %q, want one line with single spaces", v)
	}
}

func TestLoadContentErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		files map[string]string
		want  []string // every line of the error
	}{
		{"unknown key", map[string]string{"x.whatsapp.nl.content.yaml": "content_sid: " + sid + "\nlanguage: nl\n"},
			[]string{`templates/x.whatsapp.nl.content.yaml:2: unknown key "language" (want content_sid, variables)`}},
		{"missing sid", map[string]string{"x.whatsapp.nl.content.yaml": "variables:\n  \"1\": hi\n"},
			[]string{`templates/x.whatsapp.nl.content.yaml:1: content_sid: required`}},
		{"bad sid", map[string]string{"x.whatsapp.nl.content.yaml": "content_sid: HX123\n"},
			[]string{`templates/x.whatsapp.nl.content.yaml:1: content_sid: "HX123" is not a content SID (HX followed by 32 hexadecimal digits)`}},
		{"sid twice", map[string]string{"x.whatsapp.nl.content.yaml": "content_sid: " + sid + "\ncontent_sid: " + sid + "\n"},
			[]string{`templates/x.whatsapp.nl.content.yaml:2: content_sid given twice (first at line 1)`}},
		{"variable twice", map[string]string{"x.whatsapp.nl.content.yaml": "content_sid: " + sid + "\nvariables:\n  \"1\": a\n  \"1\": b\n"},
			[]string{`templates/x.whatsapp.nl.content.yaml:4: variables.1 given twice (first at line 3)`}},
		{"variables not a mapping", map[string]string{"x.whatsapp.nl.content.yaml": "content_sid: " + sid + "\nvariables: [a, b]\n"},
			[]string{`templates/x.whatsapp.nl.content.yaml:2: variables: want a mapping of variable names to values`}},
		{"variable not text", map[string]string{"x.whatsapp.nl.content.yaml": "content_sid: " + sid + "\nvariables:\n  \"1\":\n    a: b\n"},
			[]string{`templates/x.whatsapp.nl.content.yaml:4: variables.1: want a text (a Go template)`}},
		{"bad variable name", map[string]string{"x.whatsapp.nl.content.yaml": "content_sid: " + sid + "\nvariables:\n  \"a b\": x\n"},
			[]string{`templates/x.whatsapp.nl.content.yaml:3: variable name "a b" may hold only letters, digits and "_"`}},
		{"template does not parse", map[string]string{"x.whatsapp.nl.content.yaml": "content_sid: " + sid + "\nvariables:\n  \"1\": |\n    ok\n    {{end}}\n"},
			[]string{`templates/x.whatsapp.nl.content.yaml:5: variables.1: unexpected {{end}}`}},
		{"unknown function", map[string]string{"x.whatsapp.nl.content.yaml": "content_sid: " + sid + "\nvariables:\n  \"1\": \"{{shout .Customer.Name}}\"\n"},
			[]string{`templates/x.whatsapp.nl.content.yaml:3: variables.1: function "shout" not defined`}},
		{"invalid YAML", map[string]string{"x.whatsapp.nl.content.yaml": "content_sid: " + sid + "\nvariables:\n  \"1\": [\n"},
			[]string{`templates/x.whatsapp.nl.content.yaml:3: invalid YAML: did not find expected node content`}},
		{"not a mapping", map[string]string{"x.whatsapp.nl.content.yaml": "- a\n- b\n"},
			[]string{`templates/x.whatsapp.nl.content.yaml:1: want a mapping with content_sid and variables`}},
		{"empty file", map[string]string{"x.whatsapp.nl.content.yaml": ""},
			[]string{`templates/x.whatsapp.nl.content.yaml:1: empty file; want content_sid and variables`}},
		{"two documents", map[string]string{"x.whatsapp.nl.content.yaml": "content_sid: " + sid + "\n---\ncontent_sid: " + sid + "\n"},
			[]string{`templates/x.whatsapp.nl.content.yaml:2: one YAML document only`}},
		{"other channel", map[string]string{"x.sms.nl.content.yaml": "content_sid: " + sid + "\n"},
			[]string{`templates/x.sms.nl.content.yaml: content templates are for channel "whatsapp" only, not "sms"`}},
		{"bad name", map[string]string{"X.whatsapp.nl.content.yaml": "content_sid: " + sid + "\n"},
			[]string{`templates/X.whatsapp.nl.content.yaml: template name "X" may hold only a-z, 0-9, "-" and "_"`}},
		{"bad locale", map[string]string{"x.whatsapp.NL.content.yaml": "content_sid: " + sid + "\n"},
			[]string{`templates/x.whatsapp.NL.content.yaml: locale "NL" is not like nl, en or en-GB`}},
		{"bad formality", map[string]string{"x.whatsapp.nl.jij.content.yaml": "content_sid: " + sid + "\n"},
			[]string{`templates/x.whatsapp.nl.jij.content.yaml: formality "jij" is not informal or formal`}},
		{"few parts", map[string]string{"x.whatsapp.content.yaml": "content_sid: " + sid + "\n"},
			[]string{`templates/x.whatsapp.content.yaml: bad content template file name (want NAME.whatsapp.LOCALE[.FORMALITY].content.yaml)`}},
		{"every problem, in file and line order", map[string]string{
			"b.whatsapp.nl.content.yaml": "content_sid: nope\nextra: 1\n",
			"a.whatsapp.nl.content.yaml": "colour: red\n",
		}, []string{
			`templates/a.whatsapp.nl.content.yaml:1: unknown key "colour" (want content_sid, variables)`,
			`templates/a.whatsapp.nl.content.yaml:1: content_sid: required`,
			`templates/b.whatsapp.nl.content.yaml:1: content_sid: "nope" is not a content SID (HX followed by 32 hexadecimal digits)`,
			`templates/b.whatsapp.nl.content.yaml:2: unknown key "extra" (want content_sid, variables)`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := templates.LoadContent(contentDir(t, tt.files))
			if err == nil {
				t.Fatal("LoadContent succeeded, want an error")
			}
			if got := strings.Split(err.Error(), "\n"); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("LoadContent error:\n%s\nwant:\n%s", err, strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestLoadContentMissingFolder(t *testing.T) {
	t.Parallel()
	c, err := templates.LoadContent(filepath.Join(t.TempDir(), "templates"))
	if err != nil {
		t.Fatalf("LoadContent: %v", err)
	}
	if len(c.Names()) != 0 {
		t.Errorf("Names = %v, want none", c.Names())
	}
}

func TestContentCheck(t *testing.T) {
	t.Parallel()
	c := loadContent(t, map[string]string{
		"x.whatsapp.nl.content.yaml": "content_sid: " + sid + `
variables:
  "1": "{{.Customer.Nmae}}"
  "2": "{{.Event.Data.anything}} {{with .Customer}}{{.Whatever}}{{end}}"
`,
		"x.whatsapp.en.content.yaml":  "content_sid: " + sid + "\nvariables:\n  \"1\": \"{{.Flow.Nome}}\"\n",
		"ok.whatsapp.nl.content.yaml": "content_sid: " + sid + "\nvariables:\n  \"1\": \"{{.Customer.Name}}\"\n",
	})
	if err := c.Check("ok"); err != nil {
		t.Errorf("Check(ok): %v", err)
	}
	want := strings.Join([]string{
		`templates/x.whatsapp.en.content.yaml:3: variables.1: unknown field .Flow.Nome`,
		`templates/x.whatsapp.nl.content.yaml:3: variables.1: unknown field .Customer.Nmae`,
	}, "\n")
	if err := c.Check("x"); err == nil || err.Error() != want {
		t.Errorf("Check(x):\n%v\nwant:\n%s", err, want)
	}
	if err := c.Check("missing"); err == nil || !strings.Contains(err.Error(), `unknown content template "missing" (want templates/missing.whatsapp.LOCALE.content.yaml)`) {
		t.Errorf("Check(missing): %v", err)
	}
}
