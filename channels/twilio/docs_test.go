package twilio_test

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aheadhq/ahead/channels/twilio"
)

var update = flag.Bool("update", false, "rewrite the error table in docs/twilio.md from twilio.Classes")

const (
	docsFile   = "../../docs/twilio.md"
	tableBegin = "<!-- errors:begin (generated from twilio.Classes: go test ./channels/twilio -run TestDocs -update) -->"
	tableEnd   = "<!-- errors:end -->"
)

// errorTable renders Classes as the Markdown table of the docs.
func errorTable() string {
	var b strings.Builder
	b.WriteString("| code | meaning | class |\n| --- | --- | --- |\n")
	for _, c := range twilio.Classes {
		class := "transient: retried with backoff"
		if c.Permanent {
			class = "permanent: no retry, next channel"
		}
		label := c.Label()
		if _, ok := twilio.Lookup(c.Code); ok {
			label = fmt.Sprintf("[%d](https://www.twilio.com/docs/errors/%d)", c.Code, c.Code)
		}
		fmt.Fprintf(&b, "| %s | %s | %s |\n", label, c.Meaning, class)
	}
	return b.String()
}

// TestDocsErrorTable checks that docs/twilio.md shows exactly the table
// Send and the webhook use. Run with -update to rewrite it.
func TestDocsErrorTable(t *testing.T) {
	data, err := os.ReadFile(filepath.FromSlash(docsFile))
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	before, rest, ok := strings.Cut(doc, tableBegin+"\n")
	if !ok {
		t.Fatalf("%s lacks the line %s", docsFile, tableBegin)
	}
	table, after, ok := strings.Cut(rest, tableEnd)
	if !ok {
		t.Fatalf("%s lacks the line %s", docsFile, tableEnd)
	}
	want := errorTable()
	if *update {
		if err := os.WriteFile(filepath.FromSlash(docsFile), []byte(before+tableBegin+"\n"+want+tableEnd+after), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if table != want {
		t.Errorf("the error table in %s is not the one of twilio.Classes; run go test ./channels/twilio -run TestDocs -update\ngot:\n%s\nwant:\n%s", docsFile, table, want)
	}
	for _, c := range twilio.Classes {
		if !strings.Contains(table, "| "+c.Label()+" |") && !strings.Contains(table, fmt.Sprintf("[%d]", c.Code)) {
			t.Errorf("%s does not list %s", docsFile, c.Label())
		}
	}
}
