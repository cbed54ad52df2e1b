package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// FuzzLoad feeds arbitrary YAML to the loader. It must never panic; what it
// accepts must be valid and survive a round trip through YAML; what it
// rejects must be reported with the file name on every line.
func FuzzLoad(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.yaml")
	files = append(files, "../../ahead.example.yaml")
	for _, p := range files {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("a: &a [*a]\n"))
	f.Add([]byte("api: {tokens: [{name: x, token: 0123456789abcdef, scopes: &s [events]}, {name: y, token: fedcba9876543210, scopes: *s}]}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := load("fuzz.yaml", data, noEnv)
		if err != nil {
			if c != nil {
				t.Fatal("a Config came back with the error")
			}
			for line := range strings.SplitSeq(err.Error(), "\n") {
				if !strings.HasPrefix(line, "fuzz.yaml") {
					t.Fatalf("error line does not name the file: %q", line)
				}
			}
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("Load accepted an invalid config: %v", err)
		}
		_ = c.Redacted()
		out, err := yaml.Marshal(plain(c))
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		again, err := load("again.yaml", out, noEnv)
		if err != nil {
			t.Fatalf("reloading %q: %v", out, err)
		}
		if !reflect.DeepEqual(plain(again), plain(c)) {
			t.Fatalf("round trip changed the config:\n%+v\n%+v", plain(c), plain(again))
		}
	})
}
