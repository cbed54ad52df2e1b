package reportpage

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aheadhq/ahead/internal/web"
)

// Every message has both languages with the same arguments, every
// message is used, and the pages and the code use no key the catalog
// lacks.
func TestCatalog(t *testing.T) {
	for _, p := range catalog.Problems() {
		t.Error(p)
	}
	var src, pages strings.Builder
	for _, pattern := range []string{"*.go", "reports/*.html"} {
		files, _ := filepath.Glob(pattern)
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") || f == "i18n.go" {
				continue
			}
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			src.Write(b)
			if strings.HasSuffix(f, ".html") {
				pages.Write(b)
			}
		}
	}
	text := src.String()
	// Keys made of a prefix and a value, such as "verdict_" + verdict.
	prefixes := []string{"goal_", "empty_", "verdict_", "bar_"}
	for _, key := range web.FormKeys {
		if _, ok := catalog[key]; !ok {
			t.Errorf("message %q, which web.ReadForm refuses with, is missing", key)
		}
	}
	for key := range catalog {
		used := strings.Contains(text, `"`+key+`"`) || slices.Contains(web.FormKeys, key)
		for _, p := range prefixes {
			used = used || strings.HasPrefix(key, p) && regexp.MustCompile(`"`+p+`" ?\+`).MatchString(text)
		}
		if !used {
			t.Errorf("message %q is not used", key)
		}
	}
	var keys []string
	for _, m := range regexp.MustCompile(`\bt "([^"]+)"`).FindAllStringSubmatch(pages.String(), -1) {
		keys = append(keys, m[1])
	}
	for _, m := range regexp.MustCompile(`\bt\("([^"]+)"[,)]`).FindAllStringSubmatch(text, -1) {
		keys = append(keys, m[1])
	}
	if len(keys) < 50 {
		t.Errorf("found %d keys in use: %q", len(keys), keys)
	}
	for _, key := range keys {
		if _, ok := catalog[key]; !ok {
			t.Errorf("%q is not in the catalog", key)
		}
	}
}
