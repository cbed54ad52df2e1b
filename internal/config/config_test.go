package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// noEnv is an environment with no AHEAD_… variables, so tests do not see
// the caller's.
func noEnv(string) string { return "" }

// envOf returns an environment holding exactly vars.
func envOf(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

// plain returns c without its record of sources, for comparisons.
func plain(c *Config) *Config {
	d := c.clone()
	d.src = nil
	return d
}

func writeFile(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "ahead.yaml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadInvalid(t *testing.T) {
	t.Parallel()
	cases := []struct {
		file string
		want string
	}{
		// Reading: strict YAML.
		{"unknown_field.yaml", `testdata/unknown_field.yaml:4: api.tokenz: unknown field`},
		{"unknown_top.yaml", `testdata/unknown_top.yaml:1: flow: unknown field`},
		{"unknown_token_field.yaml", `testdata/unknown_token_field.yaml:5: api.tokens[0].scope: unknown field`},
		{"duplicate_key.yaml", `testdata/duplicate_key.yaml:4: smtp.port: already set on line 2`},
		{"not_integer.yaml", `testdata/not_integer.yaml:2: smtp.port: not an integer: "submission"`},
		{"not_duration.yaml", `testdata/not_duration.yaml:2: defaults.late_limit: not a duration: "1 week" (use a number with a unit: 30s, 15m, 24h, 2d)`},
		{"duration_without_unit.yaml", `testdata/duration_without_unit.yaml:2: smtp.timeout: not a duration: "30" (use a number with a unit: 30s, 15m, 24h, 2d)`},
		{"not_boolean.yaml", `testdata/not_boolean.yaml:2: api.insecure_no_auth: not a boolean: "yes" (use true or false)`},
		{"list_as_string.yaml", `testdata/list_as_string.yaml:2: redis.cluster: expected a list, got a string`},
		{"section_as_scalar.yaml", `testdata/section_as_scalar.yaml:1: smtp: expected a mapping, got a string`},
		{"scalar_as_list.yaml", `testdata/scalar_as_list.yaml:2: api.addr: expected a string, got a list`},
		{"merge_key.yaml", `testdata/merge_key.yaml:2: smtp: merge keys and complex keys are not supported`},
		{"syntax.yaml", `testdata/syntax.yaml:1: invalid YAML: did not find expected key`},
		{"two_documents.yaml", `testdata/two_documents.yaml:2: only one YAML document is allowed`},
		{"top_level_list.yaml", `testdata/top_level_list.yaml:1: expected a mapping of settings at the top level, got a list`},

		// Validation: each error names file, line and key.
		{"redis_scheme.yaml", `testdata/redis_scheme.yaml:2: redis.url: scheme must be redis or rediss, got "http"`},
		{"redis_db.yaml", `testdata/redis_db.yaml:2: redis.url: database must be a number, got "main"`},
		{"redis_url_empty.yaml", `testdata/redis_url_empty.yaml:2: redis.url: required unless redis.cluster or redis.sentinel is set`},
		{"redis_sentinel_cluster.yaml", `testdata/redis_sentinel_cluster.yaml:4: redis.sentinel.addrs: set either redis.cluster or redis.sentinel, not both`},
		{"redis_sentinel_master.yaml", "testdata/redis_sentinel_master.yaml:2: redis.sentinel.master: required with redis.sentinel.addrs: the name the sentinels monitor the master under\n" +
			`testdata/redis_sentinel_master.yaml:5: redis.sentinel.addrs[1]: must be host:port, got "10.0.0.2"`},
		{"redis_sentinel_db.yaml", `testdata/redis_sentinel_db.yaml:5: redis.sentinel.db: a database number, 0 or more, got -1`},
		{"redis_sentinel_alone.yaml", `testdata/redis_sentinel_alone.yaml:3: redis.sentinel.addrs: required with redis.sentinel.master, redis.sentinel.password and redis.sentinel.db`},
		{"redis_password_twice.yaml", "testdata/redis_password_twice.yaml:3: redis.username: the user is in redis.url already; set it in one place\n" +
			"testdata/redis_password_twice.yaml:4: redis.password: the password is in redis.url already; set it in one place"},
		{"redis_username_alone.yaml", `testdata/redis_username_alone.yaml:3: redis.username: needs redis.password`},
		{"redis_tls_ca.yaml", `testdata/redis_tls_ca.yaml:3: redis.tls_ca: needs redis.tls: true (or a rediss:// URL)`},
		{"redis_cluster_addr.yaml", "testdata/redis_cluster_addr.yaml:4: redis.cluster[1]: must be host:port, got \"10.0.0.2\"\n" +
			`testdata/redis_cluster_addr.yaml:5: redis.cluster[2]: duplicate address "10.0.0.1:6379"`},
		{"api_addr.yaml", `testdata/api_addr.yaml:2: api.addr: must be host:port, got "8080"`},
		{"public_url_relative.yaml", `testdata/public_url_relative.yaml:2: api.public_url: must be an absolute http(s) URL, got "ahead.example.com"`},
		{"public_url_slash.yaml", `testdata/public_url_slash.yaml:2: api.public_url: must not end with "/", got "https://ahead.example.com/"`},
		{"max_body_bytes.yaml", `testdata/max_body_bytes.yaml:2: api.max_body_bytes: must be positive, got 0`},
		{"signing_key_short.yaml", `testdata/signing_key_short.yaml:2: api.signing_key: must be at least 16 characters, got 5`},
		{"token_scope.yaml", `testdata/token_scope.yaml:5: api.tokens[0].scopes[1]: must be one of events, agent, admin, got "write"`},
		{"token_no_scopes.yaml", `testdata/token_no_scopes.yaml:3: api.tokens[0].scopes: required: one or more of events, agent, admin`},
		{"token_short.yaml", `testdata/token_short.yaml:4: api.tokens[0].token: must be at least 16 characters, got 6`},
		{"token_duplicate.yaml", `testdata/token_duplicate.yaml:7: api.tokens[1].token: same token as api.tokens[0]`},
		{"token_duplicate_name.yaml", `testdata/token_duplicate_name.yaml:6: api.tokens[1].name: duplicate name "crm" (also api.tokens[0])`},
		{"flows_empty.yaml", `testdata/flows_empty.yaml:1: flows: required: the folder holding the flow files`},
		{"timezone.yaml", `testdata/timezone.yaml:2: defaults.timezone: unknown time zone "Europe/Amsterdan"`},
		{"locale.yaml", `testdata/locale.yaml:2: defaults.locale: must be a language code such as nl or en-GB, got "Dutch"`},
		{"formality.yaml", `testdata/formality.yaml:2: defaults.formality: must be one of informal, formal, got "polite"`},
		{"late_limit.yaml", `testdata/late_limit.yaml:2: defaults.late_limit: must be positive, got 0s`},
		{"smtp_port.yaml", `testdata/smtp_port.yaml:2: smtp.port: must be 1-65535, got 0`},
		{"smtp_tls.yaml", `testdata/smtp_tls.yaml:2: smtp.tls: must be one of mandatory, opportunistic, none, implicit, got "starttls"`},
		{"smtp_from.yaml", `testdata/smtp_from.yaml:3: smtp.from: not an email address: "Example team"`},
		{"smtp_from_missing.yaml", `testdata/smtp_from_missing.yaml:1: smtp.from: required when smtp.host is set`},
		{"smtp_host_port.yaml", `testdata/smtp_host_port.yaml:2: smtp.host: must be a host name without scheme or port, got "smtp.example.com:587"`},
		{"twilio_auth_token.yaml", `testdata/twilio_auth_token.yaml:1: twilio.auth_token: required when twilio.account_sid is set`},
		{"twilio_sender.yaml", `testdata/twilio_sender.yaml:2: twilio.account_sid: needs a sender: set twilio.sms_from, twilio.messaging_service_sid or twilio.whatsapp_from`},
		{"twilio_without_account.yaml", `testdata/twilio_without_account.yaml:1: twilio.account_sid: required when twilio.auth_token is set`},
		{"twilio_api_url.yaml", `testdata/twilio_api_url.yaml:2: twilio.api_url: must be an absolute http(s) URL, got "api.twilio.com"`},
		{"twilio_numbers.yaml", "testdata/twilio_numbers.yaml:4: twilio.sms_from: \"06123**678\" is neither an E.164 number like +31612345678 nor an alphanumeric sender ID of up to 11 characters\n" +
			`testdata/twilio_numbers.yaml:5: twilio.whatsapp_from: "06123**678" is not an E.164 number like +31612345678`},
		{"webhook_url.yaml", `testdata/webhook_url.yaml:2: webhook.url: not an absolute http(s) URL`},
		{"webhook_secret.yaml", "testdata/webhook_secret.yaml:1: webhook.secret: required\n" +
			`testdata/webhook_secret.yaml:3: webhook.timeout: -5s is negative`},
		{"webhook_flows.yaml", "testdata/webhook_flows.yaml:6: webhook.flows[1].flow: required: the name of a flow\n" +
			"testdata/webhook_flows.yaml:8: webhook.flows[2].flow: duplicate flow \"late-order\" (also webhook.flows[0])\n" +
			`testdata/webhook_flows.yaml:11: webhook.flows[3].url: not an absolute http(s) URL`},
		{"stripe.yaml", "testdata/stripe.yaml:3: sources.stripe.tolerance: must be positive, got 0s\n" +
			`testdata/stripe.yaml:2: sources.stripe.secret: required when sources.stripe.mapping is set`},
		{"worker.yaml", "testdata/worker.yaml:2: worker.concurrency: must be 1 or more, got 0\n" +
			"testdata/worker.yaml:3: worker.shards: must be 1-64, got 65\n" +
			"testdata/worker.yaml:4: worker.poll_interval: must be positive, got -1s\n" +
			"testdata/worker.yaml:5: worker.shutdown_timeout: must be positive, got 0s"},
		{"log.yaml", "testdata/log.yaml:2: log.level: must be one of debug, info, warn, error, got \"verbose\"\n" +
			`testdata/log.yaml:3: log.format: must be one of text, json, got "logfmt"`},
	}
	tested := map[string]bool{}
	for _, tc := range cases {
		tested[tc.file] = true
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			c, err := Load("testdata/"+tc.file, noEnv)
			if err == nil {
				t.Fatalf("Load accepted it: %+v", c)
			}
			if c != nil {
				t.Errorf("Load returned a Config with the error")
			}
			if err.Error() != tc.want {
				t.Errorf("error:\n got %s\nwant %s", err, tc.want)
			}
		})
	}
	// Every file in testdata is an invalid case and must be in the table.
	files, err := filepath.Glob("testdata/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if !tested[filepath.Base(f)] {
			t.Errorf("%s has no case in TestLoadInvalid", f)
		}
	}
}

