package config

import (
	"fmt"
	"os"
	"time"

	"github.com/aheadhq/ahead/channels/webhook"
	"github.com/aheadhq/ahead/internal/yamlx"
	"github.com/aheadhq/ahead/sources/stripe"
)

// Config is the whole of ahead's configuration. Build one with Default or
// Load; a Config built by hand should be passed through Validate.
type Config struct {
	Redis    Redis    `yaml:"redis"`
	API      API      `yaml:"api"`
	Flows    string   `yaml:"flows"` // folder holding the flow files and their templates/
	Defaults Defaults `yaml:"defaults"`
	SMTP     SMTP     `yaml:"smtp"`
	Twilio   Twilio   `yaml:"twilio"`
	Webhook  Webhook  `yaml:"webhook"`
	Sources  Sources  `yaml:"sources"`
	Worker   Worker   `yaml:"worker"`
	Log      Log      `yaml:"log"`
	Privacy  Privacy  `yaml:"privacy"`

	// src maps a key path ("smtp.port", "api.tokens[1].token") to where its
	// value came from: "file:line" or the name of an environment variable.
	src map[string]string
}

// Redis says where scheduled work, journals and customer profiles live.
type Redis struct {
	// URL is a redis:// or rediss:// URL with optional user, password and
	// database number. It is not used when Cluster or Sentinel is set.
	URL string `yaml:"url"`
	// Cluster lists host:port seed addresses of a Redis Cluster. When set,
	// ahead runs in cluster mode.
	Cluster []string `yaml:"cluster"`
	// Username and Password authenticate ahead to Redis (an ACL user, or
	// the default user when Username is empty), and TLS connects over TLS.
	// They are how a cluster's nodes are reached; with URL they may be set
	// in the URL instead (redis://user:password@host, rediss://), not in
	// both places.
	Username string `yaml:"username"`
	Password string `yaml:"password"`
	TLS      bool   `yaml:"tls"`
	// TLSCA is a PEM file of the certificate authorities that Redis's
	// certificate is checked against, instead of the system's; for TLS by
	// redis.tls or a rediss:// URL.
	TLSCA string `yaml:"tls_ca"`
	// Sentinel, when its addresses are set, finds the master through Redis
	// Sentinel and follows it when it fails over.
	Sentinel Sentinel `yaml:"sentinel"`
}

// Sentinel names a master that Redis Sentinels watch.
type Sentinel struct {
	// Master is the name the sentinels monitor the master under.
	Master string `yaml:"master"`
	// Addrs are host:port addresses of sentinels.
	Addrs []string `yaml:"addrs"`
	// Password is the sentinels' own password, when they require one.
	Password string `yaml:"password"`
	// DB is the master's database number [0].
	DB int `yaml:"db"`
}

// API configures the HTTP server.
type API struct {
	// Addr is the host:port the server listens on.
	Addr string `yaml:"addr"`
	// PublicURL is the absolute http(s) URL, without trailing slash, at which
	// providers and customers reach this server. Webhook and unsubscribe URLs
	// are built from it.
	PublicURL string `yaml:"public_url"`
	// Tokens are the bearer tokens that may call the API.
	Tokens []Token `yaml:"tokens"`
	// InsecureNoAuth lets ahead serve and ahead api run without any bearer
	// token. Only for trusted networks.
	InsecureNoAuth bool `yaml:"insecure_no_auth"`
	// SigningKey signs one-click unsubscribe links; at least 16 characters
	// when set.
	SigningKey string `yaml:"signing_key"`
	// MaxBodyBytes caps the size of a request body.
	MaxBodyBytes int64 `yaml:"max_body_bytes"`
}

// Token is one bearer token and what it may do.
type Token struct {
	// Name identifies the caller in logs and the journal; never the secret.
	Name string `yaml:"name"`
	// Token is the secret, at least 16 characters.
	Token string `yaml:"token"`
	// Scopes are what the token may do: events, agent, admin. Admin implies
	// every other scope.
	Scopes []string `yaml:"scopes"`
	// Agent is the agent an agent-scope token acts as: the name its claims
	// and call outcomes are recorded under. Empty means Name.
	Agent string `yaml:"agent"`
}

