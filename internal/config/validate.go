package config

import (
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/aheadhq/ahead/channels/twilio"
)

// Scopes a bearer token can hold.
const (
	ScopeEvents = "events" // POST /v1/events
	ScopeAgent  = "agent"  // the callback queue
	ScopeAdmin  = "admin"  // everything, including customers, flows and reports
)

var (
	scopes     = []string{ScopeEvents, ScopeAgent, ScopeAdmin}
	tlsModes   = []string{"mandatory", "opportunistic", "none", "implicit"}
	formality  = []string{"informal", "formal"}
	logLevels  = []string{"debug", "info", "warn", "error"}
	logFormats = []string{"text", "json"}

	localeRE = regexp.MustCompile(`^[a-z]{2,3}(-([A-Z]{2}|[0-9]{3}))?$`)
)

// MinSecretLen is the shortest bearer token or signing key accepted.
const MinSecretLen = 16

// MaxShards is the largest number of step queues.
const MaxShards = 64

// problems collects validation errors, each prefixed with where its key was
// set when that is known.
type problems struct {
	c    *Config
	errs []error
}

func (p *problems) add(key, format string, args ...any) {
	msg := key + ": " + fmt.Sprintf(format, args...)
	if at := p.c.source(key); at != "" {
		msg = at + ": " + msg
	}
	p.errs = append(p.errs, errors.New(msg))
}

// source returns where the value at key, or else its nearest enclosing
// key, was set: "file:line" or an environment variable; "" if unknown.
func (c *Config) source(key string) string {
	for key != "" {
		if at, ok := c.src[key]; ok {
			return at
		}
		i := strings.LastIndexAny(key, ".[")
		if i < 0 {
			break
		}
		key = key[:i]
	}
	return ""
}

// Validate checks every setting and returns all problems found, joined,
// each naming its key ("smtp.port: must be 1-65535, got 0") and, for a
// loaded Config, the file and line or environment variable it came from.
func (c *Config) Validate() error {
	p := &problems{c: c}
	c.validateRedis(p)
	c.validateAPI(p)
	if c.Flows == "" {
		p.add("flows", "required: the folder holding the flow files")
	}
	c.validateDefaults(p)
	c.validateSMTP(p)
	c.validateTwilio(p)
	c.validateWebhook(p)
	c.validateSources(p)
	c.validateWorker(p)
	if c.Privacy.TombstoneTTL.Duration() < time.Hour {
		p.add("privacy.tombstone_ttl", "must be at least 1h, got %s", c.Privacy.TombstoneTTL)
	}
	oneOf(p, "log.level", c.Log.Level, logLevels)
	oneOf(p, "log.format", c.Log.Format, logFormats)
	return errors.Join(p.errs...)
}

func (c *Config) validateRedis(p *problems) {
	r := c.Redis
	sentinel := len(r.Sentinel.Addrs) > 0
	if len(r.Cluster) == 0 && !sentinel {
		if r.URL == "" {
			p.add("redis.url", "required unless redis.cluster or redis.sentinel is set")
		} else if err := checkRedisURL(r.URL); err != nil {
			p.add("redis.url", "%v", err)
		}
	}
	switch {
	case sentinel && len(r.Cluster) > 0:
		p.add("redis.sentinel.addrs", "set either redis.cluster or redis.sentinel, not both")
	case sentinel && r.Sentinel.Master == "":
		p.add("redis.sentinel.master", "required with redis.sentinel.addrs: the name the sentinels monitor the master under")
	case !sentinel && (r.Sentinel.Master != "" || r.Sentinel.Password != "" || r.Sentinel.DB != 0):
		p.add("redis.sentinel.addrs", "required with redis.sentinel.master, redis.sentinel.password and redis.sentinel.db")
	}
	if r.Sentinel.DB < 0 {
		p.add("redis.sentinel.db", "a database number, 0 or more, got %d", r.Sentinel.DB)
	}
	addrs(p, "redis.sentinel.addrs", r.Sentinel.Addrs)
	if len(r.Cluster) == 0 && !sentinel && r.URL != "" {
		if u, err := url.Parse(r.URL); err == nil && u.User != nil {
			if u.User.Username() != "" && r.Username != "" {
				p.add("redis.username", "the user is in redis.url already; set it in one place")
			}
			if _, ok := u.User.Password(); ok && r.Password != "" {
				p.add("redis.password", "the password is in redis.url already; set it in one place")
			}
		}
	}
	if r.TLSCA != "" && !r.TLS && !strings.HasPrefix(r.URL, "rediss://") {
		p.add("redis.tls_ca", "needs redis.tls: true (or a rediss:// URL)")
	}
	if r.Username != "" && r.Password == "" {
		p.add("redis.username", "needs redis.password")
	}
	addrs(p, "redis.cluster", r.Cluster)
}

