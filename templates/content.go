package templates

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	texttemplate "text/template"

	"gopkg.in/yaml.v3"

	"github.com/aheadhq/ahead/flows"
	"github.com/aheadhq/ahead/internal/yamlx"
)

// ContentSuffix ends the name of a WhatsApp content template file. Load
// leaves these files to LoadContent.
const ContentSuffix = ".content.yaml"

// contentFormat is the content file name pattern, as shown in messages.
const contentFormat = "NAME.whatsapp.LOCALE[.FORMALITY].content.yaml"

var (
	contentSIDPattern   = regexp.MustCompile(`^HX[0-9a-fA-F]{32}$`)
	variableNamePattern = regexp.MustCompile(`^[A-Za-z0-9_]{1,64}$`)
	// templatePosition reads "template: NAME:LINE:" or "NAME:LINE:" (and
	// an optional column) from the start of a text/template message.
	templatePosition = regexp.MustCompile(`^(?:template: )?[^:]*:(\d+):(?:\d+:)? ?`)
)

// Content is a rendered WhatsApp content template: an approved template's
// SID and the values of its variables, ready for Twilio's ContentSid and
// ContentVariables.
type Content struct {
	SID       string
	Variables map[string]string
	// Locale and Formality are the variant that was used; Formality is
	// empty when the file names none.
	Locale    string
	Formality string
}

// ContentSet holds the WhatsApp content templates of a flow folder. A nil
// ContentSet has none. It is safe for concurrent use.
type ContentSet struct {
	dir      string // as shown in messages: "templates"
	variants map[contentKey]*contentVariant
	names    map[string]bool
}

type contentKey struct{ name, locale, formality string }

type contentVariant struct {
	file              string // as shown in messages
	locale, formality string
	sid               string
	vars              []contentVar
	problems          []error // unknown fields, for Check
}

type contentVar struct {
	name string
	line int // the value's first line in the file
	tmpl *texttemplate.Template
}

// LoadContent reads the WhatsApp content templates in dir, a flow folder's
// templates/ directory: the files named
// NAME.whatsapp.LOCALE[.FORMALITY].content.yaml, such as
//
//	content_sid: HXb5b62575e6e4ff6129ad7c8efe1f983e
//	variables:
//	  "1": "{{.Customer.Name}}"
//	  "2": "{{with index .Event.Data \"first_invoice\"}}{{.amount}}{{end}}"
//
// content_sid is the approved template's SID in Twilio's Content API;
// variables are its ContentVariables, each value a Go template over the
// same data as a .tmpl file. Other files are left to Load, and a missing
// folder is an empty ContentSet. The YAML is read strictly: an unknown or
// repeated key, a missing or malformed content_sid and a template that
// does not parse are errors, one per line, naming the file and line as
// "templates/FILE.content.yaml:LINE: …".
func LoadContent(dir string) (*ContentSet, error) {
	c := &ContentSet{
		dir:      filepath.Base(dir),
		variants: map[contentKey]*contentVariant{},
		names:    map[string]bool{},
	}
	entries, err := readFolder(dir)
	if err != nil {
		return nil, fmt.Errorf("read content templates: %w", err)
	}
	var errs []error
	for _, e := range entries {
		base := e.Name()
		if strings.HasPrefix(base, ".") || e.IsDir() || !strings.HasSuffix(base, ContentSuffix) {
			continue
		}
		shown := c.shown(base)
		f, err := parseContentName(base)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", shown, err))
			continue
		}
		raw, err := os.ReadFile(filepath.Join(dir, base))
		if err != nil {
			errs = append(errs, fmt.Errorf("read content template: %w", err))
			continue
		}
		v, ferrs := parseContent(shown, f, raw)
		errs = append(errs, ferrs...)
		if len(ferrs) == 0 {
			c.variants[f.key()] = v
		}
		c.names[f.name] = true
	}
	if err := joinSorted(errs); err != nil {
		return nil, err
	}
	return c, nil
}

// shown is how a file is named in messages: templates/x.whatsapp.nl.content.yaml.
func (c *ContentSet) shown(base string) string { return shownIn(c.dir, base) }

// contentName is a content template file name taken apart.
type contentName struct{ name, locale, formality string }

func (f contentName) key() contentKey { return contentKey(f) }

// String returns the file name, e.g. first-invoice.whatsapp.nl.content.yaml.
func (f contentName) String() string {
	s := f.name + "." + flows.WhatsApp + "." + f.locale
	if f.formality != "" {
		s += "." + f.formality
	}
	return s + ContentSuffix
}

