package templates

import (
	"cmp"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	texttemplate "text/template"

	"github.com/aheadhq/ahead/flows"
)

// Data is what a template sees: .Customer, .Event (with .Event.Data), .Flow
// and .Step. A nil Customer or Event renders as an empty one.
type Data struct {
	Customer *flows.Customer
	Event    *flows.Event
	Flow     FlowInfo
	Step     StepInfo
}

// FlowInfo is the flow a template is rendered for.
type FlowInfo struct {
	Name        string
	Description string
}

// StepInfo is the step a template is rendered for.
type StepInfo struct {
	ID string
}

// Rendered is a rendered template, ready to become a channels.Message.
type Rendered struct {
	// Subject is the email subject; empty for other channels.
	Subject string
	// Text is the plain body (for a callback: the agent's talking points).
	Text string
	// HTML is the HTML body when the variant has an .html.tmpl twin.
	HTML string
	// Locale and Formality are the variant that was used; Formality is
	// empty when the file names none.
	Locale    string
	Formality string
}

// ErrNoVariant reports that no file serves a template for a channel and
// locale.
var ErrNoVariant = errors.New("no template variant")

// Set holds every template of a flow folder. It is safe for concurrent use.
type Set struct {
	dir      string // as shown in messages: "templates"
	variants map[key]*variant
	names    map[string]bool
}

type key struct{ name, channel, locale, formality string }

type variant struct {
	locale, formality string
	subject           *texttemplate.Template
	text              *texttemplate.Template
	html              *htmltemplate.Template
	problems          []error // unknown fields, for Check
}

// Load reads every template in dir, a flow folder's templates/ directory.
// A missing folder is an empty Set. Files whose name starts with a dot are
// skipped; any other file must be a template named
// NAME.CHANNEL.LOCALE[.FORMALITY][.html].tmpl that parses. Every problem is
// reported, one per line, naming the file (and line) as
// "templates/FILE.tmpl:LINE: …".
func Load(dir string) (*Set, error) {
	s := &Set{
		dir:      filepath.Base(dir),
		variants: map[key]*variant{},
		names:    map[string]bool{},
	}
	entries, err := readFolder(dir)
	if err != nil {
		return nil, fmt.Errorf("read templates: %w", err)
	}
	var errs []error
	type twin struct {
		f     fileName
		html  *htmltemplate.Template
		probs []error
	}
	var twins []twin
	for _, e := range entries {
		base := e.Name()
		if strings.HasPrefix(base, ".") || strings.HasSuffix(base, ContentSuffix) && !e.IsDir() {
			continue // hidden, or a WhatsApp content template (LoadContent)
		}
		shown := s.shown(base)
		if e.IsDir() {
			errs = append(errs, fmt.Errorf("%s: a folder; templates must sit directly in %s/", shown, s.dir))
			continue
		}
		f, err := parseFileName(base)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", shown, err))
			continue
		}
		raw, err := os.ReadFile(filepath.Join(dir, base))
		if err != nil {
			errs = append(errs, fmt.Errorf("read template: %w", err))
			continue
		}
		src := strings.ReplaceAll(string(raw), "\r\n", "\n")
		if f.html {
			h, probs, err := parseHTML(shown, f.locale, src)
			errs = append(errs, err)
			if err == nil {
				twins = append(twins, twin{f, h, probs})
			}
			continue
		}
		v, err := parseText(shown, f, src)
		if err != nil {
			errs = append(errs, err)
		}
		// A broken file still has an entry (nil), so that its HTML twin
		// is not also reported as an orphan.
		s.variants[f.key()] = v
		s.names[f.name] = true
	}
	for _, t := range twins {
		v, ok := s.variants[t.f.key()]
		if !ok {
			text := t.f
			text.html = false
			errs = append(errs, fmt.Errorf("%s: HTML twin without its text template %s",
				s.shown(t.f.String()), s.shown(text.String())))
			continue
		}
		if v != nil {
			v.html = t.html
			// Unknown fields in the twin are reported with its variant.
			v.problems = append(v.problems, t.probs...)
		}
	}
	if err := joinSorted(errs); err != nil {
		return nil, err
	}
	return s, nil
}

func (f fileName) key() key { return key{f.name, f.channel, f.locale, f.formality} }

// shown is how a file is named in messages: templates/x.email.nl.tmpl.
func (s *Set) shown(base string) string { return shownIn(s.dir, base) }

// shownIn names file base of the folder dir in messages, with slashes.
func shownIn(dir, base string) string { return path.Join(filepath.ToSlash(dir), base) }

