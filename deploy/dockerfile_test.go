package deploy_test

import (
	"bufio"
	"encoding/json"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aheadhq/ahead/internal/config"
)

// instruction is one Dockerfile instruction with its continuation lines
// joined.
type instruction struct {
	line int
	cmd  string // upper case: FROM, RUN, …
	args string
}

// stage is one FROM and what follows it.
type stage struct {
	from, name string
	ins        []instruction
}

func readDockerfile(t *testing.T) []stage {
	t.Helper()
	f, err := os.Open("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var (
		stages []stage
		buf    strings.Builder
		start  int
	)
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if buf.Len() == 0 {
			start = n
		}
		if s, ok := strings.CutSuffix(line, `\`); ok {
			buf.WriteString(s + " ")
			continue
		}
		buf.WriteString(line)
		cmd, args, _ := strings.Cut(buf.String(), " ")
		buf.Reset()
		in := instruction{line: start, cmd: strings.ToUpper(cmd), args: strings.TrimSpace(args)}
		if in.cmd == "FROM" {
			fields := strings.Fields(in.args)
			st := stage{from: fields[0]}
			if len(fields) == 3 && strings.EqualFold(fields[1], "AS") {
				st.name = fields[2]
			}
			stages = append(stages, st)
		}
		if len(stages) == 0 {
			if in.cmd != "ARG" {
				t.Fatalf("Dockerfile:%d: %s before the first FROM", in.line, in.cmd)
			}
			continue
		}
		stages[len(stages)-1].ins = append(stages[len(stages)-1].ins, in)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return stages
}

// find returns the last instruction cmd in s.
func (s stage) find(cmd string) (instruction, bool) {
	for i := len(s.ins) - 1; i >= 0; i-- {
		if s.ins[i].cmd == cmd {
			return s.ins[i], true
		}
	}
	return instruction{}, false
}

// execForm decodes a JSON-array argument (ENTRYPOINT ["/ahead"]).
func execForm(t *testing.T, in instruction) []string {
	t.Helper()
	var v []string
	if err := json.Unmarshal([]byte(in.args), &v); err != nil || len(v) == 0 {
		t.Errorf("Dockerfile:%d: %s must be in exec form, a JSON array: the image has no shell", in.line, in.cmd)
	}
	return v
}

// copyArgs splits COPY arguments into flags, sources and destination.
func copyArgs(args string) (flags map[string]string, srcs []string, dst string) {
	flags = map[string]string{}
	fields := strings.Fields(args)
	for len(fields) > 0 && strings.HasPrefix(fields[0], "--") {
		k, v, _ := strings.Cut(strings.TrimPrefix(fields[0], "--"), "=")
		flags[k] = v
		fields = fields[1:]
	}
	if len(fields) < 2 {
		return flags, nil, ""
	}
	return flags, fields[:len(fields)-1], fields[len(fields)-1]
}

func TestDockerfile(t *testing.T) {
	t.Parallel()
	stages := readDockerfile(t)
	if len(stages) < 2 {
		t.Fatalf("Dockerfile: %d stages, want a build stage and a final one", len(stages))
	}
	build, final := stages[0], stages[len(stages)-1]
	if !strings.HasPrefix(build.from, "golang:1.26") || build.name == "" {
		t.Errorf("Dockerfile: the build stage is FROM %s AS %q, want golang:1.26… AS a name", build.from, build.name)
	}
	built := false
	for _, in := range build.ins {
		if in.cmd == "RUN" && strings.Contains(in.args, "CGO_ENABLED=0") && strings.Contains(in.args, "go build") && strings.Contains(in.args, "./cmd/ahead") {
			built = true
		}
	}
	if !built {
		t.Error("Dockerfile: the build stage must RUN CGO_ENABLED=0 go build … ./cmd/ahead (a static binary)")
	}

	distroless := strings.HasPrefix(final.from, "gcr.io/distroless/static") && strings.HasSuffix(final.from, ":nonroot")
	if !distroless && final.from != "scratch" {
		t.Errorf("Dockerfile: final stage FROM %s, want gcr.io/distroless/static…:nonroot or scratch", final.from)
	}
	if u, ok := final.find("USER"); ok {
		user, _, _ := strings.Cut(u.args, ":")
		if user == "0" || user == "root" || strings.Trim(user, "0123456789") != "" {
			t.Errorf("Dockerfile:%d: USER %s: want a numeric non-root user, so Kubernetes can check runAsNonRoot", u.line, u.args)
		}
	} else {
		t.Error("Dockerfile: the final stage sets no USER")
	}

	names := map[string]bool{}
	for _, st := range stages {
		for _, in := range st.ins {
			if in.cmd != "COPY" {
				continue
			}
			flags, srcs, _ := copyArgs(in.args)
			if from, ok := flags["from"]; ok {
				if !names[from] {
					t.Errorf("Dockerfile:%d: COPY --from=%s names no earlier stage", in.line, from)
				}
				continue
			}
			for _, src := range srcs {
				if m, _ := filepath.Glob(filepath.Join("..", filepath.FromSlash(src))); len(m) == 0 && src != "." {
					t.Errorf("Dockerfile:%d: COPY %s: nothing in the repository matches", in.line, src)
				}
			}
		}
		names[st.name] = st.name != ""
	}

	ep, ok := final.find("ENTRYPOINT")
	if !ok {
		t.Fatal("Dockerfile: no ENTRYPOINT")
	}
	bin := execForm(t, ep)
	copied := false
	for _, in := range final.ins {
		if _, srcs, dst := copyArgs(in.args); in.cmd == "COPY" && len(bin) > 0 && dst == bin[0] && len(srcs) == 1 {
			copied = true
		}
	}
	if len(bin) > 0 && !copied {
		t.Errorf("Dockerfile: ENTRYPOINT %s is not copied into the final stage", bin[0])
	}
	if cmd, ok := final.find("CMD"); ok {
		if args := execForm(t, cmd); len(args) > 0 && !slices.Contains(modes, args[0]) {
			t.Errorf("Dockerfile:%d: CMD %v, want one of %v", cmd.line, args, modes)
		}
	}

	hc, ok := final.find("HEALTHCHECK")
	if !ok || strings.EqualFold(strings.TrimSpace(hc.args), "NONE") {
		t.Fatal("Dockerfile: the final stage needs a HEALTHCHECK")
	}
	i := strings.Index(hc.args, "CMD ")
	if i < 0 {
		t.Fatalf("Dockerfile:%d: HEALTHCHECK without CMD", hc.line)
	}
	check := execForm(t, instruction{line: hc.line, cmd: "HEALTHCHECK CMD", args: hc.args[i+4:]})
	if len(check) > 0 && len(bin) > 0 && check[0] != bin[0] {
		t.Errorf("Dockerfile:%d: HEALTHCHECK runs %s; the image has only %s", hc.line, check[0], bin[0])
	}
	if j := slices.Index(check, "--url"); j < 0 || j+1 >= len(check) || !strings.Contains(check[j+1], ":"+port(t, config.Default().API.Addr)+"/") {
		t.Errorf("Dockerfile:%d: HEALTHCHECK %v must check the default API port", hc.line, check)
	}

	exposed := map[string]bool{}
	if ex, ok := final.find("EXPOSE"); ok {
		for _, p := range strings.Fields(ex.args) {
			exposed[strings.TrimSuffix(p, "/tcp")] = true
		}
	}
	for _, addr := range []string{config.Default().API.Addr, config.Default().Worker.Addr} {
		if !exposed[port(t, addr)] {
			t.Errorf("Dockerfile: EXPOSE lacks %s, a default port of ahead", port(t, addr))
		}
	}
}

// imageFlows returns the folder the default `flows: ./flows` means in the
// image, and checks that the Dockerfile puts flows and templates there.
func imageFlows(t *testing.T) string {
	t.Helper()
	stages := readDockerfile(t)
	final := stages[len(stages)-1]
	wd := "/"
	if in, ok := final.find("WORKDIR"); ok {
		wd = in.args
	} else if strings.HasPrefix(final.from, "gcr.io/distroless/") {
		wd = "/home/nonroot"
	}
	dir := path.Join(wd, config.Default().Flows)
	var flowsTo, templatesTo bool
	for _, in := range final.ins {
		_, srcs, dst := copyArgs(in.args)
		if in.cmd != "COPY" || len(srcs) == 0 {
			continue
		}
		dst = path.Clean(dst)
		flowsTo = flowsTo || dst == dir && strings.HasSuffix(srcs[0], ".yaml")
		templatesTo = templatesTo || dst == path.Join(dir, "templates")
	}
	if !flowsTo || !templatesTo {
		t.Errorf("Dockerfile: the classics and their templates/ must be copied to %s, the default flows folder from WORKDIR %s", dir, wd)
	}
	return dir
}

func TestDockerfileFlows(t *testing.T) {
	t.Parallel()
	if dir := imageFlows(t); dir != "/flows" {
		t.Errorf("the image's flows are in %s, want /flows as docs/deploy.md says", dir)
	}
	loadFlows(t, "flows/classics", classics)
}

func TestDockerignore(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("Dockerfile.dockerignore")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	for _, want := range []string{".git", "ahead.yaml", "**/.env"} {
		if !slices.Contains(lines, want) {
			t.Errorf("Dockerfile.dockerignore: %s is not excluded from the build context", want)
		}
	}
}