// Defaults apply to a customer whose profile does not say otherwise.
type Defaults struct {
	// Timezone is an IANA zone name used when a customer has none.
	Timezone string `yaml:"timezone"`
	// Locale picks the template language, such as "nl" or "en-GB".
	Locale string `yaml:"locale"`
	// Formality is informal (je/jij) or formal (u).
	Formality string `yaml:"formality"`
	// LateLimit is how late a step may still run when its due time has
	// already passed; later steps are skipped as too late.
	LateLimit Duration `yaml:"late_limit"`
}

// SMTP configures the email channel. The channel is off while Host is empty.
type SMTP struct {
	Host     string `yaml:"host"`
	Port     int    `yaml:"port"`
	Username string `yaml:"username"`
	Password string `yaml:"password"`
	// TLS is one of mandatory (STARTTLS required), opportunistic (STARTTLS
	// when offered), none (plain text) or implicit (TLS from the first byte,
	// usually port 465).
	TLS string `yaml:"tls"`
	// From is the sender address, e.g. "Example <hello@example.com>".
	From    string   `yaml:"from"`
	ReplyTo string   `yaml:"reply_to"`
	Timeout Duration `yaml:"timeout"`
}

// Twilio configures the SMS and WhatsApp channels. They are off while
// AccountSID is empty.
type Twilio struct {
	AccountSID string `yaml:"account_sid"`
	AuthToken  string `yaml:"auth_token"`
	// APIURL is the base URL of the Twilio REST API.
	APIURL string `yaml:"api_url"`
	// SMSFrom is the E.164 number or alphanumeric sender ID for SMS.
	SMSFrom string `yaml:"sms_from"`
	// MessagingServiceSID sends SMS through a Messaging Service instead of
	// SMSFrom.
	MessagingServiceSID string `yaml:"messaging_service_sid"`
	// WhatsAppFrom is the WhatsApp sender, "+31..." or "whatsapp:+31...".
	WhatsAppFrom string `yaml:"whatsapp_from"`
	// MaxPerSecond caps messages sent to Twilio per second; 0 means no cap.
	MaxPerSecond int `yaml:"max_per_second"`
}

// Webhook configures the webhook channel: each message is posted as
// signed JSON to a URL of the user's own. The channel is off while URL,
// Secret and Flows are all empty; see channels/webhook for the rules.
type Webhook struct {
	// URL receives the messages of every flow that Flows does not name.
	URL string `yaml:"url"`
	// Secret signs every request; at least 16 characters.
	Secret string `yaml:"secret"`
	// Timeout bounds one request.
	Timeout Duration `yaml:"timeout"`
	// Flows gives some flows a URL of their own.
	Flows []WebhookFlow `yaml:"flows"`
}

// WebhookFlow is the URL that receives one flow's webhook messages.
type WebhookFlow struct {
	Flow string `yaml:"flow"`
	URL  string `yaml:"url"`
}

// On reports whether the webhook section is set at all.
func (w Webhook) On() bool { return w.URL != "" || w.Secret != "" || len(w.Flows) > 0 }

// Channel returns the settings as the webhook channel takes them: the
// list of per-flow URLs as a map from flow name to URL.
func (w Webhook) Channel() webhook.Config {
	cfg := webhook.Config{URL: w.URL, Secret: w.Secret, Timeout: w.Timeout.Duration()}
	for _, f := range w.Flows {
		if cfg.Flows == nil {
			cfg.Flows = map[string]string{}
		}
		cfg.Flows[f.Flow] = f.URL
	}
	return cfg
}

// Sources configures the providers whose own webhooks ahead takes in as
// events.
type Sources struct {
	Stripe Stripe `yaml:"stripe"`
}

// Stripe configures POST /v1/sources/stripe, which is off (404) while
// Secret is empty.
type Stripe struct {
	// Secret is the Stripe endpoint's signing secret ("whsec_…").
	Secret string `yaml:"secret"`
	// Tolerance is how far a signature's timestamp may lie from now.
	Tolerance Duration `yaml:"tolerance"`
	// Mapping is a mapping file that adds or replaces rules of the default
	// mapping of Stripe events to ahead events; "" uses the default.
	Mapping string `yaml:"mapping"`
}

