package stripe_test

import (
	"os"
	"strings"
	"testing"

	"github.com/aheadhq/ahead/sources/stripe"
)

// TestDocsDefault checks that docs/stripe.md shows the default mapping as
// it is.
func TestDocsDefault(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile("../../docs/stripe.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(doc), "<!-- default:begin (sources/stripe/default.yaml) -->\n```yaml\n")
	if !ok {
		t.Fatal("docs/stripe.md lacks the default mapping block")
	}
	shown, _, ok := strings.Cut(rest, "```\n<!-- default:end -->")
	if !ok {
		t.Fatal("docs/stripe.md lacks the end of the default mapping block")
	}
	if shown != string(stripe.DefaultYAML()) {
		t.Error("docs/stripe.md shows another default mapping than sources/stripe/default.yaml")
	}
	for _, typ := range stripe.Default().Types() {
		if !strings.Contains(string(doc), "| `"+typ+"` |") {
			t.Errorf("the table of docs/stripe.md lacks %s", typ)
		}
	}
}
