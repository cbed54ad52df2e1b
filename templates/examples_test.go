package templates

import (
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aheadhq/ahead/flows"
)

// The example flow folder's templates must load, pass Check, and render for
// every tone and language they serve, with and without the optional data.
func TestExampleTemplates(t *testing.T) {
	t.Parallel()
	s, err := Load("../flows/examples/templates")
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if got, want := s.Names(), []string{"first-invoice-explainer", "reassurance-call"}; !slices.Equal(got, want) {
		t.Fatalf("Names() = %v, want %v", got, want)
	}
	pairs := map[key]bool{}
	for k := range s.variants {
		pairs[key{name: k.name, channel: k.channel}] = true
	}
	full := map[string]any{
		"plan":          "family",
		"first_invoice": map[string]any{"amount": "23.95", "date": "2026-11-30"},
	}
	tones := []struct{ locale, formality string }{{"nl", Informal}, {"nl", Formal}, {"en", Informal}}
	for p := range pairs {
		if err := s.Check(p.name, p.channel); err != nil {
			t.Errorf("Check(%s, %s): %v", p.name, p.channel, err)
		}
		for _, tone := range tones {
			for _, data := range []map[string]any{full, nil} {
				d := Data{
					Customer: &flows.Customer{Name: "Anna", Locale: tone.locale, Formality: tone.formality},
					Event: &flows.Event{
						Type: "subscription.created", CustomerID: "cus_123",
						OccurredAt: time.Date(2026, 11, 23, 9, 12, 0, 0, time.UTC), Data: data,
					},
					Flow: FlowInfo{Name: "example"},
					Step: StepInfo{ID: "example"},
				}
				what := p.name + "." + p.channel + " " + tone.locale + "/" + tone.formality
				if data == nil {
					what += " without data"
				}
				r, err := s.Render(p.name, p.channel, tone.locale, tone.formality, "nl", d)
				if err != nil {
					t.Errorf("%s: %v", what, err)
					continue
				}
				checkExample(t, what, p.channel, tone.locale, tone.formality, data != nil, r)
			}
		}
	}
}

var wordPattern = regexp.MustCompile(`\p{L}+`)

func words(s string) map[string]bool {
	w := map[string]bool{}
	for _, x := range wordPattern.FindAllString(strings.ToLower(s), -1) {
		w[x] = true
	}
	return w
}

func checkExample(t *testing.T, what, channel, locale, formality string, withData bool, r *Rendered) {
	t.Helper()
	if r.Locale != locale {
		t.Errorf("%s: rendered locale %s", what, r.Locale)
	}
	if channel == "email" {
		if r.Subject == "" || r.HTML == "" {
			t.Errorf("%s: subject %q, HTML %d bytes; want both", what, r.Subject, len(r.HTML))
		}
		if locale == "nl" && r.Formality != formality {
			t.Errorf("%s: rendered formality %q", what, r.Formality)
		}
	}
	if strings.Contains(r.Text, "<no value>") || strings.Contains(r.HTML, "<no value>") {
		t.Errorf("%s: an empty value leaked:\n%s", what, r.Text)
	}
	if !strings.Contains(r.Text, "Anna") {
		t.Errorf("%s: the customer's name is missing:\n%s", what, r.Text)
	}
	amount, date := "23.95", "30 November 2026"
	if locale == "nl" {
		amount, date = "23,95", "30 november 2026"
	}
	for _, part := range []string{r.Text, r.HTML} {
		if part == "" {
			continue
		}
		has := strings.Contains(part, amount) && strings.Contains(part, date)
		if has != withData {
			t.Errorf("%s: amount and date shown = %v, want %v:\n%s", what, has, withData, part)
		}
	}
	// Dutch emails keep to one tone: je/jij/jouw or u/uw, never both.
	if locale != "nl" || r.Formality == "" {
		return
	}
	w := words(r.Subject + "\n" + r.Text + "\n" + r.HTML)
	informal := w["je"] || w["jij"] || w["jouw"] || w["jou"]
	formal := w["u"] || w["uw"]
	switch r.Formality {
	case Informal:
		if !informal || formal {
			t.Errorf("%s: want je/jij and no u/uw:\n%s", what, r.Text)
		}
	case Formal:
		if !formal || informal {
			t.Errorf("%s: want u/uw and no je/jij:\n%s", what, r.Text)
		}
	}
}

// The agent's talking points tell the agent which tone the customer gets.
func TestExampleCallbackTone(t *testing.T) {
	t.Parallel()
	s, err := Load("../flows/examples/templates")
	if err != nil {
		t.Fatal(err)
	}
	for formality, want := range map[string]string{Formal: `aan met "u"`, Informal: `aan met "je"`} {
		d := Data{Customer: &flows.Customer{Name: "Anna", Formality: formality}}
		r, err := s.Render("reassurance-call", "callback", "nl", formality, "nl", d)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(r.Text, want) {
			t.Errorf("talking points for a %s customer lack %q:\n%s", formality, want, r.Text)
		}
	}
}
