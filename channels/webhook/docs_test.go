package webhook_test

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aheadhq/ahead/channels/webhook"
)

// TestDocsSignature checks the worked example of docs/webhook.md, which
// receivers test their own check against.
func TestDocsSignature(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile("../../docs/webhook.md")
	if err != nil {
		t.Fatal(err)
	}
	body := `{"intervention_id":"iv_1","channel":"webhook","text":"Hoi Anna"}`
	if !strings.Contains(string(doc), "`"+body+"`") {
		t.Fatalf("docs/webhook.md lacks the example body %s", body)
	}
	want := "X-Ahead-Signature: " + webhook.Sign([]byte("whsec-0123456789abcdef"), time.Unix(1795425120, 0), []byte(body))
	if !strings.Contains(string(doc), want) {
		t.Errorf("docs/webhook.md lacks the line %q", want)
	}
}
