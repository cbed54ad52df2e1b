package deploy_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
)

// TestHealthchecksRun runs the health checks of the Dockerfile and the
// compose file with the real binary against a server on the path each
// one probes: they must pass while it answers 200 and fail on 503.
func TestHealthchecksRun(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds the ahead binary")
	}
	bin := filepath.Join(t.TempDir(), "ahead")
	build := exec.Command("go", "build", "-o", bin, "../cmd/ahead")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/ahead: %v\n%s", err, out)
	}

	checks := map[string][]string{}
	stages := readDockerfile(t)
	if hc, ok := stages[len(stages)-1].find("HEALTHCHECK"); ok {
		if i := strings.Index(hc.args, "CMD "); i >= 0 {
			checks["Dockerfile"] = execForm(t, instruction{line: hc.line, cmd: "HEALTHCHECK CMD", args: hc.args[i+4:]})
		}
	}
	for name, s := range loadCompose(t).Services {
		if name != "redis" && s.Healthcheck != nil && len(s.Healthcheck.Test) > 1 {
			checks["compose "+name] = s.Healthcheck.Test[1:]
		}
	}
	if len(checks) != 3 {
		t.Fatalf("found health checks %v, want the Dockerfile's, api's and worker's", checks)
	}

	var code atomic.Int32
	mux := http.NewServeMux()
	for _, p := range []string{"/healthz", "/readyz"} {
		mux.HandleFunc("GET "+p, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(int(code.Load())) })
	}
	srv := httptest.NewServer(mux)
	defer srv.Close()

	for where, argv := range checks {
		if argv[0] != "/ahead" {
			t.Errorf("%s: health check runs %s, want /ahead", where, argv[0])
			continue
		}
		args := slices.Clone(argv[1:])
		i := slices.Index(args, "--url")
		if i < 0 || i+1 >= len(args) {
			t.Errorf("%s: health check %v has no --url", where, argv)
			continue
		}
		u, err := url.Parse(args[i+1])
		if err != nil {
			t.Errorf("%s: %v", where, err)
			continue
		}
		args[i+1] = srv.URL + u.Path // same path, on the test server
		for _, tc := range []struct {
			status int
			pass   bool
		}{{http.StatusOK, true}, {http.StatusServiceUnavailable, false}} {
			code.Store(int32(tc.status))
			out, err := exec.Command(bin, args...).CombinedOutput()
			if (err == nil) != tc.pass {
				t.Errorf("%s: `ahead %s` with the server answering %d: err %v, want pass=%v\n%s",
					where, strings.Join(args, " "), tc.status, err, tc.pass, out)
			}
		}
	}
}
