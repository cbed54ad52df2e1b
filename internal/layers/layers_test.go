package layers

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/aheadhq/ahead/"

// pkg is what go list says of one package.
type pkg struct {
	ImportPath string
	Imports    []string
	Deps       []string
}

// list runs go list -json on the module's packages.
func list(t *testing.T) map[string]pkg {
	t.Helper()
	out, err := exec.Command("go", "list", "-json", module+"...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	got := map[string]pkg{}
	for dec.More() {
		var p pkg
		if err := dec.Decode(&p); err != nil {
			t.Fatalf("decode go list: %v", err)
		}
		got[strings.TrimPrefix(p.ImportPath, module)] = p
	}
	return got
}

// rule forbids a package to depend on what a prefix names: through any
// import (deps) or directly (imports).
type rule struct {
	pkg    string
	deps   bool
	banned []string
}

func TestLayers(t *testing.T) {
	all := list(t)
	redisAndQueue := []string{"github.com/hibiken/asynq", "github.com/redis/go-redis"}
	rules := []rule{
		{pkg: "flows", deps: true, banned: append(redisAndQueue, module+"channels", module+"engine", module+"internal/store")},
		{pkg: "templates", deps: true, banned: append(redisAndQueue, module+"channels", module+"engine", module+"internal/store")},
		{pkg: "stats", deps: true, banned: []string{module, "github.com/", "golang.org/"}},
		{pkg: "engine", banned: []string{"github.com/hibiken/asynq", "github.com/redis/go-redis", "net/http", module + "tasks", module + "internal/api", module + "channels/twilio"}},
		{pkg: "internal/api", banned: []string{"github.com/hibiken/asynq", "github.com/redis/go-redis", module + "tasks", module + "internal/store"}},
		{pkg: "callbacks/desk", banned: []string{"github.com/hibiken/asynq", module + "engine", module + "tasks", module + "internal/api"}},
		{pkg: "internal/api/reportpage", banned: []string{"github.com/hibiken/asynq", "github.com/redis/go-redis", module + "tasks", module + "internal/store", module + "channels", module + "callbacks"}},
		{pkg: "internal/web", deps: true, banned: []string{module}},
		{pkg: "internal/httpx", deps: true, banned: []string{module}},
		{pkg: "internal/store", deps: true, banned: []string{"github.com/hibiken/asynq", module + "flows", module + "engine", module + "channels"}},
	}
	for _, r := range rules {
		p, ok := all[r.pkg]
		if !ok {
			t.Errorf("package %s not found", r.pkg)
			continue
		}
		names := p.Imports
		if r.deps {
			names = p.Deps
		}
		for _, name := range names {
			for _, b := range r.banned {
				if strings.HasPrefix(name, b) {
					t.Errorf("%s depends on %s", r.pkg, name)
				}
			}
		}
	}
}
