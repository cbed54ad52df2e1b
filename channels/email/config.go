package email

import (
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"github.com/aheadhq/ahead/internal/clock"
)

// TLS modes of Config.TLS.
const (
	// TLSMandatory requires STARTTLS; sending fails when the server does not
	// offer it. It is the default.
	TLSMandatory = "mandatory"
	// TLSOpportunistic uses STARTTLS when the server offers it.
	TLSOpportunistic = "opportunistic"
	// TLSNone never encrypts. Credentials are then only sent to a server on
	// localhost.
	TLSNone = "none"
	// TLSImplicit speaks TLS from the first byte, as on port 465.
	TLSImplicit = "implicit"
)

// Defaults applied by New to zero fields.
const (
	DefaultPort            = 587
	DefaultImplicitPort    = 465
	DefaultTimeout         = 30 * time.Second
	DefaultMessageIDDomain = "ahead.local"
)

// Config is the SMTP configuration, the smtp section of ahead.yaml.
type Config struct {
	// Host is the SMTP server's host name.
	Host string
	// Port is the server's port; 0 means 587, or 465 with TLS implicit.
	Port int
	// Username and Password log in to the server when Username is set.
	// The strongest mechanism both sides support is used; PLAIN and LOGIN
	// only over TLS or to localhost.
	Username, Password string
	// TLS is mandatory (the default), opportunistic, none or implicit.
	TLS string
	// From is the sender, e.g. "Acme <hello@acme.nl>"; ReplyTo is optional.
	From, ReplyTo string
	// Timeout bounds connecting and every SMTP command; 0 means 30s.
	Timeout time.Duration
	// MessageIDDomain is the right-hand side of every Message-ID, usually
	// the host of api.public_url; empty means "ahead.local".
	MessageIDDomain string
	// Clock stamps the Date header; nil means the wall clock.
	Clock clock.Clock
}

// withDefaults returns cfg with every zero field set to its default.
func (cfg Config) withDefaults() Config {
	cfg.Host = strings.TrimSpace(cfg.Host)
	cfg.TLS = strings.ToLower(strings.TrimSpace(cfg.TLS))
	if cfg.TLS == "" {
		cfg.TLS = TLSMandatory
	}
	if cfg.Port == 0 {
		cfg.Port = DefaultPort
		if cfg.TLS == TLSImplicit {
			cfg.Port = DefaultImplicitPort
		}
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.MessageIDDomain == "" {
		cfg.MessageIDDomain = DefaultMessageIDDomain
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.Real{}
	}
	return cfg
}

// validate checks a Config that has its defaults applied and returns the
// parsed sender and reply-to addresses. Every error names the setting.
func (cfg Config) validate() (from, replyTo *mail.Address, err error) {
	var errs []error
	if cfg.Host == "" {
		errs = append(errs, errors.New("smtp.host: required"))
	}
	if cfg.Port < 1 || cfg.Port > 65535 {
		errs = append(errs, fmt.Errorf("smtp.port: %d is not between 1 and 65535", cfg.Port))
	}
	switch cfg.TLS {
	case TLSMandatory, TLSOpportunistic, TLSNone, TLSImplicit:
	default:
		errs = append(errs, fmt.Errorf("smtp.tls: %q is not one of %s, %s, %s, %s",
			cfg.TLS, TLSMandatory, TLSOpportunistic, TLSNone, TLSImplicit))
	}
	if cfg.Username == "" && cfg.Password != "" {
		errs = append(errs, errors.New("smtp.username: required when smtp.password is set"))
	}
	if cfg.Username != "" && cfg.Password == "" {
		errs = append(errs, errors.New("smtp.password: required when smtp.username is set"))
	}
	if cfg.From == "" {
		errs = append(errs, errors.New("smtp.from: required"))
	} else if from, err = mail.ParseAddress(cfg.From); err != nil {
		errs = append(errs, fmt.Errorf("smtp.from: parse address %q: %w", cfg.From, err))
	}
	if cfg.ReplyTo != "" {
		if replyTo, err = mail.ParseAddress(cfg.ReplyTo); err != nil {
			errs = append(errs, fmt.Errorf("smtp.reply_to: parse address %q: %w", cfg.ReplyTo, err))
		}
	}
	if cfg.Timeout < 0 {
		errs = append(errs, fmt.Errorf("smtp.timeout: %v is negative", cfg.Timeout))
	}
	if !validDomain(cfg.MessageIDDomain) {
		errs = append(errs, fmt.Errorf("smtp: message id domain %q (the host of api.public_url) is not a valid host name", cfg.MessageIDDomain))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, nil, err
	}
	return from, replyTo, nil
}

// validDomain reports whether s is a dot-separated host name that can stand
// on the right of a Message-ID.
func validDomain(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for label := range strings.SplitSeq(s, ".") {
		if label == "" || len(label) > 63 {
			return false
		}
		for _, r := range label {
			switch {
			case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-':
			default:
				return false
			}
		}
	}
	return true
}
