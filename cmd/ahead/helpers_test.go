package main

import (
	"bytes"
	"io"
	"mime/quotedprintable"
	"sort"
	"strings"
	"testing"
	"unicode"
)

func qpDecode(t *testing.T, b []byte) []byte {
	t.Helper()
	out, err := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(b)))
	if err != nil {
		t.Fatalf("quoted-printable: %v", err)
	}
	return out
}

func keys(m map[string]string) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// containsWord reports whether text has word as a whole word, any case.
func containsWord(text, word string) bool {
	for _, w := range strings.FieldsFunc(strings.ToLower(text), func(r rune) bool { return !unicode.IsLetter(r) }) {
		if w == word {
			return true
		}
	}
	return false
}
