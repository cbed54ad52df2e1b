package templates

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aheadhq/ahead/flows"
)

// classics is the library of experience classics, a flow folder.
const classics = "../flows/classics"

// The new-subscriber classic's templates must load, pass Check, and render
// for every tone and language they serve, with and without the optional
// data.
func TestExampleTemplates(t *testing.T) {
	t.Parallel()
	s, err := Load(classics + "/templates")
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	newSubscriber := []string{"first-invoice-explainer", "reassurance-call"}
	for _, name := range newSubscriber {
		if !slices.Contains(s.Names(), name) {
			t.Fatalf("Names() = %v, want %s among them", s.Names(), name)
		}
	}
	pairs := map[key]bool{}
	for k := range s.variants {
		if slices.Contains(newSubscriber, k.name) {
			pairs[key{name: k.name, channel: k.channel}] = true
		}
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
	checkTone(t, what, r)
}

// checkTone checks that a Dutch text for the customer keeps to one tone:
// je/jij/jouw or u/uw, never both.
func checkTone(t *testing.T, what string, r *Rendered) {
	t.Helper()
	if r.Locale != "nl" || r.Formality == "" {
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
	s, err := Load(classics + "/templates")
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

// required lists, per event type, the data keys the classics need; every
// other key in the sample events is optional and must render when absent.
var required = map[string][]string{
	"order.status_changed":       {"status"},
	"application.status_changed": {"status"},
	"price.changed":              {"old_amount", "new_amount", "effective_date"},
	"appointment.scheduled":      {"starts_at", "time"},
	"contract.renewal_due":       {"end_date"},
}

// statuses are the statuses the status classics word themselves; others
// are shown as they come.
var statuses = map[string][]string{
	"order.status_changed":       {"received", "shipped", "out_for_delivery", "delivered", "ready_for_pickup", "returned"},
	"application.status_changed": {"received", "in_review", "documents_needed", "approved", "rejected", "on_hold"},
}

// Every classic's templates render for its sample events, for every
// channel of every step the event starts, in Dutch je and u and in English:
// with the sample's data, with only the data it needs, and for every
// status a status classic words. Texts for customers keep to one Dutch
// tone; an email has a subject; nothing shows an empty value.
func TestClassicTemplates(t *testing.T) {
	t.Parallel()
	s, err := Load(classics + "/templates")
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	set, err := flows.LoadDir(classics, s)
	if err != nil {
		t.Fatalf("LoadDir: %v", err)
	}
	files, err := filepath.Glob(classics + "/events/*.json")
	if err != nil {
		t.Fatal(err)
	}
	used := map[key]bool{}
	tones := []struct{ locale, formality string }{{"nl", Informal}, {"nl", Formal}, {"en", Informal}}
	for _, file := range files {
		ev := readEvent(t, file)
		triggered, err := set.Triggered(ev, ev.Customer)
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		for _, data := range eventData(ev) {
			e := *ev
			e.Data = data
			for _, f := range triggered {
				for _, st := range f.Steps {
					for _, ch := range st.Channels {
						used[key{name: st.Template, channel: ch}] = true
						for _, tone := range tones {
							what := filepath.Base(file) + ": " + st.Template + "." + ch + " " + tone.locale + "/" + tone.formality + " " + describe(data)
							r, err := s.Render(st.Template, ch, tone.locale, tone.formality, "nl", Data{
								Customer: &flows.Customer{Name: "Anna", Locale: tone.locale, Formality: tone.formality},
								Event:    &e,
								Flow:     FlowInfo{Name: f.Name, Description: f.Description},
								Step:     StepInfo{ID: st.ID},
							})
							if err != nil {
								t.Errorf("%s: %v", what, err)
								continue
							}
							checkClassic(t, what, ch, tone.locale, r)
						}
					}
				}
			}
		}
	}
	// Every template of the folder is used by a sample event.
	for k := range s.variants {
		if !used[key{name: k.name, channel: k.channel}] {
			t.Errorf("template %s.%s is not used by any sample event's flows", k.name, k.channel)
		}
	}
}

func readEvent(t *testing.T, file string) *flows.Event {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var ev flows.Event
	if err := json.Unmarshal(b, &ev); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	if errs := flows.ValidateEvent(&ev); len(errs) > 0 {
		t.Fatalf("%s is not a valid event: %v", file, errs)
	}
	return &ev
}

// eventData returns the data variants to render a sample event with: its
// own, only the required keys, and each worded status.
func eventData(ev *flows.Event) []map[string]any {
	out := []map[string]any{ev.Data}
	min := map[string]any{}
	for _, k := range required[ev.Type] {
		min[k] = ev.Data[k]
	}
	out = append(out, min)
	for _, st := range statuses[ev.Type] {
		d := map[string]any{}
		for k, v := range ev.Data {
			d[k] = v
		}
		d["status"] = st
		out = append(out, d)
	}
	return out
}

func describe(data map[string]any) string {
	keys := make([]string, 0, len(data))
	for k := range data {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := "data {" + strings.Join(keys, ",") + "}"
	if st, ok := data["status"]; ok {
		out += " status " + st.(string)
	}
	return out
}

func checkClassic(t *testing.T, what, channel, locale string, r *Rendered) {
	t.Helper()
	if r.Locale != locale {
		t.Errorf("%s: rendered locale %s", what, r.Locale)
	}
	if strings.TrimSpace(r.Text) == "" {
		t.Errorf("%s: empty text", what)
	}
	for _, part := range []string{r.Subject, r.Text, r.HTML} {
		if strings.Contains(part, "<no value>") || strings.Contains(part, "%!") || strings.Contains(part, "  ") {
			t.Errorf("%s: an empty value or a double space:\n%s", what, part)
		}
	}
	if !strings.Contains(r.Text, "Anna") {
		t.Errorf("%s: the customer's name is missing:\n%s", what, r.Text)
	}
	switch channel {
	case "email":
		if r.Subject == "" {
			t.Errorf("%s: no subject", what)
		}
	case "callback":
		return // the agent's talking points: the agent is told the tone
	case "sms":
		if n := len([]rune(r.Text)); n > 320 {
			t.Errorf("%s: %d characters, more than two SMS parts:\n%s", what, n, r.Text)
		}
	}
	checkTone(t, what, r)
}
