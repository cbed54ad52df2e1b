package deploy_test

import (
	"fmt"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

type composeFile struct {
	Name     string                    `yaml:"name"`
	Services map[string]composeService `yaml:"services"`
	Volumes  map[string]any            `yaml:"volumes"`
}

type composeService struct {
	Image       string            `yaml:"image"`
	Build       any               `yaml:"build"`
	Command     []string          `yaml:"command"`
	Environment map[string]string `yaml:"environment"`
	Volumes     []string          `yaml:"volumes"`
	Ports       []string          `yaml:"ports"`
	DependsOn   map[string]struct {
		Condition string `yaml:"condition"`
	} `yaml:"depends_on"`
	Healthcheck *struct {
		Test []string `yaml:"test"`
	} `yaml:"healthcheck"`
	Restart         string `yaml:"restart"`
	ReadOnly        bool   `yaml:"read_only"`
	StopGracePeriod string `yaml:"stop_grace_period"`
}

func loadCompose(t *testing.T) *composeFile {
	t.Helper()
	docs := readDocs(t, "docker-compose.yml")
	if len(docs) != 1 {
		t.Fatalf("docker-compose.yml: %d documents, want 1", len(docs))
	}
	var c composeFile
	if err := docs[0].Decode(&c); err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	return &c
}

// interpolateRE matches ${NAME}, ${NAME:-default} and ${NAME:?message}.
var interpolateRE = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}`)

// interpolate expands a compose value the way `docker compose` does, with
// host holding the variables that are set.
func interpolate(s string, host map[string]string) (string, error) {
	var err error
	out := interpolateRE.ReplaceAllStringFunc(s, func(m string) string {
		g := interpolateRE.FindStringSubmatch(m)
		name, op, arg := g[1], g[2], g[3]
		v, set := host[name]
		if strings.HasPrefix(op, ":") && v == "" {
			set = false
		}
		switch {
		case set:
			return v
		case strings.HasSuffix(op, "-"):
			return arg
		case strings.HasSuffix(op, "?"):
			err = fmt.Errorf("%s is required: %s", name, arg)
		}
		return ""
	})
	return out, err
}

func TestInterpolate(t *testing.T) {
	t.Parallel()
	host := map[string]string{"A": "a", "EMPTY": ""}
	for _, tc := range []struct{ in, want string }{
		{"${A}", "a"},
		{"x${A}y", "xay"},
		{"${B:-dflt}", "dflt"},
		{"${EMPTY:-dflt}", "dflt"},
		{"${EMPTY-dflt}", ""},
		{"${A:?need A}", "a"},
		{"${B}", ""},
	} {
		got, err := interpolate(tc.in, host)
		if err != nil || got != tc.want {
			t.Errorf("interpolate(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	if _, err := interpolate("${B:?set B}", host); err == nil || !strings.Contains(err.Error(), "set B") {
		t.Errorf("a required variable that is unset gave %v", err)
	}
}

// hostEnv is what a user puts in deploy/.env, as the compose file says.
var hostEnv = map[string]string{
	"AHEAD_API_TOKENS":      "ops:0123456789abcdef0123456789abcdef:admin",
	"AHEAD_API_SIGNING_KEY": "fedcba9876543210fedcba9876543210",
}

func TestComposeServices(t *testing.T) {
	t.Parallel()
	c := loadCompose(t)
	for _, name := range []string{"redis", "api", "worker"} {
		if _, ok := c.Services[name]; !ok {
			t.Fatalf("docker-compose.yml: no service %q", name)
		}
	}
	redis := c.Services["redis"]
	if !strings.HasPrefix(redis.Image, "redis:") {
		t.Errorf("redis: image %q, want redis:…", redis.Image)
	}
	for _, opt := range [][2]string{{"--appendonly", "yes"}, {"--appendfsync", "everysec"}, {"--maxmemory-policy", "noeviction"}} {
		i := slices.Index(redis.Command, opt[0])
		if i < 0 || i+1 >= len(redis.Command) || redis.Command[i+1] != opt[1] {
			t.Errorf("redis: command %v lacks %s %s", redis.Command, opt[0], opt[1])
		}
	}
	if !slices.ContainsFunc(redis.Volumes, func(v string) bool {
		return strings.HasSuffix(v, ":/data") && !strings.HasPrefix(v, "/") && !strings.HasPrefix(v, ".")
	}) {
		t.Errorf("redis: no named volume on /data, where the append-only file is written")
	}
	for name, s := range c.Services {
		if s.Healthcheck == nil || len(s.Healthcheck.Test) < 2 || s.Healthcheck.Test[0] != "CMD" {
			t.Errorf("%s: needs a healthcheck in exec form ([\"CMD\", …]): the ahead image has no shell", name)
		}
		if !slices.Contains([]string{"always", "unless-stopped", "on-failure"}, s.Restart) {
			t.Errorf("%s: restart %q, want always, unless-stopped or on-failure", name, s.Restart)
		}
		for _, v := range s.Volumes {
			src, _, ok := strings.Cut(v, ":")
			if !ok {
				t.Errorf("%s: volume %q has no container path", name, v)
				continue
			}
			if strings.HasPrefix(src, ".") || strings.HasPrefix(src, "/") {
				if _, err := os.Stat(src); err != nil {
					t.Errorf("%s: bind mount %q: %v", name, v, err)
				}
			} else if _, ok := c.Volumes[src]; !ok {
				t.Errorf("%s: volume %q is not declared under volumes", name, src)
			}
		}
	}
}

// TestComposeProcessesStart loads the configuration each ahead service
// gets, from the mounted file and its environment, as ahead does.
func TestComposeProcessesStart(t *testing.T) {
	t.Parallel()
	c := loadCompose(t)
	for _, name := range []string{"api", "worker"} {
		s := c.Services[name]
		if len(s.Command) == 0 || s.Command[0] != name {
			t.Errorf("%s: command %v, want [%s]", name, s.Command, name)
			continue
		}
		if s.Build == nil && s.Image == "" {
			t.Errorf("%s: needs build or image", name)
		}
		if !s.ReadOnly {
			t.Errorf("%s: read_only must be true", name)
		}
		if dep, ok := s.DependsOn["redis"]; !ok || dep.Condition != "service_healthy" {
			t.Errorf("%s: depends_on redis must have condition service_healthy", name)
		}
		env := map[string]string{}
		for k, v := range s.Environment {
			checkEnvName(t, name, k)
			x, err := interpolate(v, hostEnv)
			if err != nil {
				t.Fatalf("%s: %s: %v", name, k, err)
			}
			env[k] = x
		}
		file := env["AHEAD_CONFIG"]
		var body []byte
		for _, v := range s.Volumes {
			src, dst, _ := strings.Cut(v, ":")
			dst, _, _ = strings.Cut(dst, ":")
			if dst == file {
				b, err := os.ReadFile(filepath.FromSlash(src))
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				body = b
			}
		}
		if body == nil {
			t.Errorf("%s: AHEAD_CONFIG %q is not a mounted file", name, file)
			continue
		}
		cfg := loadConfig(t, name, string(body), env, name)
		if dir := imageFlows(t); path.Clean(cfg.Flows) != dir {
			t.Errorf("%s: flows %q, want the image's %s (or mount a folder there)", name, cfg.Flows, dir)
		}

		addr := cfg.API.Addr
		if name == "worker" {
			addr = cfg.Worker.Addr
			grace, err := time.ParseDuration(s.StopGracePeriod)
			if err != nil || grace <= cfg.Worker.ShutdownTimeout.Duration() {
				t.Errorf("worker: stop_grace_period %q must exceed worker.shutdown_timeout (%s)", s.StopGracePeriod, cfg.Worker.ShutdownTimeout)
			}
		}
		want := port(t, addr)
		if hc := s.Healthcheck; hc != nil {
			i := slices.Index(hc.Test, "--url")
			if i < 0 || i+1 >= len(hc.Test) {
				t.Errorf("%s: healthcheck %v names no --url", name, hc.Test)
			} else if u, err := url.Parse(hc.Test[i+1]); err != nil || u.Port() != want {
				t.Errorf("%s: healthcheck checks %s, but ahead listens on port %s", name, hc.Test[i+1], want)
			}
		}
		for _, p := range s.Ports {
			if i := strings.LastIndexByte(p, ':'); p[i+1:] != want {
				t.Errorf("%s: publishes %q, but ahead listens on port %s", name, p, want)
			}
		}
	}
}