// readFolder lists a templates folder; a missing one is empty.
func readFolder(dir string) ([]os.DirEntry, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	return entries, err
}

// parseText parses a text template file; an email file must start with a
// Subject line and a blank line.
func parseText(shown string, f fileName, src string) (*variant, error) {
	v := &variant{locale: f.locale, formality: f.formality}
	body := src
	if f.channel == flows.Email {
		first, rest, _ := strings.Cut(src, "\n")
		subj, ok := strings.CutPrefix(first, "Subject:")
		if !ok {
			return nil, fmt.Errorf("%s:1: an email template must start with a \"Subject: …\" line", shown)
		}
		if strings.TrimSpace(subj) == "" {
			return nil, fmt.Errorf("%s:1: empty Subject line", shown)
		}
		blank, rest, _ := strings.Cut(rest, "\n")
		if strings.TrimSpace(blank) != "" {
			return nil, fmt.Errorf("%s:2: want a blank line after the Subject line", shown)
		}
		t, err := newText(shown, f.locale).Parse(strings.TrimSpace(subj))
		if err != nil {
			return nil, cleanError(err)
		}
		v.subject = t
		v.problems = append(v.problems, checkFields(shown, subj, t.Tree)...)
		// Two empty lines stand in for the header, so that line numbers
		// in messages are the file's.
		body = "\n\n" + rest
	}
	t, err := newText(shown, f.locale).Parse(body)
	if err != nil {
		return nil, cleanError(err)
	}
	v.text = t
	v.problems = append(v.problems, checkFields(shown, body, t.Tree)...)
	return v, nil
}

func newText(name, locale string) *texttemplate.Template {
	return texttemplate.New(name).Option("missingkey=error").Funcs(funcs(locale))
}

// parseHTML parses an HTML twin and escapes it at once, so that a context
// error (an action that cannot be escaped safely) shows at load time.
func parseHTML(shown, locale, src string) (*htmltemplate.Template, []error, error) {
	h, err := htmltemplate.New(shown).Option("missingkey=error").Funcs(funcs(locale)).Parse(src)
	if err != nil {
		return nil, nil, cleanError(err)
	}
	probs := checkFields(shown, src, h.Tree)
	// Executing escapes the template first; an escaping error is a
	// *htmltemplate.Error, while errors from the empty data are not.
	var escErr *htmltemplate.Error
	if err := h.Execute(io.Discard, emptyData()); errors.As(err, &escErr) {
		return nil, nil, cleanError(err)
	}
	return h, probs, nil
}

func emptyData() Data {
	return Data{Customer: &flows.Customer{}, Event: &flows.Event{}}
}

