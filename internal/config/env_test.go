package config

import (
	"reflect"
	"slices"
	"testing"
	"time"
)

func TestEnvOverrides(t *testing.T) {
	t.Parallel()
	p := writeFile(t, "smtp:\n  port: 25\nredis:\n  url: redis://file:6379/0\n")
	c, err := Load(p, envOf(map[string]string{
		"AHEAD_REDIS_URL":            "rediss://env.example.com:6380/1",
		"AHEAD_API_PUBLIC_URL":       "https://ahead.example.com",
		"AHEAD_SMTP_PORT":            "2525",
		"AHEAD_TWILIO_API_URL":       "http://127.0.0.1:4010",
		"AHEAD_WORKER_POLL_INTERVAL": "250ms",
		"AHEAD_DEFAULTS_LATE_LIMIT":  "1d12h",
		"AHEAD_API_INSECURE_NO_AUTH": "true",
		"AHEAD_API_MAX_BODY_BYTES":   "1024",
		"AHEAD_FLOWS":                "/etc/ahead/flows",
		"AHEAD_LOG_FORMAT":           "json",
		"AHEAD_OTHER":                "ignored",
	}))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		key       string
		got, want any
	}{
		{"redis.url", c.Redis.URL, "rediss://env.example.com:6380/1"},
		{"api.public_url", c.API.PublicURL, "https://ahead.example.com"},
		{"smtp.port", c.SMTP.Port, 2525},
		{"twilio.api_url", c.Twilio.APIURL, "http://127.0.0.1:4010"},
		{"worker.poll_interval", c.Worker.PollInterval.Duration(), 250 * time.Millisecond},
		{"defaults.late_limit", c.Defaults.LateLimit.Duration(), 36 * time.Hour},
		{"api.insecure_no_auth", c.API.InsecureNoAuth, true},
		{"api.max_body_bytes", c.API.MaxBodyBytes, int64(1024)},
		{"flows", c.Flows, "/etc/ahead/flows"},
		{"log.format", c.Log.Format, "json"},
		{"log.level", c.Log.Level, "info"}, // untouched default
	} {
		if tc.got != tc.want {
			t.Errorf("%s = %v, want %v", tc.key, tc.got, tc.want)
		}
	}
}

