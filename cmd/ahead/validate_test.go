package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// flows validate warns about a read of event.data without has() and still
// succeeds.
func TestValidateWarns(t *testing.T) {
	dir := t.TempDir()
	must(t, os.MkdirAll(filepath.Join(dir, "templates"), 0o755))
	must(t, os.WriteFile(filepath.Join(dir, "f.yaml"), []byte("flow: f\ntrigger:\n  event: a.b\n  if: event.data.plan != \"trial\"\nsteps:\n  - id: s\n    channel: email\n    template: hello\n"), 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "templates", "hello.email.nl.tmpl"), []byte("Subject: Hoi\n\nHoi\n"), 0o644))
	out, _, err := runCmd("flows", "validate", dir)
	want := "warning: " + filepath.Join(dir, "f.yaml") + ":4: trigger.if: reads event.data.plan without has(event.data.plan): for an event without plan the expression fails"
	if err != nil || !strings.Contains(out, want) || !strings.Contains(out, "1 flows valid") {
		t.Errorf("validate: %v\n%s\nwant a line %s", err, out, want)
	}
}
