package web

import (
	"strings"
	"testing"
)

func TestNegotiate(t *testing.T) {
	for _, c := range []struct {
		header string
		want   Lang
	}{
		{"", EN},
		{"nl", NL},
		{"nl-NL", NL},
		{"nl-BE", NL},
		{"NL-nl", NL},
		{"nl-NL,nl;q=0.9,en;q=0.8", NL},
		{"en-US,en;q=0.9,nl;q=0.8", EN},
		{"fr", EN},
		{"fr-FR,fr;q=0.9", EN},
		{"de", EN},
		{"*", EN},
		{"nld", EN},
		{"nlx-NL", EN},
		// The highest q wins, wherever it stands.
		{"en;q=0.5, nl;q=0.8", NL},
		{"nl;q=0.5, en", EN},
		{"nl;q=0.5, en;q=0.4", NL},
		{"fr, nl;q=0.5", NL},
		{"fr, en;q=0.8, nl;q=0.5", EN},
		{" nl-BE ; q=0.7 , en ; q=0.6 ", NL},
		{"en;Q=0.1, nl", NL},
		// On a tie the earlier one wins.
		{"nl, en", NL},
		{"en, nl", EN},
		{"en;q=0.8, nl;q=0.8", EN},
		{"nl;q=0.8, en-GB;q=0.8", NL},
		// q=0 refuses a language.
		{"nl;q=0", EN},
		{"nl;q=0, en;q=0", EN},
		{"nl;q=0.000", EN},
		{"en;q=0, nl;q=0.1", NL},
		{"nl-BE;q=0, nl", NL},
		// "*" stands for the languages not named.
		{"nl, *;q=0.5", NL},
		{"*;q=0.5, nl", NL},
		{"en;q=0, *", NL},
		{"nl;q=0, *", EN},
		{"*, nl", EN},
		// Malformed items are skipped.
		{"nl;q=2", EN},
		{"nl;q=-1", EN},
		{"nl;q=abc, en", EN},
		{"nl;q=abc", EN},
		{",,;q=1, nl", NL},
		{";;;", EN},
		{strings.Repeat("fr,", 200) + "nl", EN},
	} {
		if got := Negotiate(c.header); got != c.want {
			t.Errorf("Negotiate(%q) = %s, want %s", c.header, got, c.want)
		}
	}
}