// Worker configures the process that runs scheduled steps.
type Worker struct {
	// Concurrency is how many tasks one worker process runs at once.
	Concurrency int `yaml:"concurrency"`
	// Shards is the number of step queues, 1 to 64. Steps spread over them
	// so a Redis Cluster spreads the load.
	Shards int `yaml:"shards"`
	// PollInterval is how often due delayed tasks are moved to their queue.
	PollInterval Duration `yaml:"poll_interval"`
	// ShutdownTimeout is how long running tasks get to finish on shutdown.
	ShutdownTimeout Duration `yaml:"shutdown_timeout"`
	// Addr is where `ahead worker` serves /healthz, /readyz and /metrics;
	// empty serves nothing. `ahead serve` serves them with the API.
	Addr string `yaml:"addr"`
}

// Privacy says how ahead remembers an erasure.
type Privacy struct {
	// TombstoneTTL is how long an erased customer stays suppressed: their
	// events are acknowledged and dropped, and links and webhooks create
	// nothing. The tombstone holds a keyed hash of the customer id, never
	// the id.
	TombstoneTTL Duration `yaml:"tombstone_ttl"`
}

// Log configures logging.
type Log struct {
	// Level is debug, info, warn or error.
	Level string `yaml:"level"`
	// Format is text or json.
	Format string `yaml:"format"`
}

// Default returns a Config holding every default. It is the only place
// defaults are set.
func Default() *Config {
	return &Config{
		Redis: Redis{URL: "redis://127.0.0.1:6379/0"},
		API: API{
			Addr:         ":8080",
			MaxBodyBytes: 5 << 20,
		},
		Flows: "./flows",
		Defaults: Defaults{
			Timezone:  "Europe/Amsterdam",
			Locale:    "nl",
			Formality: "informal",
			LateLimit: Duration(24 * time.Hour),
		},
		SMTP: SMTP{
			Port:    587,
			TLS:     "mandatory",
			Timeout: Duration(30 * time.Second),
		},
		Twilio:  Twilio{APIURL: "https://api.twilio.com"},
		Webhook: Webhook{Timeout: Duration(webhook.DefaultTimeout)},
		Sources: Sources{Stripe: Stripe{Tolerance: Duration(stripe.DefaultTolerance)}},
		Worker: Worker{
			Concurrency:     20,
			Shards:          4,
			PollInterval:    Duration(time.Second),
			ShutdownTimeout: Duration(30 * time.Second),
			Addr:            ":9090",
		},
		Log:     Log{Level: "info", Format: "text"},
		Privacy: Privacy{TombstoneTTL: Duration(90 * 24 * time.Hour)},
	}
}

// Load returns the defaults, overlaid by the YAML file at path (none when
// path is empty), overlaid by the AHEAD_… variables that env returns (nil
// means os.Getenv), and validated. The error lists every problem found, one
// per line, each naming its key.
func Load(path string, env func(string) string) (*Config, error) {
	var data []byte
	if path != "" {
		var err error
		data, err = os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("read config file: %w", err)
		}
	}
	if env == nil {
		env = os.Getenv
	}
	return load(path, data, env)
}

// load is Load without the file system.
func load(name string, data []byte, env func(string) string) (*Config, error) {
	c := Default()
	c.src = map[string]string{}
	if err := yamlx.Decode(name, data, c, c.src); err != nil {
		return nil, err
	}
	if err := c.applyEnv(env); err != nil {
		return nil, err
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// clone returns a deep copy of c.
func (c *Config) clone() *Config {
	d := *c
	d.Redis.Cluster = append([]string(nil), c.Redis.Cluster...)
	d.Redis.Sentinel.Addrs = append([]string(nil), c.Redis.Sentinel.Addrs...)
	d.Webhook.Flows = append([]WebhookFlow(nil), c.Webhook.Flows...)
	d.API.Tokens = nil
	for _, t := range c.API.Tokens {
		t.Scopes = append([]string(nil), t.Scopes...)
		d.API.Tokens = append(d.API.Tokens, t)
	}
	if c.src != nil {
		d.src = make(map[string]string, len(c.src))
		for k, v := range c.src {
			d.src[k] = v
		}
	}
	return &d
}
