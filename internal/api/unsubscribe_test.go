package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/aheadhq/ahead/internal/signed"
	"github.com/aheadhq/ahead/internal/store"
)

// The unsubscribe pages speak the customer's language, in the customer's
// tone: je or u in Dutch, and English.
func TestUnsubscribeSpeaksTheCustomersLanguage(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx := context.Background()
	for _, c := range []struct {
		cus, locale, formality string
		ask, done              string
	}{
		{"cus_je", "nl", "informal", "Wil je deze berichten niet meer ontvangen?", "Je bent afgemeld"},
		{"cus_u", "nl-NL", "formal", "Wilt u deze berichten niet meer ontvangen?", "U bent afgemeld"},
		{"cus_en", "en", "", "Would you rather not get these messages?", "You are unsubscribed"},
	} {
		if err := e.store.UpsertProfile(ctx, c.cus, store.Profile{"locale": c.locale, "formality": c.formality}); err != nil {
			t.Fatal(err)
		}
		path := "/v1/unsubscribe/" + signed.Token(signingKey, c.cus, "email")
		r := e.do("GET", path, "", "")
		if r.code != http.StatusOK || !strings.Contains(string(r.body), c.ask) {
			t.Errorf("%s: confirmation page %s, want %q", c.cus, r, c.ask)
		}
		r = e.do("POST", path, "", "")
		if r.code != http.StatusOK || !strings.Contains(string(r.body), c.done) {
			t.Errorf("%s: page after unsubscribing %s, want %q", c.cus, r, c.done)
		}
		lang := strings.SplitN(c.locale, "-", 2)[0]
		if got := r.header.Get("Content-Language"); got != lang {
			t.Errorf("%s: Content-Language %q, want %q", c.cus, got, lang)
		}
	}
}