// addrs checks a list of host:port addresses without repeats.
func addrs(p *problems, field string, list []string) {
	seen := map[string]bool{}
	for i, addr := range list {
		key := fmt.Sprintf("%s[%d]", field, i)
		if err := checkHostPort(addr, true); err != nil {
			p.add(key, "%v", err)
		} else if seen[addr] {
			p.add(key, "duplicate address %q", addr)
		}
		seen[addr] = true
	}
}

// checkRedisURL accepts redis://[user[:password]@]host[:port][/db] and
// the same with rediss:// (TLS). The error never repeats the URL, which may
// hold a password.
func checkRedisURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return errors.New("not a URL (want redis://host:port/db or rediss://…)")
	}
	if u.Scheme != "redis" && u.Scheme != "rediss" {
		return fmt.Errorf("scheme must be redis or rediss, got %q", u.Scheme)
	}
	if u.Hostname() == "" {
		return errors.New("missing host (want redis://host:port/db)")
	}
	if port := u.Port(); port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("port must be 1-65535, got %q", port)
		}
	}
	if db := strings.TrimPrefix(u.Path, "/"); db != "" {
		if n, err := strconv.Atoi(db); err != nil || n < 0 {
			return fmt.Errorf("database must be a number, got %q", db)
		}
	}
	return nil
}

// checkHostPort accepts host:port; with needHost the host may not be empty.
func checkHostPort(s string, needHost bool) error {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return fmt.Errorf("must be host:port, got %q", s)
	}
	if needHost && host == "" {
		return fmt.Errorf("missing host in %q", s)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 || needHost && n == 0 {
		return fmt.Errorf("bad port in %q", s)
	}
	return nil
}

func (c *Config) validateAPI(p *problems) {
	a := c.API
	if a.Addr == "" {
		p.add("api.addr", "required, e.g. \":8080\"")
	} else if err := checkHostPort(a.Addr, false); err != nil {
		p.add("api.addr", "%v", err)
	}
	if a.PublicURL != "" {
		if err := checkHTTPURL(a.PublicURL); err != nil {
			p.add("api.public_url", "%v", err)
		} else if strings.HasSuffix(a.PublicURL, "/") {
			p.add("api.public_url", "must not end with \"/\", got %q", a.PublicURL)
		} else if u, _ := url.Parse(a.PublicURL); u.RawQuery != "" || u.Fragment != "" || u.User != nil {
			p.add("api.public_url", "must not have a query, fragment or user, got %q", a.PublicURL)
		}
	}
	if a.SigningKey != "" && len(a.SigningKey) < MinSecretLen {
		p.add("api.signing_key", "must be at least %d characters, got %d", MinSecretLen, len(a.SigningKey))
	}
	if a.MaxBodyBytes <= 0 {
		p.add("api.max_body_bytes", "must be positive, got %d", a.MaxBodyBytes)
	}
	names := map[string]int{}
	secrets := map[string]int{}
	for i, t := range a.Tokens {
		key := fmt.Sprintf("api.tokens[%d]", i)
		if t.Name == "" {
			p.add(key+".name", "required")
		} else if j, dup := names[t.Name]; dup {
			p.add(key+".name", "duplicate name %q (also api.tokens[%d])", t.Name, j)
		} else {
			names[t.Name] = i
		}
		switch j, dup := secrets[t.Token]; {
		case len(t.Token) < MinSecretLen:
			p.add(key+".token", "must be at least %d characters, got %d", MinSecretLen, len(t.Token))
		case strings.TrimSpace(t.Token) != t.Token || strings.ContainsAny(t.Token, " \t\r\n,"):
			p.add(key+".token", "must not contain spaces or commas")
		case dup:
			p.add(key+".token", "same token as api.tokens[%d]", j)
		default:
			secrets[t.Token] = i
		}
		if len(t.Scopes) == 0 {
			p.add(key+".scopes", "required: one or more of %s", strings.Join(scopes, ", "))
		}
		for k, s := range t.Scopes {
			oneOf(p, fmt.Sprintf("%s.scopes[%d]", key, k), s, scopes)
		}
		if t.Agent != "" && (len(t.Agent) > 100 || strings.IndexFunc(t.Agent, unicode.IsControl) >= 0) {
			p.add(key+".agent", "must be at most 100 characters, without control characters")
		}
	}
}

// checkHTTPURL accepts an absolute http or https URL with a host.
func checkHTTPURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("must be an absolute http(s) URL, got %q", s)
	}
	return nil
}

