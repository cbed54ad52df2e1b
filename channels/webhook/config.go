package webhook

import (
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Defaults and limits of Config.
const (
	// DefaultTimeout bounds one request when Config.Timeout is zero.
	DefaultTimeout = 10 * time.Second
	// MinSecretLen is the shortest Config.Secret accepted, in bytes.
	MinSecretLen = 16
)

// Config is the webhook channel's configuration, the webhook section of
// ahead.yaml.
type Config struct {
	// URL receives the messages of every flow that Flows does not name.
	// It may be empty when Flows names every flow that uses the channel.
	URL string
	// Secret signs every request (see Sign); the receiver checks the
	// signature with the same secret. At least MinSecretLen bytes.
	Secret string
	// Timeout bounds one request, from connecting to the end of the
	// answer's headers; 0 means DefaultTimeout.
	Timeout time.Duration
	// Flows maps a flow name to the URL that receives that flow's
	// messages instead of URL.
	Flows map[string]string
}

// withDefaults returns cfg with the URLs trimmed and a zero Timeout set to
// its default.
func (cfg Config) withDefaults() Config {
	cfg.URL = strings.TrimSpace(cfg.URL)
	if len(cfg.Flows) > 0 {
		flows := make(map[string]string, len(cfg.Flows))
		for name, u := range cfg.Flows {
			flows[name] = strings.TrimSpace(u)
		}
		cfg.Flows = flows
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	return cfg
}

// Validate checks cfg and returns every problem at once, each naming its
// key: "webhook.url: not an absolute http(s) URL", "webhook.secret:
// required", "webhook.flows.new-subscriber: not an absolute http(s) URL".
// The errors never show a URL or the secret: either may hold a credential.
func (cfg Config) Validate() error {
	cfg = cfg.withDefaults()
	var errs []error
	switch {
	case cfg.URL == "" && len(cfg.Flows) == 0:
		errs = append(errs, errors.New("webhook.url: required unless webhook.flows names a URL for each flow"))
	case cfg.URL != "" && !absolute(cfg.URL):
		errs = append(errs, errors.New("webhook.url: not an absolute http(s) URL"))
	}
	switch {
	case cfg.Secret == "":
		errs = append(errs, errors.New("webhook.secret: required"))
	case len(cfg.Secret) < MinSecretLen:
		errs = append(errs, fmt.Errorf("webhook.secret: shorter than %d characters", MinSecretLen))
	}
	if cfg.Timeout < 0 {
		errs = append(errs, fmt.Errorf("webhook.timeout: %v is negative", cfg.Timeout))
	}
	for _, name := range slices.Sorted(maps.Keys(cfg.Flows)) {
		switch {
		case strings.TrimSpace(name) == "":
			errs = append(errs, errors.New("webhook.flows: a flow name is empty"))
		case cfg.Flows[name] == "":
			errs = append(errs, fmt.Errorf("webhook.flows.%s: required", name))
		case !absolute(cfg.Flows[name]):
			errs = append(errs, fmt.Errorf("webhook.flows.%s: not an absolute http(s) URL", name))
		}
	}
	return errors.Join(errs...)
}

// absolute reports whether s is an absolute http or https URL.
func absolute(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}