// parseContentName reads a name such as
// first-invoice-explainer.whatsapp.nl.informal.content.yaml.
func parseContentName(base string) (contentName, error) {
	var f contentName
	rest, ok := strings.CutSuffix(base, ContentSuffix)
	if !ok {
		return f, fmt.Errorf("not a content template file (want %s)", contentFormat)
	}
	parts := strings.Split(rest, ".")
	if len(parts) != 3 && len(parts) != 4 {
		return f, fmt.Errorf("bad content template file name (want %s)", contentFormat)
	}
	f.name, f.locale = parts[0], parts[2]
	if len(parts) == 4 {
		f.formality = parts[3]
	}
	if !namePattern.MatchString(f.name) {
		return f, fmt.Errorf("template name %q may hold only a-z, 0-9, \"-\" and \"_\"", f.name)
	}
	if parts[1] != flows.WhatsApp {
		return f, fmt.Errorf("content templates are for channel %q only, not %q", flows.WhatsApp, parts[1])
	}
	if !localePattern.MatchString(f.locale) {
		return f, fmt.Errorf("locale %q is not like nl, en or en-GB", f.locale)
	}
	if len(parts) == 4 && f.formality != Informal && f.formality != Formal {
		return f, fmt.Errorf("formality %q is not %s or %s", f.formality, Informal, Formal)
	}
	return f, nil
}

// parseContent reads one content template file strictly.
func parseContent(shown string, f contentName, raw []byte) (*contentVariant, []error) {
	v := &contentVariant{file: shown, locale: f.locale, formality: f.formality}
	var errs []error
	errf := func(line int, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s:%d: %s", shown, line, fmt.Sprintf(format, args...)))
	}

	dec := yaml.NewDecoder(bytes.NewReader(raw))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			errf(1, "empty file; want content_sid and variables")
		} else {
			line, msg := yamlx.Line(err)
			errf(line, "invalid YAML: %s", msg)
		}
		return nil, errs
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		line := extra.Line
		if err != nil {
			line, _ = yamlx.Line(err)
		}
		errf(line, "one YAML document only")
		return nil, errs
	}
	root := yamlx.Resolve(&doc)
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = yamlx.Resolve(root.Content[0])
	}
	if root.Kind != yaml.MappingNode {
		errf(root.Line, "want a mapping with content_sid and variables")
		return nil, errs
	}

	seen := map[string]int{}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, val := root.Content[i], yamlx.Resolve(root.Content[i+1])
		if first, ok := seen[k.Value]; ok {
			errf(k.Line, "%s given twice (first at line %d)", k.Value, first)
			continue
		}
		seen[k.Value] = k.Line
		switch k.Value {
		case "content_sid":
			switch {
			case val.Kind != yaml.ScalarNode || val.Tag == "!!null":
				errf(val.Line, "content_sid: want the template's SID, HX followed by 32 hexadecimal digits")
			case !contentSIDPattern.MatchString(val.Value):
				errf(val.Line, "content_sid: %q is not a content SID (HX followed by 32 hexadecimal digits)", val.Value)
			default:
				v.sid = val.Value
			}
		case "variables":
			if val.Kind == yaml.ScalarNode && val.Tag == "!!null" {
				continue
			}
			if val.Kind != yaml.MappingNode {
				errf(val.Line, "variables: want a mapping of variable names to values")
				continue
			}
			errs = append(errs, v.parseVariables(val)...)
		default:
			errf(k.Line, "unknown key %q (want content_sid, variables)", k.Value)
		}
	}
	if _, ok := seen["content_sid"]; !ok {
		errf(root.Line, "content_sid: required")
	}
	slices.SortFunc(v.vars, func(a, b contentVar) int { return strings.Compare(a.name, b.name) })
	return v, errs
}

// parseVariables parses the values of the variables mapping n as templates.
func (v *contentVariant) parseVariables(n *yaml.Node) []error {
	var errs []error
	errf := func(line int, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s:%d: %s", v.file, line, fmt.Sprintf(format, args...)))
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], yamlx.Resolve(n.Content[i+1])
		field := "variables." + k.Value
		if first, ok := seen[k.Value]; ok {
			errf(k.Line, "%s given twice (first at line %d)", field, first)
			continue
		}
		seen[k.Value] = k.Line
		if !variableNamePattern.MatchString(k.Value) {
			errf(k.Line, "variable name %q may hold only letters, digits and \"_\"", k.Value)
			continue
		}
		if val.Kind != yaml.ScalarNode || val.Tag == "!!null" || strings.TrimSpace(val.Value) == "" {
			errf(val.Line, "%s: want a text (a Go template)", field)
			continue
		}
		// A block scalar's text starts on the line after its indicator.
		first := val.Line
		if val.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
			first++
		}
		t, err := newText(k.Value, v.locale).Parse(val.Value)
		if err != nil {
			rel, msg := templateError(err)
			errf(first+rel-1, "%s: %s", field, msg)
			continue
		}
		for _, p := range checkFields(k.Value, val.Value, t.Tree) {
			rel, msg := templateError(p)
			v.problems = append(v.problems, fmt.Errorf("%s:%d: %s: %s", v.file, first+rel-1, field, msg))
		}
		v.vars = append(v.vars, contentVar{name: k.Value, line: first, tmpl: t})
	}
	return errs
}

