package api

import (
	"bytes"
	"html/template"
	"net/http"
	"strings"

	"github.com/aheadhq/ahead/internal/signed"
)

// unsubscribeText is what the unsubscribe pages say in one language and tone.
type unsubscribeText struct {
	Lang, Title, Ask, Button, Done, DoneText string
}

// unsubscribeTexts are the pages' words by locale and formality: Dutch with
// je (informal) and u (formal), and English.
var unsubscribeTexts = map[string]unsubscribeText{
	"nl.informal": {Lang: "nl", Title: "Afmelden", Ask: "Wil je deze berichten niet meer ontvangen?", Button: "Meld me af",
		Done: "Je bent afgemeld", DoneText: "Je krijgt deze berichten niet meer."},
	"nl.formal": {Lang: "nl", Title: "Afmelden", Ask: "Wilt u deze berichten niet meer ontvangen?", Button: "Meld mij af",
		Done: "U bent afgemeld", DoneText: "U ontvangt deze berichten niet meer."},
	"en": {Lang: "en", Title: "Unsubscribe", Ask: "Would you rather not get these messages?", Button: "Unsubscribe me",
		Done: "You are unsubscribed", DoneText: "You will get no more of these messages."},
}

// textFor picks the words for a customer's locale and formality: Dutch
// in the customer's tone (je unless formal), English otherwise.
func textFor(locale, formality string) unsubscribeText {
	if lang, _, _ := strings.Cut(strings.ToLower(locale), "-"); lang == "nl" {
		if formality == "formal" {
			return unsubscribeTexts["nl.formal"]
		}
		return unsubscribeTexts["nl.informal"]
	}
	return unsubscribeTexts["en"]
}

var unsubscribePages = template.Must(template.New("confirm").Parse(`<!doctype html>
<html lang="{{.Lang}}"><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<body style="font-family:sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem"><h1>{{.Title}}</h1>
<p>{{.Ask}}</p>
<form method="post"><input type="hidden" name="List-Unsubscribe" value="One-Click">
<button type="submit">{{.Button}}</button></form></body></html>
{{define "done"}}<!doctype html>
<html lang="{{.Lang}}"><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Done}}</title>
<body style="font-family:sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem"><h1>{{.Done}}</h1>
<p>{{.DoneText}}</p></body></html>
{{end}}`))

// unsubscribePage asks for confirmation, in the customer's language: mail
// scanners follow GET links, so only a POST unsubscribes (RFC 8058).
func (s *server) unsubscribePage(w http.ResponseWriter, r *http.Request) {
	cus, _, err := signed.Parse(s.o.SigningKey, r.PathValue("token"))
	if err != nil || len(s.o.SigningKey) == 0 {
		writeError(w, http.StatusNotFound, "unknown unsubscribe link")
		return
	}
	s.page(w, r, cus, "confirm")
}

// unsubscribe records the opt-out a signed link names.
func (s *server) unsubscribe(w http.ResponseWriter, r *http.Request) {
	cus, channel, err := signed.Parse(s.o.SigningKey, r.PathValue("token"))
	if err != nil || len(s.o.SigningKey) == 0 {
		writeError(w, http.StatusNotFound, "unknown unsubscribe link")
		return
	}
	if err := s.o.Engine.Unsubscribe(r.Context(), cus, channel); err != nil {
		s.internal(w, r, err)
		return
	}
	s.page(w, r, cus, "done")
}

// page writes an unsubscribe page in the language and tone of cus.
func (s *server) page(w http.ResponseWriter, r *http.Request, cus, name string) {
	locale, formality, err := s.o.Engine.Voice(r.Context(), cus)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	var buf bytes.Buffer
	if err := unsubscribePages.ExecuteTemplate(&buf, name, textFor(locale, formality)); err != nil {
		s.internal(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Language", textFor(locale, formality).Lang)
	_, _ = w.Write(buf.Bytes())
}
