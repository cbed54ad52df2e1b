package web

import (
	"fmt"
	"html/template"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Lang is a language the pages speak, as a BCP 47 tag.
type Lang string

// The languages of the pages.
const (
	EN Lang = "en"
	NL Lang = "nl"
)

// LangOf returns the language of a request: Dutch when the browser's
// Accept-Language prefers it to English, English otherwise.
func LangOf(r *http.Request) Lang {
	return Negotiate(r.Header.Get("Accept-Language"))
}

// Negotiate picks the language from an Accept-Language header (RFC
// 9110): the supported language with the highest q-value, the earlier
// one on a tie; "*" stands for any language not named. A language with
// q=0 is refused. English when the header names neither.
func Negotiate(header string) Lang {
	type pick struct {
		q   float64
		pos int
	}
	best := map[Lang]pick{}
	wild := pick{q: -1}
	// A language takes the highest q of the ranges that name it: nl,
	// nl-NL and nl-BE all name Dutch.
	for pos, item := range strings.SplitN(header, ",", 64) {
		tag, params, _ := strings.Cut(item, ";")
		tag = strings.ToLower(strings.TrimSpace(tag))
		q, ok := qValue(params)
		if !ok || tag == "" {
			continue
		}
		if tag == "*" {
			if wild.q < 0 {
				wild = pick{q, pos}
			}
			continue
		}
		primary, _, _ := strings.Cut(tag, "-")
		l := Lang(primary)
		if l != EN && l != NL {
			continue
		}
		if p, seen := best[l]; !seen || q > p.q {
			best[l] = pick{q, pos}
		}
	}
	for _, l := range []Lang{EN, NL} {
		if _, seen := best[l]; !seen && wild.q >= 0 {
			best[l] = pick{wild.q, wild.pos}
		}
	}
	e, n := best[EN], best[NL]
	if n.q > 0 && (n.q > e.q || n.q == e.q && n.pos < e.pos) {
		return NL
	}
	return EN
}

// qValue reads the q parameter of an Accept-Language item; 1 when it has
// none. ok is false for a malformed value.
func qValue(params string) (q float64, ok bool) {
	q = 1
	for p := range strings.SplitSeq(params, ";") {
		k, v, _ := strings.Cut(p, "=")
		if !strings.EqualFold(strings.TrimSpace(k), "q") {
			continue
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || f < 0 || f > 1 {
			return 0, false
		}
		q = f
	}
	return q, true
}

// Msg is one message in both languages: English, then Dutch. Keys
// ending in _html hold markup; their arguments are escaped.
type Msg [2]string

// In returns the message in l.
func (m Msg) In(l Lang) string {
	if l == NL {
		return m[1]
	}
	return m[0]
}

// Catalog holds every word a page shows, by key, with fmt-style
// arguments: a page says {{t "claim_next_from" .Queue}}, a handler
// c.T(l, "claim_next_from", queue).
type Catalog map[string]Msg

// T returns the message key in l, formatted with args. A key the catalog
// lacks comes back as it is.
func (c Catalog) T(l Lang, key string, args ...any) string {
	m, ok := c[key]
	if !ok {
		return key
	}
	s := m.In(l)
	if len(args) == 0 {
		return s
	}
	return fmt.Sprintf(s, args...)
}

// Funcs are the template functions of pages in l: t for a message. A
// message whose key ends in _html is markup, with its arguments escaped;
// an unknown key fails the page.
func (c Catalog) Funcs(l Lang) template.FuncMap {
	return template.FuncMap{
		"t": func(key string, args ...any) (any, error) {
			if _, ok := c[key]; !ok {
				return nil, fmt.Errorf("no message %q", key)
			}
			if !strings.HasSuffix(key, "_html") {
				return c.T(l, key, args...), nil
			}
			esc := make([]any, len(args))
			for i, a := range args {
				switch a.(type) {
				case int, int64, float64:
					esc[i] = a
				default:
					esc[i] = template.HTMLEscapeString(fmt.Sprint(a))
				}
			}
			return template.HTML(c.T(l, key, esc...)), nil
		},
	}
}

var verb = regexp.MustCompile(`%[-+# 0]*[0-9]*([a-zA-Z%])`)

// verbs returns the verbs of a message, like "sd" for "%s has %d".
func verbs(s string) string {
	var out strings.Builder
	for _, m := range verb.FindAllStringSubmatch(s, -1) {
		if m[1] != "%" {
			out.WriteString(m[1])
		}
	}
	return out.String()
}

// Problems lists the messages that lack a language, whose languages take
// different arguments, or that do not format with arguments of their
// verbs' types.
func (c Catalog) Problems() []string {
	var out []string
	for key, m := range c {
		// Only a separator may be empty, as between the parts of a
		// duration in English.
		switch {
		case m[0] == "" && strings.TrimSpace(m[1]) != "" || m[1] == "" && strings.TrimSpace(m[0]) != "" || m[0]+m[1] == "":
			out = append(out, fmt.Sprintf("%s: en %q, nl %q", key, m[0], m[1]))
		case verbs(m[0]) != verbs(m[1]):
			out = append(out, fmt.Sprintf("%s: arguments %q in English, %q in Dutch", key, verbs(m[0]), verbs(m[1])))
		default:
			var args []any
			for _, v := range verbs(m[0]) {
				if v == 'd' {
					args = append(args, 1)
				} else {
					args = append(args, "x")
				}
			}
			for _, l := range []Lang{EN, NL} {
				if s := c.T(l, key, args...); strings.Contains(s, "%!") {
					out = append(out, fmt.Sprintf("%s in %s: %s", key, l, s))
				}
			}
		}
	}
	return out
}

var (
	dayNamesNL   = [7]string{"zo", "ma", "di", "wo", "do", "vr", "za"}
	monthNamesNL = [12]string{"jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec"}
	layoutToken  = regexp.MustCompile(`Mon|Jan`)
)

// Format formats t like t.Format(layout), with the names of days (Mon)
// and months (Jan) in l. Dutch writes them in lower case: "di 24 nov".
func Format(l Lang, t time.Time, layout string) string {
	if l != NL {
		return t.Format(layout)
	}
	var b strings.Builder
	rest := layout
	for {
		loc := layoutToken.FindStringIndex(rest)
		if loc == nil {
			b.WriteString(t.Format(rest))
			return b.String()
		}
		b.WriteString(t.Format(rest[:loc[0]]))
		if rest[loc[0]:loc[1]] == "Mon" {
			b.WriteString(dayNamesNL[t.Weekday()])
		} else {
			b.WriteString(monthNamesNL[t.Month()-1])
		}
		rest = rest[loc[1]:]
	}
}
