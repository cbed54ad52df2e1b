package templates

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/aheadhq/ahead/flows"
)

// Formalities a template file may name. A file without one is neutral: it
// serves every customer of its locale.
const (
	Informal = "informal"
	Formal   = "formal"
)

// fileFormat is the file name pattern, as shown in error messages.
const fileFormat = "NAME.CHANNEL.LOCALE[.FORMALITY][.html].tmpl"

var (
	namePattern   = regexp.MustCompile(`^[a-z0-9_-]+$`)
	localePattern = regexp.MustCompile(`^[a-z]{2,3}(-([A-Z]{2}|[0-9]{3}))?$`)
)

// fileName is a template file name taken apart.
type fileName struct {
	name, channel, locale, formality string
	html                             bool
}

// parseFileName reads a template file name such as
// first-invoice-explainer.email.nl.informal.html.tmpl.
func parseFileName(base string) (fileName, error) {
	var f fileName
	rest, ok := strings.CutSuffix(base, ".tmpl")
	if !ok {
		return f, fmt.Errorf("not a template file (want %s)", fileFormat)
	}
	rest, f.html = strings.CutSuffix(rest, ".html")
	parts := strings.Split(rest, ".")
	if len(parts) != 3 && len(parts) != 4 {
		return f, fmt.Errorf("bad template file name (want %s)", fileFormat)
	}
	f.name, f.channel, f.locale = parts[0], parts[1], parts[2]
	if len(parts) == 4 {
		f.formality = parts[3]
	}
	if !namePattern.MatchString(f.name) {
		return f, fmt.Errorf("template name %q may hold only a-z, 0-9, \"-\" and \"_\"", f.name)
	}
	if !flows.KnownChannel(f.channel) {
		return f, fmt.Errorf("unknown channel %q", f.channel)
	}
	if !localePattern.MatchString(f.locale) {
		return f, fmt.Errorf("locale %q is not like nl, en or en-GB", f.locale)
	}
	if len(parts) == 4 && f.formality != Informal && f.formality != Formal {
		return f, fmt.Errorf("formality %q is not %s or %s", f.formality, Informal, Formal)
	}
	if f.html && f.channel != flows.Email {
		return f, fmt.Errorf("an HTML twin is only used for channel %q", flows.Email)
	}
	return f, nil
}

// String returns the file name, e.g. first-invoice-explainer.email.nl.tmpl.
func (f fileName) String() string {
	var b strings.Builder
	b.WriteString(f.name + "." + f.channel + "." + f.locale)
	if f.formality != "" {
		b.WriteString("." + f.formality)
	}
	if f.html {
		b.WriteString(".html")
	}
	b.WriteString(".tmpl")
	return b.String()
}

// normalizeLocale turns what a producer may send (en_gb, EN-gb) into the
// form file names use (en-GB).
func normalizeLocale(s string) string {
	s = strings.ReplaceAll(strings.TrimSpace(s), "_", "-")
	lang, region, ok := strings.Cut(s, "-")
	if !ok {
		return strings.ToLower(lang)
	}
	return strings.ToLower(lang) + "-" + strings.ToUpper(region)
}

// language returns the language part of a locale: en for en-GB.
func language(locale string) string {
	lang, _, _ := strings.Cut(locale, "-")
	return lang
}
