package deploy_test

import (
	"bytes"
	"errors"
	"flag"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/aheadhq/ahead/engine"
	"github.com/aheadhq/ahead/internal/config"
)

var update = flag.Bool("update", false, "rewrite k8s/configmap-flows.yaml from flows/classics")

// classics is the flow folder the image ships and the flows ConfigMap holds.
const classics = "../flows/classics"

// readDocs returns every YAML document in path, skipping empty ones.
func readDocs(t *testing.T, path string) []*yaml.Node {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var docs []*yaml.Node
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			return docs
		}
		if err != nil {
			t.Fatalf("%s: parse YAML: %v", path, err)
		}
		if len(n.Content) == 0 || n.Content[0].Kind == yaml.ScalarNode && n.Content[0].Tag == "!!null" {
			continue
		}
		docs = append(docs, &n)
	}
}

// envNames holds every AHEAD_… variable ahead reads.
func envNames() map[string]bool {
	names := map[string]bool{"AHEAD_CONFIG": true}
	for _, k := range config.Keys() {
		names[config.EnvName(k)] = true
	}
	return names
}

// checkEnvName reports a variable that looks like ahead's but is not one.
func checkEnvName(t *testing.T, where, name string) {
	t.Helper()
	if strings.HasPrefix(name, config.EnvPrefix) && !envNames()[name] {
		t.Errorf("%s: %s is not an ahead setting (no key %q)", where, name,
			strings.ToLower(strings.ReplaceAll(strings.TrimPrefix(name, config.EnvPrefix), "_", ".")))
	}
}

// loadConfig writes body to a file and loads it with env as the
// environment, as ahead does at start-up, then checks what mode needs.
func loadConfig(t *testing.T, where, body string, env map[string]string, mode string) *config.Config {
	t.Helper()
	p := filepath.Join(t.TempDir(), "ahead.yaml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(p, func(k string) string { return env[k] })
	if err != nil {
		t.Fatalf("%s: the configuration does not load:\n%v", where, err)
	}
	if err := cfg.Requires(mode); err != nil {
		t.Fatalf("%s: the configuration does not suit `ahead %s`:\n%v", where, mode, err)
	}
	return cfg
}

// port returns the port of a host:port address.
func port(t *testing.T, addr string) string {
	t.Helper()
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatalf("address %q: %v", addr, err)
	}
	return p
}

// modes are the commands a deployed container may run.
var modes = []string{"serve", "api", "worker"}

// classicFiles returns the classics flow folder as ConfigMap keys and
// contents: one key per flow file and per template.
func classicFiles(t *testing.T) map[string]string {
	t.Helper()
	data := map[string]string{}
	add := func(dir, name string) {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		data[name] = string(b)
	}
	entries, err := os.ReadDir(classics)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !e.IsDir() && (strings.HasSuffix(e.Name(), ".yaml") || strings.HasSuffix(e.Name(), ".yml")) {
			add(classics, e.Name())
		}
	}
	tdir := filepath.Join(classics, "templates")
	entries, err = os.ReadDir(tdir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
			add(tdir, e.Name())
		}
	}
	return data
}

// flowsConfigMap renders the flows ConfigMap for data.
func flowsConfigMap(t *testing.T, data map[string]string) []byte {
	t.Helper()
	str := func(s string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Value: s} }
	m := func(kv ...*yaml.Node) *yaml.Node { return &yaml.Node{Kind: yaml.MappingNode, Content: kv} }
	d := m()
	keys := make([]string, 0, len(data))
	for k := range data {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		d.Content = append(d.Content, str(k), &yaml.Node{Kind: yaml.ScalarNode, Style: yaml.LiteralStyle, Value: data[k]})
	}
	doc := m(
		str("apiVersion"), str("v1"),
		str("kind"), str("ConfigMap"),
		str("metadata"), m(str("name"), str("ahead-flows"), str("labels"), m(str("app.kubernetes.io/name"), str("ahead"))),
		str("data"), d,
	)
	var buf bytes.Buffer
	buf.WriteString(`# The flow folder: flow files, and templates that the Deployments' volume
# items place under templates/. Generated from flows/classics by
#   go test ./deploy -update
# Replace it with your own flows, keeping one key per file; list every key
# in the items of the flows volume in both Deployments.
`)
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestFlowsConfigMapHoldsClassics keeps k8s/configmap-flows.yaml equal to
// flows/classics, which the image ships.
func TestFlowsConfigMapHoldsClassics(t *testing.T) {
	want := classicFiles(t)
	const file = "k8s/configmap-flows.yaml"
	if *update {
		if err := os.WriteFile(file, flowsConfigMap(t, want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	m := loadManifests(t)
	cm := m.configMaps["ahead-flows"]
	if cm == nil {
		t.Fatalf("%s: no ConfigMap ahead-flows", file)
	}
	for k, v := range want {
		got, ok := cm.Data[k]
		switch {
		case !ok:
			t.Errorf("%s: no key %s; run go test ./deploy -update", file, k)
		case got != v:
			t.Errorf("%s: key %s differs from flows/classics; run go test ./deploy -update", file, k)
		}
	}
	for k := range cm.Data {
		if _, ok := want[k]; !ok {
			t.Errorf("%s: key %s is not in flows/classics; run go test ./deploy -update", file, k)
		}
	}
}

// configMapKeyRE is what Kubernetes accepts as a ConfigMap or Secret key.
var configMapKeyRE = regexp.MustCompile(`^[-._a-zA-Z0-9]+$`)

// materialize writes a ConfigMap volume as the kubelet does: the files in
// a hidden timestamped folder that ..data links to, and a link for each
// top-level name (templates -> ..data/templates). Every item lands at its
// path, or every key at its own name when there are no items.
func materialize(t *testing.T, cm *configMap, items []keyPath) string {
	t.Helper()
	dir := t.TempDir()
	const ts = "..2026_01_02_03_04_05.000000001"
	if len(items) == 0 {
		for k := range cm.Data {
			items = append(items, keyPath{Key: k, Path: k})
		}
	}
	top := map[string]bool{}
	for _, it := range items {
		p := filepath.Join(dir, ts, filepath.FromSlash(it.Path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(cm.Data[it.Key]), 0o644); err != nil {
			t.Fatal(err)
		}
		first, _, _ := strings.Cut(it.Path, "/")
		top[first] = true
	}
	if err := os.Symlink(ts, filepath.Join(dir, "..data")); err != nil {
		t.Fatal(err)
	}
	for name := range top {
		if err := os.Symlink(filepath.Join("..data", name), filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// loadFlows loads a flow folder as ahead serve does.
func loadFlows(t *testing.T, where, dir string) {
	t.Helper()
	cat, err := engine.Load(dir)
	if err != nil {
		t.Fatalf("%s: the flows do not load:\n%v", where, err)
	}
	if len(cat.Flows.Flows()) == 0 {
		t.Fatalf("%s: no flows", where)
	}
}