func TestLoadReportsEveryReadingError(t *testing.T) {
	t.Parallel()
	p := writeFile(t, "redis:\n  urll: x\nsmtp:\n  port: x\n  tls: [a]\n")
	_, err := Load(p, noEnv)
	if err == nil {
		t.Fatal("Load accepted it")
	}
	want := p + ":2: redis.urll: unknown field\n" +
		p + ":4: smtp.port: not an integer: \"x\"\n" +
		p + ":5: smtp.tls: expected a string, got a list"
	if err.Error() != want {
		t.Errorf("error:\n got %s\nwant %s", err, want)
	}
}

func TestLoadNoFileGivesDefaults(t *testing.T) {
	t.Parallel()
	c, err := Load("", noEnv)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := plain(c), Default(); !reflect.DeepEqual(got, want) {
		t.Errorf("Load(\"\") = %+v, want the defaults %+v", got, want)
	}
}

func TestLoadEmptyFileGivesDefaults(t *testing.T) {
	t.Parallel()
	for _, body := range []string{"", "\n", "# only a comment\n", "---\n", "~\n"} {
		c, err := Load(writeFile(t, body), noEnv)
		if err != nil {
			t.Errorf("%q: %v", body, err)
			continue
		}
		if !reflect.DeepEqual(plain(c), Default()) {
			t.Errorf("%q: got %+v, want the defaults", body, plain(c))
		}
	}
}