func (c *Config) validateDefaults(p *problems) {
	d := c.Defaults
	if d.Timezone == "" {
		p.add("defaults.timezone", "required, e.g. Europe/Amsterdam")
	} else if _, err := time.LoadLocation(d.Timezone); err != nil {
		p.add("defaults.timezone", "unknown time zone %q", d.Timezone)
	}
	if !localeRE.MatchString(d.Locale) {
		p.add("defaults.locale", "must be a language code such as nl or en-GB, got %q", d.Locale)
	}
	oneOf(p, "defaults.formality", d.Formality, formality)
	if d.LateLimit <= 0 {
		p.add("defaults.late_limit", "must be positive, got %s", d.LateLimit)
	}
}

func (c *Config) validateSMTP(p *problems) {
	s := c.SMTP
	if s.Port < 1 || s.Port > 65535 {
		p.add("smtp.port", "must be 1-65535, got %d", s.Port)
	}
	oneOf(p, "smtp.tls", s.TLS, tlsModes)
	if s.Timeout <= 0 {
		p.add("smtp.timeout", "must be positive, got %s", s.Timeout)
	}
	if strings.ContainsAny(s.Host, ":/ ") && net.ParseIP(s.Host) == nil {
		p.add("smtp.host", "must be a host name without scheme or port, got %q", s.Host)
	}
	if s.Host != "" {
		if s.From == "" {
			p.add("smtp.from", "required when smtp.host is set")
		} else if _, err := mail.ParseAddress(s.From); err != nil {
			p.add("smtp.from", "not an email address: %q", s.From)
		}
	}
	if s.ReplyTo != "" {
		if _, err := mail.ParseAddress(s.ReplyTo); err != nil {
			p.add("smtp.reply_to", "not an email address: %q", s.ReplyTo)
		}
	}
	if s.Password != "" && s.Username == "" {
		p.add("smtp.username", "required when smtp.password is set")
	}
}

func (c *Config) validateTwilio(p *problems) {
	t := c.Twilio
	if err := checkHTTPURL(t.APIURL); err != nil {
		p.add("twilio.api_url", "%v", err)
	}
	if t.MaxPerSecond < 0 {
		p.add("twilio.max_per_second", "must be 0 (no cap) or more, got %d", t.MaxPerSecond)
	}
	// The senders' format is the Twilio channel's own check; the account's
	// is checked where the account is used (Requires).
	for _, pr := range c.twilioConfig().Check() {
		switch pr.Key {
		case "twilio.sms_from", "twilio.whatsapp_from", "twilio.messaging_service_sid":
			p.add(pr.Key, "%s", pr.Msg)
		}
	}
	if t.AccountSID == "" {
		for _, k := range []struct{ key, val string }{
			{"twilio.auth_token", t.AuthToken},
			{"twilio.sms_from", t.SMSFrom},
			{"twilio.messaging_service_sid", t.MessagingServiceSID},
			{"twilio.whatsapp_from", t.WhatsAppFrom},
		} {
			if k.val != "" {
				p.add("twilio.account_sid", "required when %s is set", k.key)
				break
			}
		}
		return
	}
	if t.AuthToken == "" {
		p.add("twilio.auth_token", "required when twilio.account_sid is set")
	}
	if t.SMSFrom == "" && t.MessagingServiceSID == "" && t.WhatsAppFrom == "" {
		p.add("twilio.account_sid", "needs a sender: set twilio.sms_from, twilio.messaging_service_sid or twilio.whatsapp_from")
	}
}

// validateWebhook checks the list of per-flow URLs here and leaves every
// other rule to the webhook channel's own Validate, naming the list item
// of a flow it finds fault with.
func (c *Config) validateWebhook(p *problems) {
	w := c.Webhook
	if !w.On() {
		if w.Timeout < 0 {
			p.add("webhook.timeout", "%s is negative", w.Timeout)
		}
		return
	}
	first := map[string]int{}
	for i, f := range w.Flows {
		key := fmt.Sprintf("webhook.flows[%d]", i)
		switch j, dup := first[f.Flow]; {
		case strings.TrimSpace(f.Flow) == "":
			p.add(key+".flow", "required: the name of a flow")
		case dup:
			p.add(key+".flow", "duplicate flow %q (also webhook.flows[%d])", f.Flow, j)
		default:
			first[f.Flow] = i
		}
	}
	var errs []error
	if err := w.Channel().Validate(); err != nil {
		errs = []error{err}
		if joined, ok := err.(interface{ Unwrap() []error }); ok {
			errs = joined.Unwrap()
		}
	}
	for _, err := range errs {
		key, msg, _ := strings.Cut(err.Error(), ": ")
		if key == "webhook.flows" {
			continue // an empty flow name, reported above with its item
		}
		if name, ok := strings.CutPrefix(key, "webhook.flows."); ok {
			if i, known := first[name]; known {
				key = fmt.Sprintf("webhook.flows[%d].url", i)
			}
		}
		p.add(key, "%s", msg)
	}
}

