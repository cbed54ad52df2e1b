package prismtest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// With AHEAD_REQUIRE_CONTRACTS=1, as make test sets it, a contract test
// without its contracts fails instead of skipping.
func TestSpecPathRequired(t *testing.T) {
	inRepoWithoutContracts(t)
	t.Setenv("CI", "")
	t.Setenv(EnvRequire, "1")
	tb := run(t, func(tb testing.TB) { SpecPath(tb, "twilio_api_v2010.json") })
	if tb.failed == "" || tb.skipped != "" {
		t.Fatalf("with %s=1: skipped %q, failed %q; want a failure", EnvRequire, tb.skipped, tb.failed)
	}
	if !strings.Contains(tb.failed, EnvRequire) || !strings.Contains(tb.failed, EnvDir) {
		t.Errorf("failure %q does not name %s and %s", tb.failed, EnvRequire, EnvDir)
	}
}

// inRepoWithoutContracts makes the test run in a repository with no
// contract folder beside it and AHEAD_TWILIO_OPENAPI_DIR unset.
func inRepoWithoutContracts(t *testing.T) {
	t.Helper()
	repo := filepath.Join(t.TempDir(), "repo")
	if err := os.MkdirAll(repo, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(repo, "go.mod"), []byte("module x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(repo)
	t.Setenv(EnvDir, "")
}

// make test finds the contracts in AHEAD_TWILIO_OPENAPI_DIR or in
// ../shared/contracts beside the repository, and fails, saying where they
// come from, when neither has them. It runs the tests with
// AHEAD_REQUIRE_CONTRACTS=1.
func TestMakeTestRequiresContracts(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Fatalf("make test runs under make, which is not installed: %v", err)
	}
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	// A copy of the repository's Makefile and script, in a folder with no
	// shared/contracts beside it.
	base := t.TempDir()
	repo := filepath.Join(base, "repo")
	for _, f := range []string{"Makefile", "scripts/contracts.sh"} {
		b, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(filepath.Join(repo, f)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(repo, f), b, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	makeIn := func(env string, args ...string) (string, error) {
		cmd := exec.Command("make", append([]string{"-C", repo}, args...)...)
		cmd.Env = append(os.Environ(), EnvDir+"="+env)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}

	out, err := makeIn("", "contracts")
	if err == nil {
		t.Fatalf("make contracts without contracts succeeded:\n%s", out)
	}
	for _, want := range []string{"twilio_api_v2010.json", "github.com/twilio/twilio-oai", EnvDir, "shared/contracts"} {
		if !strings.Contains(out, want) {
			t.Errorf("make contracts says\n%s\nwhich lacks %q", out, want)
		}
	}

	contracts := func(dir string) {
		t.Helper()
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, f := range []string{"twilio_api_v2010.json", "twilio_taskrouter_v1.json"} {
			if err := os.WriteFile(filepath.Join(dir, f), []byte("{}"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	elsewhere := filepath.Join(base, "elsewhere")
	contracts(elsewhere)
	if out, err := makeIn(elsewhere, "contracts"); err != nil {
		t.Errorf("make contracts with %s set: %v\n%s", EnvDir, err, out)
	}
	contracts(filepath.Join(base, "shared", "contracts"))
	if out, err := makeIn("", "contracts"); err != nil {
		t.Errorf("make contracts with ../shared/contracts: %v\n%s", err, out)
	}

	out, err = makeIn("", "-n", "test")
	if err != nil {
		t.Fatalf("make -n test: %v\n%s", err, out)
	}
	if !strings.Contains(out, EnvRequire+"=1") || !strings.Contains(out, "scripts/contracts.sh") {
		t.Errorf("make test does not require the contracts:\n%s", out)
	}
}