func TestLoadMissingFile(t *testing.T) {
	t.Parallel()
	_, err := Load(filepath.Join(t.TempDir(), "nope.yaml"), noEnv)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("err = %v, want one wrapping fs.ErrNotExist", err)
	}
	if !strings.HasPrefix(err.Error(), "read config file: ") {
		t.Errorf("err = %q, want it to say what was being done", err)
	}
}

func TestLoadOverlaysFileOnDefaults(t *testing.T) {
	t.Parallel()
	p := writeFile(t, `
redis:
  cluster: [10.0.0.1:7000, "10.0.0.2:7000"]
api:
  tokens:
    - {name: crm, token: 0123456789abcdef, scopes: [events, agent]}
smtp:
  port: 465
  tls: implicit
  timeout: 1m
defaults:
  late_limit: 2d
  locale: en-GB
worker:
  shards: 64
log: ~
twilio:
`)
	c, err := Load(p, noEnv)
	if err != nil {
		t.Fatal(err)
	}
	want := Default()
	want.Redis.Cluster = []string{"10.0.0.1:7000", "10.0.0.2:7000"}
	want.API.Tokens = []Token{{Name: "crm", Token: "0123456789abcdef", Scopes: []string{"events", "agent"}}}
	want.SMTP.Port = 465
	want.SMTP.TLS = "implicit"
	want.SMTP.Timeout = Duration(time.Minute)
	want.Defaults.LateLimit = Duration(48 * time.Hour)
	want.Defaults.Locale = "en-GB"
	want.Worker.Shards = 64
	if got := plain(c); !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}