func (c *Config) validateSources(p *problems) {
	s := c.Sources.Stripe
	if s.Tolerance <= 0 {
		p.add("sources.stripe.tolerance", "must be positive, got %s", s.Tolerance)
	}
	if s.Secret == "" && s.Mapping != "" {
		p.add("sources.stripe.secret", "required when sources.stripe.mapping is set")
	}
	if strings.TrimSpace(s.Secret) != s.Secret {
		p.add("sources.stripe.secret", "must not start or end with white space")
	}
}

func (c *Config) validateWorker(p *problems) {
	w := c.Worker
	if w.Concurrency < 1 {
		p.add("worker.concurrency", "must be 1 or more, got %d", w.Concurrency)
	}
	if w.Shards < 1 || w.Shards > MaxShards {
		p.add("worker.shards", "must be 1-%d, got %d", MaxShards, w.Shards)
	}
	if w.PollInterval <= 0 {
		p.add("worker.poll_interval", "must be positive, got %s", w.PollInterval)
	}
	if w.ShutdownTimeout <= 0 {
		p.add("worker.shutdown_timeout", "must be positive, got %s", w.ShutdownTimeout)
	}
	if w.Addr != "" {
		if err := checkHostPort(w.Addr, false); err != nil {
			p.add("worker.addr", "%v", err)
		}
	}
}

func oneOf(p *problems, key, val string, allowed []string) {
	if !slices.Contains(allowed, val) {
		p.add(key, "must be one of %s, got %q", strings.Join(allowed, ", "), val)
	}
}

// Requires checks what the command mode needs beyond Validate:
//
//   - "serve" and "api" need at least one bearer token, or
//     api.insecure_no_auth: true.
//   - "serve", "api" and "worker" need api.public_url when Twilio is
//     configured, since status callbacks and their signature checks use it.
//   - "dev" needs nothing more.
//
// Any other mode is an error.
func (c *Config) Requires(mode string) error {
	p := &problems{c: c}
	switch mode {
	case "dev":
	case "serve", "api", "worker":
		if mode != "worker" && len(c.API.Tokens) == 0 && !c.API.InsecureNoAuth {
			p.add("api.tokens", "no bearer tokens configured; set api.insecure_no_auth: true to run without authentication")
		}
		if c.Twilio.AccountSID != "" && c.API.PublicURL == "" {
			p.add("api.public_url", "required when twilio.account_sid is set: Twilio status callbacks are sent to it")
		}
		if c.Twilio.AccountSID != "" {
			for _, pr := range twilio.CheckAccount(c.Twilio.AccountSID, c.Twilio.AuthToken) {
				p.add(pr.Key, "%s", pr.Msg)
			}
		}
	default:
		return fmt.Errorf("check config for mode %q: unknown mode (want dev, serve, api or worker)", mode)
	}
	return errors.Join(p.errs...)
}

// twilioConfig is the twilio section as the Twilio channels take it.
func (c *Config) twilioConfig() twilio.Config {
	t := c.Twilio
	return twilio.Config{
		AccountSID: t.AccountSID, AuthToken: t.AuthToken, APIURL: t.APIURL,
		SMSFrom: t.SMSFrom, MessagingServiceSID: t.MessagingServiceSID, WhatsAppFrom: t.WhatsAppFrom,
	}
}

// ChannelOff says why the configuration leaves a channel off ("twilio.account_sid
// is empty"), or "" when the channel can send. Callbacks and the outbox
// need no settings.
func (c *Config) ChannelOff(name string) string {
	tw := c.Twilio
	switch name {
	case "email":
		if c.SMTP.Host == "" {
			return "smtp.host is empty"
		}
	case "sms":
		switch {
		case tw.AccountSID == "":
			return "twilio.account_sid is empty"
		case tw.SMSFrom == "" && tw.MessagingServiceSID == "":
			return "twilio.sms_from and twilio.messaging_service_sid are empty"
		}
	case "whatsapp":
		switch {
		case tw.AccountSID == "":
			return "twilio.account_sid is empty"
		case tw.WhatsAppFrom == "":
			return "twilio.whatsapp_from is empty"
		}
	case "webhook":
		if !c.Webhook.On() {
			return "the webhook channel is not configured: set webhook.url and webhook.secret"
		}
	}
	return ""
}

// ChannelOffFor says why the configuration leaves a channel off for one
// flow, or "": the webhook channel may have a URL for some flows only.
func (c *Config) ChannelOffFor(name, flow string) string {
	if name != "webhook" {
		return c.ChannelOff(name)
	}
	if !c.Webhook.On() {
		return fmt.Sprintf("the webhook channel is not configured: set webhook.url and webhook.secret, or add {flow: %s, url: …} to webhook.flows", flow)
	}
	if c.Webhook.Channel().URLFor(flow) == "" {
		return fmt.Sprintf("the webhook channel has no URL for flow %q: set webhook.url, or add {flow: %s, url: …} to webhook.flows", flow, flow)
	}
	return ""
}