// Names returns the names of all templates, sorted.
func (s *Set) Names() []string {
	names := make([]string, 0, len(s.names))
	for n := range s.names {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Has reports whether some file serves template name on channel.
func (s *Set) Has(name, channel string) bool {
	for k := range s.variants {
		if k.name == name && k.channel == channel {
			return true
		}
	}
	return false
}

// Check reports whether a step may use template name on channel: there must
// be at least one variant for that channel, and no variant may use a field
// that Data does not have. `ahead flows validate` calls it for every step.
func (s *Set) Check(name, channel string) error {
	want := fmt.Sprintf("%s.%s.LOCALE.tmpl", name, channel)
	var errs []error
	found := false
	for k, v := range s.variants {
		if k.name == name && k.channel == channel {
			found = true
			errs = append(errs, v.problems...)
		}
	}
	if !found {
		if !s.names[name] {
			return fmt.Errorf("unknown template %q (want %s)", name, s.shown(want))
		}
		return fmt.Errorf("template %q has no variant for channel %q (want %s)", name, channel, s.shown(want))
	}
	return joinSorted(errs)
}

// Render renders template name for channel in the customer's locale and
// formality. The caller resolves an empty customer formality to the
// configured default before calling; an empty formality here matches only
// files that name none.
//
// The variant is looked up in this order, for locale en-GB, formality
// formal and default locale nl:
//
//	en-GB.formal, en-GB, en.formal, en, nl.formal, nl
//
// When none exists the error wraps ErrNoVariant and names the files tried.
// A missing key (.Event.Data.plan on an event without a plan) is an error
// naming the file and line; use {{with index .Event.Data "plan"}} for data
// that may be absent.
func (s *Set) Render(name, channel, locale, formality, defaultLocale string, d Data) (*Rendered, error) {
	formality = strings.ToLower(strings.TrimSpace(formality))
	if formality != "" && formality != Informal && formality != Formal {
		return nil, fmt.Errorf("render template %q: formality %q is not %s or %s", name, formality, Informal, Formal)
	}
	v, err := s.lookup(name, channel, normalizeLocale(locale), formality, normalizeLocale(defaultLocale))
	if err != nil {
		return nil, err
	}
	if d.Customer == nil {
		d.Customer = &flows.Customer{}
	}
	if d.Event == nil {
		d.Event = &flows.Event{}
	}
	r := &Rendered{Locale: v.locale, Formality: v.formality}
	var b strings.Builder
	if v.subject != nil {
		if err := v.subject.Execute(&b, d); err != nil {
			return nil, renderError(err)
		}
		// A subject is one line, whatever the data holds.
		r.Subject = strings.Join(strings.Fields(b.String()), " ")
		b.Reset()
	}
	if err := v.text.Execute(&b, d); err != nil {
		return nil, renderError(err)
	}
	r.Text = strings.TrimRight(strings.TrimLeft(b.String(), "\n"), " \t\n")
	if v.html != nil {
		b.Reset()
		if err := v.html.Execute(&b, d); err != nil {
			return nil, renderError(err)
		}
		r.HTML = strings.TrimRight(b.String(), " \t\n")
	}
	return r, nil
}

// lookup finds the variant for a customer: see Render.
func (s *Set) lookup(name, channel, locale, formality, defaultLocale string) (*variant, error) {
	var tried []string
	for _, c := range fallback(locale, formality, defaultLocale) {
		if v := s.variants[key{name, channel, c.locale, c.formality}]; v != nil {
			return v, nil
		}
		tried = append(tried, fileName{name: name, channel: channel, locale: c.locale, formality: c.formality}.String())
	}
	if len(tried) == 0 {
		return nil, fmt.Errorf("render template %q for %s: no locale and no default locale: %w", name, channel, ErrNoVariant)
	}
	return nil, fmt.Errorf("render template %q for %s: %w (tried %s)", name, channel, ErrNoVariant, strings.Join(tried, ", "))
}

// choice is one locale and formality a lookup tries.
type choice struct{ locale, formality string }

// fallback lists, in order, the variants a lookup tries for a customer:
// the exact formality, then none, for the locale, its language, the
// default locale and its language.
func fallback(locale, formality, defaultLocale string) []choice {
	var locales []string
	for _, l := range []string{locale, language(locale), defaultLocale, language(defaultLocale)} {
		if l != "" && !slices.Contains(locales, l) {
			locales = append(locales, l)
		}
	}
	forms := []string{""}
	if formality != "" {
		forms = []string{formality, ""}
	}
	var out []choice
	for _, l := range locales {
		for _, f := range forms {
			out = append(out, choice{l, f})
		}
	}
	return out
}

// fileError is an error whose message was tidied for people; Unwrap
// returns the original.
type fileError struct {
	msg string
	err error
}

func (e *fileError) Error() string { return e.msg }
func (e *fileError) Unwrap() error { return e.err }

// cleanError turns "template: templates/x.tmpl:3: …" into
// "templates/x.tmpl:3: …".
func cleanError(err error) error {
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "template: ")
	msg = strings.TrimPrefix(msg, "html/template:")
	return &fileError{msg: msg, err: err}
}

// renderError turns text/template's
// `template: F:5:12: executing "F" at <.X>: …` into
// `render template: F:5:12: at <.X>: …`.
func renderError(err error) error {
	var ee texttemplate.ExecError
	msg := cleanError(err).Error()
	if errors.As(err, &ee) {
		msg = strings.Replace(msg, fmt.Sprintf("executing %q ", ee.Name), "", 1)
	}
	return &fileError{msg: "render template: " + msg, err: err}
}

// joinSorted joins errs (nil ones dropped) ordered by file and line, so
// that problems read top to bottom.
func joinSorted(errs []error) error {
	errs = slices.DeleteFunc(errs, func(e error) bool { return e == nil })
	slices.SortStableFunc(errs, func(a, b error) int {
		fa, la := position(a.Error())
		fb, lb := position(b.Error())
		return cmp.Or(cmp.Compare(fa, fb), cmp.Compare(la, lb))
	})
	return errors.Join(errs...)
}

// position reads "FILE:LINE: …" (or "FILE: …") from the start of msg.
func position(msg string) (file string, line int) {
	file, rest, _ := strings.Cut(msg, ":")
	digits := rest[:len(rest)-len(strings.TrimLeft(rest, "0123456789"))]
	line, _ = strconv.Atoi(digits)
	return file, line
}