func TestEnvListsAndTokens(t *testing.T) {
	t.Parallel()
	c, err := Load("", envOf(map[string]string{
		"AHEAD_REDIS_CLUSTER": "a:1, b:2,,",
		"AHEAD_API_TOKENS":    "crm:0123456789abcdef:events+agent, ops:with:colon:0123456789:admin",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"a:1", "b:2"}; !reflect.DeepEqual(c.Redis.Cluster, want) {
		t.Errorf("redis.cluster = %q, want %q", c.Redis.Cluster, want)
	}
	want := []Token{
		{Name: "crm", Token: "0123456789abcdef", Scopes: []string{"events", "agent"}},
		{Name: "ops", Token: "with:colon:0123456789", Scopes: []string{"admin"}},
	}
	if !reflect.DeepEqual(c.API.Tokens, want) {
		t.Errorf("api.tokens = %+v, want %+v", c.API.Tokens, want)
	}
	if !c.Authorize("with:colon:0123456789", ScopeEvents) {
		t.Error("a token from the environment is not accepted")
	}
}

func TestEnvReplacesFileTokens(t *testing.T) {
	t.Parallel()
	p := writeFile(t, "api:\n  tokens:\n    - {name: file, token: file-token-0123456789, scopes: [admin]}\n")
	c, err := Load(p, envOf(map[string]string{"AHEAD_API_TOKENS": "env:env-token-0123456789:events"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Authorize("file-token-0123456789", ScopeEvents) {
		t.Error("the file's token still works after AHEAD_API_TOKENS replaced the list")
	}
	if !c.Authorize("env-token-0123456789", ScopeEvents) {
		t.Error("the environment's token does not work")
	}
}

func TestEnvBadValues(t *testing.T) {
	t.Parallel()
	cases := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"AHEAD_SMTP_PORT": "x"}, `AHEAD_SMTP_PORT: not an integer: "x"`},
		{map[string]string{"AHEAD_API_INSECURE_NO_AUTH": "yes please"}, `AHEAD_API_INSECURE_NO_AUTH: not a boolean: "yes please" (use true or false)`},
		{map[string]string{"AHEAD_SMTP_TIMEOUT": "soon"}, `AHEAD_SMTP_TIMEOUT: not a duration: "soon" (use a number with a unit: 30s, 15m, 24h, 2d)`},
		{map[string]string{"AHEAD_API_TOKENS": "crm:0123456789abcdef:events,justatoken"}, `AHEAD_API_TOKENS: token 2: want name:token:scope+scope, got 1 part(s)`},
		{
			map[string]string{"AHEAD_WORKER_SHARDS": "many", "AHEAD_WORKER_CONCURRENCY": "1.5"},
			"AHEAD_WORKER_CONCURRENCY: not an integer: \"1.5\"\nAHEAD_WORKER_SHARDS: not an integer: \"many\"",
		},
		// Values that parse but do not validate name the variable too.
		{map[string]string{"AHEAD_SMTP_PORT": "70000"}, `AHEAD_SMTP_PORT: smtp.port: must be 1-65535, got 70000`},
		{map[string]string{"AHEAD_API_TOKENS": "crm:short:events+write"}, "AHEAD_API_TOKENS: api.tokens[0].token: must be at least 16 characters, got 5\n" +
			`AHEAD_API_TOKENS: api.tokens[0].scopes[1]: must be one of events, agent, admin, got "write"`},
	}
	for _, tc := range cases {
		_, err := Load("", envOf(tc.env))
		if err == nil || err.Error() != tc.want {
			t.Errorf("%v:\n got %v\nwant %s", tc.env, err, tc.want)
		}
	}
}

func TestEnvWinsOverFileInMessages(t *testing.T) {
	t.Parallel()
	p := writeFile(t, "smtp:\n  port: 25\n  tls: bogus\n")
	_, err := Load(p, envOf(map[string]string{"AHEAD_SMTP_PORT": "0"}))
	want := "AHEAD_SMTP_PORT: smtp.port: must be 1-65535, got 0\n" +
		p + `:3: smtp.tls: must be one of mandatory, opportunistic, none, implicit, got "bogus"`
	if err == nil || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
}

// TestEnvEveryKey checks that every setting in Config, including any added
// later, has a working environment override.
func TestEnvEveryKey(t *testing.T) {
	t.Parallel()
	sample := func(v reflect.Value) (string, any) {
		switch {
		case v.Type() == durationType:
			return "3m", Duration(3 * time.Minute)
		case v.Type() == tokensType:
			return "n:0123456789abcdef:events+agent", []Token{{Name: "n", Token: "0123456789abcdef", Scopes: []string{"events", "agent"}}}
		case v.Type() == webhookFlowsType:
			return "late-order=https://crm.example.com/in", []WebhookFlow{{Flow: "late-order", URL: "https://crm.example.com/in"}}
		case v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.String:
			return "a:1,b:2", []string{"a:1", "b:2"}
		case v.Kind() == reflect.String:
			return "from-env", "from-env"
		case v.Kind() == reflect.Bool:
			return "true", true
		case v.Kind() == reflect.Int:
			return "7", 7
		case v.Kind() == reflect.Int64:
			return "7", int64(7)
		}
		t.Fatalf("no sample for %s", v.Type())
		return "", nil
	}
	keys := Keys()
	if len(keys) < 30 {
		t.Fatalf("Keys() = %d keys, want every setting: %v", len(keys), keys)
	}
	for _, key := range []string{"redis.url", "api.tokens", "api.public_url", "twilio.api_url", "worker.poll_interval", "defaults.late_limit", "smtp.username"} {
		if !slices.Contains(keys, key) {
			t.Errorf("Keys() lacks %s", key)
		}
	}
	for _, key := range keys {
		c := Default()
		var field reflect.Value
		walkLeaves(reflect.ValueOf(c).Elem(), "", func(v reflect.Value, path string) {
			if path == key {
				field = v
			}
		})
		raw, want := sample(field)
		name := EnvName(key)
		if err := c.applyEnv(envOf(map[string]string{name: raw})); err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if got := field.Interface(); !reflect.DeepEqual(got, want) {
			t.Errorf("%s=%s set %s to %v, want %v", name, raw, key, got, want)
		}
		if c.source(key) != name {
			t.Errorf("%s: source = %q, want %s", key, c.source(key), name)
		}
	}
}

func TestEnvName(t *testing.T) {
	t.Parallel()
	for key, want := range map[string]string{
		"redis.url":                    "AHEAD_REDIS_URL",
		"api.public_url":               "AHEAD_API_PUBLIC_URL",
		"twilio.messaging_service_sid": "AHEAD_TWILIO_MESSAGING_SERVICE_SID",
		"flows":                        "AHEAD_FLOWS",
	} {
		if got := EnvName(key); got != want {
			t.Errorf("EnvName(%q) = %q, want %q", key, got, want)
		}
	}
}

func TestLoadNilEnvReadsProcessEnvironment(t *testing.T) {
	t.Setenv("AHEAD_WORKER_SHARDS", "9")
	c, err := Load("", nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Worker.Shards != 9 {
		t.Errorf("worker.shards = %d, want 9 from AHEAD_WORKER_SHARDS", c.Worker.Shards)
	}
}