// templateError splits a text/template message into the line it names
// within the template (1 when none) and the rest.
func templateError(err error) (int, string) {
	msg := err.Error()
	m := templatePosition.FindStringSubmatch(msg)
	if m == nil {
		return 1, msg
	}
	line, _ := strconv.Atoi(m[1])
	return max(line, 1), msg[len(m[0]):]
}

// Names returns the names of all content templates, sorted.
func (c *ContentSet) Names() []string {
	if c == nil {
		return nil
	}
	names := make([]string, 0, len(c.names))
	for n := range c.names {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Has reports whether some file serves content template name.
func (c *ContentSet) Has(name string) bool {
	return c != nil && c.names[name]
}

// Check reports whether a WhatsApp step may use content template name:
// there must be a variant, and no variable may use a field that Data does
// not have. `ahead flows validate` calls it for WhatsApp steps whose
// template has content files.
func (c *ContentSet) Check(name string) error {
	if !c.Has(name) {
		want := contentName{name: name, locale: "LOCALE"}.String()
		if c == nil {
			return fmt.Errorf("unknown content template %q (want templates/%s)", name, want)
		}
		return fmt.Errorf("unknown content template %q (want %s)", name, c.shown(want))
	}
	var errs []error
	for k, v := range c.variants {
		if k.name == name {
			errs = append(errs, v.problems...)
		}
	}
	return joinSorted(errs)
}

// Render renders content template name for a customer's locale and
// formality, looking up the variant in the same order as Set.Render: for
// locale en-GB, formality formal and default locale nl
//
//	en-GB.formal, en-GB, en.formal, en, nl.formal, nl
//
// When none exists the error wraps ErrNoVariant and names the files tried.
// Each variable's text has its runs of white space (line breaks among
// them) made single spaces, as WhatsApp refuses line breaks, tabs and long
// runs of spaces in a variable; a variable that renders empty is an error
// naming the file and line, as WhatsApp refuses empty variables too.
func (c *ContentSet) Render(name, locale, formality, defaultLocale string, d Data) (*Content, error) {
	formality = strings.ToLower(strings.TrimSpace(formality))
	if formality != "" && formality != Informal && formality != Formal {
		return nil, fmt.Errorf("render content template %q: formality %q is not %s or %s", name, formality, Informal, Formal)
	}
	v, err := c.lookup(name, normalizeLocale(locale), formality, normalizeLocale(defaultLocale))
	if err != nil {
		return nil, err
	}
	if d.Customer == nil {
		d.Customer = &flows.Customer{}
	}
	if d.Event == nil {
		d.Event = &flows.Event{}
	}
	out := &Content{SID: v.sid, Variables: make(map[string]string, len(v.vars)), Locale: v.locale, Formality: v.formality}
	var b strings.Builder
	for _, cv := range v.vars {
		b.Reset()
		if err := cv.tmpl.Execute(&b, d); err != nil {
			rel, msg := templateError(err)
			msg = strings.Replace(msg, fmt.Sprintf("executing %q ", cv.name), "", 1)
			return nil, &fileError{
				msg: fmt.Sprintf("render content template: %s:%d: variables.%s: %s", v.file, cv.line+rel-1, cv.name, msg),
				err: err,
			}
		}
		text := strings.Join(strings.Fields(b.String()), " ")
		if text == "" {
			return nil, fmt.Errorf("render content template: %s:%d: variables.%s: renders empty; WhatsApp refuses empty variables", v.file, cv.line, cv.name)
		}
		out.Variables[cv.name] = text
	}
	return out, nil
}

// lookup finds the variant for a customer: see Render.
func (c *ContentSet) lookup(name, locale, formality, defaultLocale string) (*contentVariant, error) {
	var tried []string
	for _, ch := range fallback(locale, formality, defaultLocale) {
		if c != nil {
			if v := c.variants[contentKey{name, ch.locale, ch.formality}]; v != nil {
				return v, nil
			}
		}
		tried = append(tried, contentName{name: name, locale: ch.locale, formality: ch.formality}.String())
	}
	if len(tried) == 0 {
		return nil, fmt.Errorf("render content template %q: no locale and no default locale: %w", name, ErrNoVariant)
	}
	return nil, fmt.Errorf("render content template %q: %w (tried %s)", name, ErrNoVariant, strings.Join(tried, ", "))
}
