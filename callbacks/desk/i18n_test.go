package desk

import (
	"fmt"
	"html/template"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aheadhq/ahead/internal/web"
)

// Every message has both languages, with the same arguments.
func TestCatalog(t *testing.T) {
	for _, p := range catalog.Problems() {
		t.Error(p)
	}
}

// Every message is used, and the pages and the code use no key the
// catalog lacks.
func TestCatalogKeysUsed(t *testing.T) {
	var src, pages strings.Builder
	for _, pattern := range []string{"*.go", "agent/*.html"} {
		files, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			text := string(b)
			// Not the catalog itself.
			if i := strings.Index(text, "var catalog = "); i >= 0 {
				j := strings.Index(text[i:], "\n}\n")
				text = text[:i] + text[i+j:]
			}
			src.WriteString(text)
			if strings.HasSuffix(f, ".html") {
				pages.WriteString(text)
			}
		}
	}
	text := src.String()
	// Keys made of a prefix and a value, such as "state_" + s.
	prefixes := []string{"state_", "outcome_", "hint_", "tone_", "kind_"}
	for _, key := range web.FormKeys {
		if _, ok := catalog[key]; !ok {
			t.Errorf("message %q, which web.ReadForm refuses with, is missing", key)
		}
	}
	for key := range catalog {
		if strings.Contains(text, `"`+key+`"`) || slices.Contains(web.FormKeys, key) {
			continue
		}
		dynamic := false
		for _, p := range prefixes {
			dynamic = dynamic || strings.HasPrefix(key, p) && strings.Contains(text, `"`+p+`"`)
		}
		if !dynamic {
			t.Errorf("message %q is not used", key)
		}
	}
	var keys []string
	for _, m := range regexp.MustCompile(`\bt "([^"]+)"`).FindAllStringSubmatch(pages.String(), -1) {
		keys = append(keys, m[1])
	}
	for _, m := range regexp.MustCompile(`\.T\("([^"]+)"[,)]`).FindAllStringSubmatch(text, -1) {
		keys = append(keys, m[1])
	}
	if len(keys) < 50 {
		t.Errorf("found %d keys in use: %q", len(keys), keys)
	}
	for _, key := range keys {
		if !has(key) {
			t.Errorf("%q is not in the catalog", key)
		}
	}
}

func TestDutchDates(t *testing.T) {
	ams, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		t.Fatal(err)
	}
	tue := time.Date(2026, 11, 24, 17, 0, 0, 0, ams)
	for _, c := range []struct {
		l      lang
		t      time.Time
		layout string
		want   string
	}{
		{nl, tue, "Mon 2 Jan 15:04 MST", "di 24 nov 17:00 CET"},
		{en, tue, "Mon 2 Jan 15:04 MST", "Tue 24 Nov 17:00 CET"},
		{nl, tue, "Mon 15:04 MST", "di 17:00 CET"},
		{nl, tue, "2 Jan 15:04", "24 nov 17:00"},
		{nl, time.Date(2027, 3, 7, 9, 5, 0, 0, ams), "Mon 2 Jan 15:04 MST", "zo 7 mrt 09:05 CET"},
		{nl, time.Date(2027, 5, 1, 9, 5, 0, 0, ams), "Mon 2 Jan 15:04 MST", "za 1 mei 09:05 CEST"},
		{nl, time.Date(2027, 10, 13, 9, 5, 0, 0, ams), "Mon 2 Jan", "wo 13 okt"},
	} {
		if got := c.l.format(c.t, c.layout); got != c.want {
			t.Errorf("%s %q: %q, want %q", c.l, c.layout, got, c.want)
		}
	}
	if got := nl.stamp(time.Time{}, ams); got != "—" {
		t.Errorf("no time: %q", got)
	}
	if got := nl.stampText("2026-11-24T09:30:00Z", ams); got != "di 24 nov 10:30 CET" {
		t.Errorf("stored time: %q", got)
	}
	if got := nl.stampText("yesterday", ams); got != "yesterday" {
		t.Errorf("other text: %q", got)
	}
}

func TestDaysAndDurations(t *testing.T) {
	for _, c := range []struct {
		l        lang
		in, want string
	}{
		{nl, "mon-fri 09:00-12:30", "ma-vr 09:00-12:30"},
		{nl, "sat,sun 10:00-14:00", "za,zo 10:00-14:00"},
		{nl, "daily", "dagelijks"},
		{nl, "always", "altijd"},
		{nl, "tue,thu 08:00-20:00", "di,do 08:00-20:00"},
		{en, "mon-fri 09:00-12:30", "mon-fri 09:00-12:30"},
	} {
		if got := c.l.days(c.in); got != c.want {
			t.Errorf("%s days(%q) = %q, want %q", c.l, c.in, got, c.want)
		}
	}
	for _, c := range []struct {
		d      time.Duration
		en, nl string
	}{
		{2 * time.Hour, "2h", "2 uur"},
		{24 * time.Hour, "1d", "1 dag"},
		{72 * time.Hour, "3d", "3 dagen"},
		{90 * time.Minute, "1h30m", "1 uur 30 min"},
		{26 * time.Hour, "1d2h", "1 dag 2 uur"},
		{15 * time.Minute, "15m", "15 min"},
		{0, "0s", "0 s"},
	} {
		if got := en.duration(c.d); got != c.en {
			t.Errorf("en %v: %q, want %q", c.d, got, c.en)
		}
		if got := nl.duration(c.d); got != c.nl {
			t.Errorf("nl %v: %q, want %q", c.d, got, c.nl)
		}
	}
}

// A message with markup escapes its arguments; others are escaped by the
// page.
func TestMarkupMessageEscapesArguments(t *testing.T) {
	tf := nl.funcs()["t"].(func(string, ...any) (any, error))
	got, err := tf("token_help_html", 12)
	if err != nil || !strings.Contains(fmt.Sprint(got), "<code>agent</code>") || !strings.Contains(fmt.Sprint(got), "12 uur lang") {
		t.Errorf("token_help_html: %v, %v", got, err)
	}
	if _, ok := got.(template.HTML); !ok {
		t.Errorf("token_help_html is %T, want template.HTML", got)
	}
	catalog["test_html"] = msg{"<b>%s</b>", "<b>%s</b>"}
	defer delete(catalog, "test_html")
	if got, _ := tf("test_html", "<script>"); got != template.HTML("<b>&lt;script&gt;</b>") {
		t.Errorf("test_html: %v", got)
	}
	if got, _ := tf("claim_next_from", "<b>"); got != "Volgende oppakken uit <b>" {
		t.Errorf("claim_next_from: %#v", got)
	}
	if _, err := tf("no such message"); err == nil {
		t.Error("an unknown message renders")
	}
}
