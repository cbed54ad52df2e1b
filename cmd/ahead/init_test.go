package main

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// tree lists the files under dir, slash-separated and sorted, leaving out
// Go files.
func tree(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(p, ".go") {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		out = append(out, filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

func TestFlowsInitList(t *testing.T) {
	out, _, err := runCmd("flows", "init", "--list")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"payment-failed", "payment-failed-call", "status-updates", "new-subscriber", "day2-reassurance-call",
		"Payment failed: help the customer pay before it becomes a problem."} {
		if !strings.Contains(out, want) {
			t.Errorf("--list lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "queues") {
		t.Errorf("--list shows queues.yaml as a classic:\n%s", out)
	}
}

// Without --classic, init copies the whole library: the same files as
// flows/classics, and the copy is a valid flow folder.
func TestFlowsInitAll(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "flows")
	out, _, err := runCmd("flows", "init", dir)
	if err != nil {
		t.Fatalf("init: %v\n%s", err, out)
	}
	if got, want := tree(t, dir), tree(t, "../../flows/classics"); !slices.Equal(got, want) {
		t.Errorf("copied %v\nwant %v", got, want)
	}
	if !strings.Contains(out, "15 flows valid") {
		t.Errorf("output:\n%s", out)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "templates", "payment-failed.email.en.tmpl"))
	orig, _ := os.ReadFile("../../flows/classics/templates/payment-failed.email.en.tmpl")
	if string(b) != string(orig) {
		t.Error("a copied template differs from the library's")
	}
}

// --classic copies a classic's flow file, the templates its steps use,
// queues.yaml when a step uses a callback queue, and the sample events of
// its trigger and cancel rules; a flow's name picks its classic too.
func TestFlowsInitPicks(t *testing.T) {
	dir := t.TempDir()
	if out, _, err := runCmd("flows", "init", "--classic", "payment-failed", dir, "--classic", "delivery-late"); err != nil {
		t.Fatalf("init: %v\n%s", err, out)
	}
	got := tree(t, dir)
	for _, want := range []string{
		"payment-failed.yaml", "delivery-late.yaml", "queues.yaml",
		"events/invoice-payment-failed.json", "events/invoice-paid.json", "events/order-delayed.json",
		"templates/payment-failed.email.nl.formal.tmpl", "templates/payment-failed.email.en.html.tmpl",
		"templates/payment-reminder.sms.en.tmpl", "templates/payment-failed-call.callback.nl.informal.tmpl",
		"templates/delivery-late.whatsapp.nl.informal.tmpl",
	} {
		if !slices.Contains(got, want) {
			t.Errorf("init lacks %s: %v", want, got)
		}
	}
	for _, p := range got {
		if strings.Contains(p, "outage") || strings.Contains(p, "first-invoice") || p == "new-subscriber.yaml" {
			t.Errorf("init copied %s, which the picked classics do not use", p)
		}
	}

	// No callback step, no queues.yaml.
	dir2 := t.TempDir()
	if _, _, err := runCmd("flows", "init", dir2, "--classic", "outage-update"); err != nil {
		t.Fatal(err)
	}
	if got := tree(t, dir2); slices.Contains(got, "queues.yaml") || !slices.Contains(got, "outage.yaml") {
		t.Errorf("outage-update picked %v, want outage.yaml without queues.yaml", got)
	}
}

// init never overwrites a file that differs unless --force; a file that
// is there as it would be written is fine.
func TestFlowsInitRefusesToOverwrite(t *testing.T) {
	dir := t.TempDir()
	if _, _, err := runCmd("flows", "init", dir, "--classic", "payment-failed"); err != nil {
		t.Fatal(err)
	}
	out, _, err := runCmd("flows", "init", dir, "--classic", "payment-failed")
	if err != nil || !strings.Contains(out, "wrote 0 of 17 files") {
		t.Fatalf("again: %v\n%s", err, out)
	}
	queues := filepath.Join(dir, "queues.yaml")
	edited := []byte("# my own queues\nqueues:\n  billing: {}\n")
	if err := os.WriteFile(queues, edited, 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, err = runCmd("flows", "init", dir, "--classic", "new-subscriber")
	if err == nil || !strings.Contains(err.Error(), queues) || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("init over an edited queues.yaml: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "new-subscriber.yaml")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a refused init wrote new-subscriber.yaml: %v", err)
	}
	if b, _ := os.ReadFile(queues); string(b) != string(edited) {
		t.Error("a refused init changed queues.yaml")
	}
	if out, _, err := runCmd("flows", "init", "--force", dir, "--classic", "new-subscriber"); err != nil {
		t.Fatalf("--force: %v\n%s", err, out)
	}
	orig, _ := os.ReadFile("../../flows/classics/queues.yaml")
	if b, _ := os.ReadFile(queues); string(b) != string(orig) {
		t.Error("--force did not write queues.yaml")
	}
}

func TestFlowsInitUsage(t *testing.T) {
	for _, args := range [][]string{
		{"flows", "init"},
		{"flows", "init", "a", "b"},
		{"flows", "init", t.TempDir(), "--classic", "no-such-classic"},
		{"flows", "init", "--colour"},
	} {
		if _, _, err := runCmd(args...); !errors.Is(err, errUsage) {
			t.Errorf("%v: err = %v, want a usage error", args, err)
		}
	}
}
