package web

import (
	"bytes"
	"html/template"
	"net/http"
	"strings"
)

// CSP is the Content-Security-Policy of every page: its style sheets,
// scripts and icons come from the server itself, forms post only to it,
// and no other site may frame it.
const CSP = "default-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// Headers sets the headers of an HTML page in l: its type, no caching,
// the Content-Security-Policy csp (CSP when empty), a same-origin
// referrer, and its language.
func Headers(w http.ResponseWriter, l Lang, csp string) {
	if csp == "" {
		csp = CSP
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", csp)
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Content-Language", string(l))
	h.Add("Vary", "Accept-Language")
}

// Secure reports whether the browser reached the server over HTTPS,
// directly or through a proxy that says so.
func Secure(r *http.Request) bool {
	return r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

// SetCookie sets a session cookie that only path and below get, never
// scripts or other sites; maxAge below zero deletes it.
func SetCookie(w http.ResponseWriter, r *http.Request, name, value, path string, maxAge int) {
	http.SetCookie(w, &http.Cookie{
		Name: name, Value: value, Path: path, MaxAge: maxAge,
		HttpOnly: true, Secure: Secure(r), SameSite: http.SameSiteStrictMode,
	})
}

// Render writes the page name of t with data, in l, with code and the
// headers of Headers. A template that fails writes nothing and returns
// the error, for the caller to answer 500.
func Render(w http.ResponseWriter, t *template.Template, name string, data any, l Lang, csp string, code int) error {
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, name, data); err != nil {
		return err
	}
	Headers(w, l, csp)
	w.WriteHeader(code)
	_, err := w.Write(buf.Bytes())
	return err
}

// PlainError answers code with msg, a line of text in l.
func PlainError(w http.ResponseWriter, l Lang, code int, msg string) {
	w.Header().Set("Content-Language", string(l))
	w.Header().Add("Vary", "Accept-Language")
	http.Error(w, msg, code)
}

// crossOrigin rejects form posts from other sites.
var crossOrigin = http.NewCrossOriginProtection()

// SameOrigin reports, as an error, a form post that comes from another
// site.
func SameOrigin(r *http.Request) error { return crossOrigin.Check(r) }

// FormKeys are the catalog keys of the messages ReadForm refuses with:
// every page's catalog has them.
var FormKeys = []string{"cross_site", "bad_form"}

// ReadForm checks that a form post comes from the page's own site and
// parses its body, at most max bytes. A refusal comes back as the HTTP status
// and the catalog key of its message ("cross_site", "bad_form") with the
// message's arguments; code is 0 when the form was read.
func ReadForm(w http.ResponseWriter, r *http.Request, max int64) (code int, key string, args []any) {
	if SameOrigin(r) != nil {
		return http.StatusForbidden, "cross_site", nil
	}
	r.Body = http.MaxBytesReader(w, r.Body, max)
	if err := r.ParseForm(); err != nil {
		return http.StatusBadRequest, "bad_form", []any{err}
	}
	return 0, "", nil
}
