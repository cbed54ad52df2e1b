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