func TestLoadNullClearsAKey(t *testing.T) {
	t.Parallel()
	c, err := Load(writeFile(t, "redis:\n  cluster: [a:1]\n  url:\n"), noEnv)
	if err != nil {
		t.Fatal(err)
	}
	if c.Redis.URL != "" {
		t.Errorf("redis.url = %q, want it cleared by an empty value", c.Redis.URL)
	}
}

func TestLoadFollowsAliases(t *testing.T) {
	t.Parallel()
	c, err := Load(writeFile(t, `
api:
  tokens:
    - name: a
      token: 0123456789abcdef
      scopes: &both [events, agent]
    - name: b
      token: fedcba9876543210
      scopes: *both
`), noEnv)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.API.Tokens[1].Scopes; !reflect.DeepEqual(got, []string{"events", "agent"}) {
		t.Errorf("scopes through alias = %v", got)
	}
}

func TestDefaultIsValid(t *testing.T) {
	t.Parallel()
	if err := Default().Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestDefaults(t *testing.T) {
	t.Parallel()
	c := Default()
	for _, tc := range []struct {
		key       string
		got, want any
	}{
		{"redis.url", c.Redis.URL, "redis://127.0.0.1:6379/0"},
		{"api.addr", c.API.Addr, ":8080"},
		{"api.max_body_bytes", c.API.MaxBodyBytes, int64(5 * 1024 * 1024)},
		{"flows", c.Flows, "./flows"},
		{"defaults.timezone", c.Defaults.Timezone, "Europe/Amsterdam"},
		{"defaults.locale", c.Defaults.Locale, "nl"},
		{"defaults.formality", c.Defaults.Formality, "informal"},
		{"defaults.late_limit", c.Defaults.LateLimit.Duration(), 24 * time.Hour},
		{"smtp.port", c.SMTP.Port, 587},
		{"smtp.tls", c.SMTP.TLS, "mandatory"},
		{"smtp.timeout", c.SMTP.Timeout.Duration(), 30 * time.Second},
		{"twilio.api_url", c.Twilio.APIURL, "https://api.twilio.com"},
		{"worker.concurrency", c.Worker.Concurrency, 20},
		{"worker.shards", c.Worker.Shards, 4},
		{"worker.poll_interval", c.Worker.PollInterval.Duration(), time.Second},
		{"worker.shutdown_timeout", c.Worker.ShutdownTimeout.Duration(), 30 * time.Second},
		{"log.level", c.Log.Level, "info"},
		{"log.format", c.Log.Format, "text"},
		{"api.insecure_no_auth", c.API.InsecureNoAuth, false},
	} {
		if tc.got != tc.want {
			t.Errorf("%s = %v, want %v", tc.key, tc.got, tc.want)
		}
	}
	// Default returns a fresh copy each time.
	c.Worker.Shards = 9
	if Default().Worker.Shards != 4 {
		t.Error("changing one Default() changed the next")
	}
}

func TestValidateWithoutSource(t *testing.T) {
	t.Parallel()
	c := Default()
	c.SMTP.Port = 0
	c.Log.Format = "xml"
	c.Redis.Cluster = []string{":6379"}
	err := c.Validate()
	want := "redis.cluster[0]: missing host in \":6379\"\n" +
		"smtp.port: must be 1-65535, got 0\n" +
		"log.format: must be one of text, json, got \"xml\""
	if err == nil || err.Error() != want {
		t.Errorf("error:\n got %v\nwant %s", err, want)
	}
}

func TestValidateAccepts(t *testing.T) {
	t.Parallel()
	for name, change := range map[string]func(*Config){
		"rediss with password":     func(c *Config) { c.Redis.URL = "rediss://user:p%40ss@redis.example.com:6380/2" },
		"redis without port or db": func(c *Config) { c.Redis.URL = "redis://redis" },
		"cluster without url":      func(c *Config) { c.Redis.URL = ""; c.Redis.Cluster = []string{"10.0.0.1:7000", "[::1]:7001"} },
		"addr with host":           func(c *Config) { c.API.Addr = "127.0.0.1:0" },
		"public url with path":     func(c *Config) { c.API.PublicURL = "http://localhost:8080/ahead" },
		"formal english":           func(c *Config) { c.Defaults.Locale = "en-GB"; c.Defaults.Formality = "formal" },
		"locale with region code":  func(c *Config) { c.Defaults.Locale = "es-419" },
		"smtp on":                  func(c *Config) { c.SMTP.Host = "smtp.example.com"; c.SMTP.From = "Example <a@example.com>" },
		"smtp on ip":               func(c *Config) { c.SMTP.Host = "::1"; c.SMTP.From = "a@example.com"; c.SMTP.TLS = "none" },
		"twilio messaging service": func(c *Config) {
			c.Twilio.AccountSID, c.Twilio.AuthToken, c.Twilio.MessagingServiceSID = "AC1", "t", "MG0123456789abcdef0123456789abcdef"
		},
		"twilio sender id": func(c *Config) { c.Twilio.AccountSID, c.Twilio.AuthToken, c.Twilio.SMSFrom = "AC1", "t", "Example" },
		"twilio whatsapp": func(c *Config) {
			c.Twilio.AccountSID, c.Twilio.AuthToken, c.Twilio.WhatsAppFrom = "AC1", "t", "+31612345678"
		},
		"admin token": func(c *Config) {
			c.API.Tokens = []Token{{Name: "ops", Token: "0123456789abcdef", Scopes: []string{"admin"}}}
		},
	} {
		c := Default()
		change(c)
		if err := c.Validate(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestValidateDoesNotLeakRedisPassword(t *testing.T) {
	t.Parallel()
	c := Default()
	c.Redis.URL = "redis://:hunter2hunter2@redis:port/0"
	err := c.Validate()
	if err == nil {
		t.Fatal("bad port accepted")
	}
	if strings.Contains(err.Error(), "hunter2") {
		t.Errorf("error shows the password: %v", err)
	}
}

func TestRequires(t *testing.T) {
	t.Parallel()
	noAuth := "api.tokens: no bearer tokens configured; set api.insecure_no_auth: true to run without authentication"
	noURL := "api.public_url: required when twilio.account_sid is set: Twilio status callbacks are sent to it"
	withTokens := func(c *Config) {
		c.API.Tokens = []Token{{Name: "crm", Token: "0123456789abcdef", Scopes: []string{"events"}}}
	}
	insecure := func(c *Config) { c.API.InsecureNoAuth = true }
	twilio := func(c *Config) {
		c.Twilio.AccountSID, c.Twilio.AuthToken, c.Twilio.SMSFrom = "AC0123456789abcdef0123456789abcdef", "t", "+31612345678"
	}
	cases := []struct {
		mode   string
		change []func(*Config)
		want   string
	}{
		{"serve", nil, noAuth},
		{"api", nil, noAuth},
		{"serve", []func(*Config){withTokens}, ""},
		{"api", []func(*Config){insecure}, ""},
		{"worker", nil, ""},
		{"dev", nil, ""},
		{"serve", []func(*Config){withTokens, twilio}, noURL},
		{"worker", []func(*Config){twilio}, noURL},
		{"dev", []func(*Config){twilio}, ""},
		{"api", []func(*Config){twilio}, noAuth + "\n" + noURL},
		{"bench", nil, `check config for mode "bench": unknown mode (want dev, serve, api or worker)`},
	}
	for _, tc := range cases {
		c := Default()
		for _, f := range tc.change {
			f(c)
		}
		err := c.Requires(tc.mode)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tc.want {
			t.Errorf("Requires(%q) with %d changes:\n got %q\nwant %q", tc.mode, len(tc.change), got, tc.want)
		}
	}
}

func TestRequiresNamesTheFile(t *testing.T) {
	t.Parallel()
	p := writeFile(t, "api:\n  addr: \":9090\"\n")
	c, err := Load(p, noEnv)
	if err != nil {
		t.Fatal(err)
	}
	want := p + ":1: api.tokens: no bearer tokens configured; set api.insecure_no_auth: true to run without authentication"
	if err := c.Requires("serve"); err == nil || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
}

func TestRedacted(t *testing.T) {
	t.Parallel()
	c := Default()
	c.Redis.URL = "rediss://default:redis-secret@redis.example.com:6380/0"
	c.Redis.Cluster = []string{"a:1"}
	c.API.Tokens = []Token{{Name: "crm", Token: "token-secret-0123", Scopes: []string{"events"}}}
	c.API.SigningKey = "signing-secret-0123"
	c.SMTP.Username = "ahead"
	c.SMTP.Password = "smtp-secret"
	c.Twilio.AccountSID = "AC123"
	c.Twilio.AuthToken = "twilio-secret"
	c.Redis.Username, c.Redis.Password = "ahead", "cluster-secret"
	c.Redis.Sentinel.Password = "sentinel-secret"

	r := c.Redacted()
	if r.Redis.URL != "rediss://default:***@redis.example.com:6380/0" {
		t.Errorf("redis.url = %q", r.Redis.URL)
	}
	for key, got := range map[string]string{
		"api.tokens[0].token":     r.API.Tokens[0].Token,
		"api.signing_key":         r.API.SigningKey,
		"smtp.password":           r.SMTP.Password,
		"twilio.auth_token":       r.Twilio.AuthToken,
		"redis.password":          r.Redis.Password,
		"redis.sentinel.password": r.Redis.Sentinel.Password,
	} {
		if got != "***" {
			t.Errorf("%s = %q, want ***", key, got)
		}
	}
	if r.API.Tokens[0].Name != "crm" || r.SMTP.Username != "ahead" || r.Twilio.AccountSID != "AC123" || r.Redis.Username != "ahead" {
		t.Errorf("redacted more than the secrets: %+v", r)
	}
	// The original is untouched and shares no memory with the copy.
	r.Redis.Cluster[0] = "changed"
	r.API.Tokens[0].Scopes[0] = "changed"
	if c.API.Tokens[0].Token != "token-secret-0123" || c.SMTP.Password != "smtp-secret" ||
		c.Redis.Cluster[0] != "a:1" || c.API.Tokens[0].Scopes[0] != "events" {
		t.Errorf("Redacted changed the original: %+v", c)
	}
	// Unset secrets stay empty, so the copy shows what is configured.
	if d := Default().Redacted(); d.SMTP.Password != "" || d.Twilio.AuthToken != "" || d.Redis.URL != Default().Redis.URL {
		t.Errorf("unset secrets changed: %+v", d)
	}
	c.Redis.URL = "redis://:pa ss@%zz"
	if got := c.Redacted().Redis.URL; got != "***" {
		t.Errorf("an unparsable URL is shown as %q", got)
	}
}
