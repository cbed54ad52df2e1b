package prismtest

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestMain(m *testing.M) {
	code := m.Run()
	Stop()
	os.Exit(code)
}

// fakeTB records Skipf and Fatalf, which end the goroutine as the real
// ones do, without ending the test. Use it through run.
type fakeTB struct {
	testing.TB
	skipped, failed string
}

func (f *fakeTB) Helper() {}
func (f *fakeTB) Skipf(format string, args ...any) {
	f.skipped = fmt.Sprintf(format, args...)
	runtime.Goexit()
}
func (f *fakeTB) Fatalf(format string, args ...any) {
	f.failed = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// run calls fn with a fakeTB in a goroutine of its own and returns the
// fakeTB once fn returned or was ended.
func run(t *testing.T, fn func(testing.TB)) *fakeTB {
	tb := &fakeTB{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(tb)
	}()
	<-done
	return tb
}

// TestSpecPathWithoutContracts runs where neither AHEAD_TWILIO_OPENAPI_DIR
// is set nor ../shared/contracts exists: the test skips, saying so, unless
// CI=true, when it fails.
func TestSpecPathWithoutContracts(t *testing.T) {
	inRepoWithoutContracts(t)
	t.Setenv(EnvRequire, "")

	t.Setenv("CI", "")
	tb := run(t, func(tb testing.TB) { SpecPath(tb, "twilio_api_v2010.json") })
	if tb.skipped == "" || tb.failed != "" {
		t.Fatalf("without CI: skipped %q, failed %q; want a skip", tb.skipped, tb.failed)
	}
	for _, want := range []string{EnvDir, "does not exist", "twilio_api_v2010.json"} {
		if !strings.Contains(tb.skipped, want) {
			t.Errorf("skip message %q lacks %q", tb.skipped, want)
		}
	}

	t.Setenv("CI", "true")
	tb = run(t, func(tb testing.TB) { SpecPath(tb, "twilio_api_v2010.json") })
	if tb.failed == "" || tb.skipped != "" {
		t.Fatalf("with CI=true: skipped %q, failed %q; want a failure", tb.skipped, tb.failed)
	}
	if !strings.Contains(tb.failed, "CI=true") {
		t.Errorf("failure %q does not say why it did not skip", tb.failed)
	}
}

func TestSpecPathFromEnv(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "api.json"), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv(EnvDir, dir)
	if got := SpecPath(t, "api.json"); got != filepath.Join(dir, "api.json") {
		t.Errorf("SpecPath = %q, want the file in %s", got, dir)
	}
	// A folder named explicitly that lacks the file is an error, even
	// without CI.
	t.Setenv("CI", "")
	tb := run(t, func(tb testing.TB) { SpecPath(tb, "missing.json") })
	if tb.failed == "" {
		t.Error("SpecPath of a missing file in the named folder did not fail")
	}
}

func TestRepoRoot(t *testing.T) {
	t.Parallel()
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "internal", "prismtest", "doc.go")); err != nil {
		t.Errorf("RepoRoot = %s, not this repository: %v", root, err)
	}
}

// petSpec is a tiny contract: POST /pets needs a form with a name.
const petSpec = `{
  "openapi": "3.0.1",
  "info": {"title": "pets", "version": "1"},
  "paths": {
    "/pets": {
      "post": {
        "requestBody": {"required": true, "content": {"application/x-www-form-urlencoded": {"schema": {
          "type": "object", "required": ["Name"],
          "properties": {"Name": {"type": "string", "minLength": 1}}
        }}}},
        "responses": {"201": {"description": "created", "content": {"application/json": {
          "schema": {"type": "object", "properties": {"id": {"type": "string"}}},
          "example": {"id": "pet_1"}
        }}}}
      }
    }
  }
}`

// TestStart starts Prism on a small contract and checks that it answers a
// request that keeps the contract with the example, and refuses one that
// breaks it.
func TestStart(t *testing.T) {
	t.Parallel()
	spec := filepath.Join(t.TempDir(), "pets.json")
	if err := os.WriteFile(spec, []byte(petSpec), 0o644); err != nil {
		t.Fatal(err)
	}
	base := Start(t, spec)
	if again := Start(t, spec); again != base {
		t.Errorf("second Start = %s, want the running Prism at %s", again, base)
	}
	post := func(form url.Values) (int, string) {
		res, err := http.PostForm(base+"/pets", form)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(body)
	}
	if status, body := post(url.Values{"Name": {"Rex"}}); status != 201 || !strings.Contains(body, "pet_1") {
		t.Errorf("valid request: %d %s, want 201 with the example", status, body)
	}
	if status, body := post(url.Values{"Age": {"3"}}); status < 400 || status > 499 {
		t.Errorf("request without Name: %d %s, want a 4xx", status, body)
	}
	if out := Output(t, spec); !strings.Contains(out, "/pets") {
		t.Errorf("Output lacks Prism's log of the requests:\n%s", out)
	}
}
