package twilio

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Defaults applied by NewSMS and NewWhatsApp to zero fields.
const (
	DefaultAPIURL  = "https://api.twilio.com"
	DefaultTimeout = 10 * time.Second
)

// Config is the Twilio configuration, the twilio section of ahead.yaml.
type Config struct {
	// AccountSID (AC…) and AuthToken authenticate every request.
	AccountSID, AuthToken string
	// APIURL is where every request goes instead of https://api.twilio.com,
	// e.g. a proxy or a contract mock. A path in it is put in front of
	// Twilio's paths. Empty means https://api.twilio.com.
	APIURL string
	// SMSFrom is the E.164 number or alphanumeric sender ID that sends SMS.
	// MessagingServiceSID (MG…), when set, sends SMS through a Messaging
	// Service instead. One of them is required for SMS.
	SMSFrom, MessagingServiceSID string
	// WhatsAppFrom is the WhatsApp sender, "+31…" or "whatsapp:+31…";
	// required for WhatsApp.
	WhatsAppFrom string
	// StatusCallback is the absolute URL Twilio posts delivery status to,
	// normally api.public_url + "/v1/webhooks/twilio/status". Every message
	// adds the query parameters ParamCustomer, ParamIntervention and
	// ParamChannel to it (nothing secret). Empty sends no callback URL.
	StatusCallback string
	// HTTPClient makes the requests; nil means a client with a 10s timeout
	// that does not follow redirects. Its transport is wrapped so that every
	// request goes to APIURL.
	HTTPClient *http.Client
	// Limiter, when set, is waited on before every message, so that all
	// workers together stay under twilio.max_per_second.
	Limiter Limiter
}

var (
	accountSIDPattern = regexp.MustCompile(`^AC[0-9a-fA-F]{32}$`)
	serviceSIDPattern = regexp.MustCompile(`^MG[0-9a-fA-F]{32}$`)
	tokenPattern      = regexp.MustCompile(`^[a-zA-Z0-9]+$`)
	e164Pattern       = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)
	// An alphanumeric sender ID has 1 to 11 letters, digits and spaces,
	// and at least one letter.
	senderIDPattern = regexp.MustCompile(`^[A-Za-z0-9 ]{1,11}$`)
)

// withDefaults returns cfg with surrounding space trimmed and every zero
// field set to its default.
func (cfg Config) withDefaults() Config {
	for _, s := range []*string{&cfg.AccountSID, &cfg.AuthToken, &cfg.APIURL, &cfg.SMSFrom,
		&cfg.MessagingServiceSID, &cfg.WhatsAppFrom, &cfg.StatusCallback} {
		*s = strings.TrimSpace(*s)
	}
	if cfg.APIURL == "" {
		cfg.APIURL = DefaultAPIURL
	}
	cfg.WhatsAppFrom = strings.TrimPrefix(cfg.WhatsAppFrom, whatsappPrefix)
	return cfg
}

// Problem is one invalid Twilio setting: its key in ahead.yaml and what
// is wrong with it.
type Problem struct {
	Key, Msg string
}

func (p *Problem) Error() string { return p.Key + ": " + p.Msg }

// Check returns every problem with the format of cfg's settings, each
// naming its key: the account SID and auth token, the API URL, and the
// senders that are set. It is the one check of Twilio settings: the
// configuration file, the channels and TaskRouter all use it.
func (cfg Config) Check() []*Problem {
	cfg = cfg.withDefaults()
	var out []*Problem
	add := func(key, format string, args ...any) {
		out = append(out, &Problem{Key: key, Msg: fmt.Sprintf(format, args...)})
	}
	if cfg.AccountSID != "" && !accountSIDPattern.MatchString(cfg.AccountSID) {
		add("twilio.account_sid", "not an account SID (AC followed by 32 hexadecimal digits)")
	}
	if cfg.AuthToken != "" && !tokenPattern.MatchString(cfg.AuthToken) {
		add("twilio.auth_token", "may hold only letters and digits")
	}
	if _, err := parseBase(cfg.APIURL); err != nil {
		add("twilio.api_url", "%v", err)
	}
	if cfg.MessagingServiceSID != "" && !serviceSIDPattern.MatchString(cfg.MessagingServiceSID) {
		add("twilio.messaging_service_sid", "not a Messaging Service SID (MG followed by 32 hexadecimal digits)")
	}
	if cfg.SMSFrom != "" && !e164Pattern.MatchString(cfg.SMSFrom) && !isSenderID(cfg.SMSFrom) {
		add("twilio.sms_from", "%q is neither an E.164 number like +31612345678 nor an alphanumeric sender ID of up to 11 characters", Mask(cfg.SMSFrom))
	}
	if cfg.WhatsAppFrom != "" && !e164Pattern.MatchString(cfg.WhatsAppFrom) {
		add("twilio.whatsapp_from", "%q is not an E.164 number like +31612345678", Mask(cfg.WhatsAppFrom))
	}
	if cfg.StatusCallback != "" {
		if _, err := parseAbsolute(cfg.StatusCallback); err != nil {
			add("twilio", "status callback URL (from api.public_url): %v", err)
		}
	}
	return out
}

// CheckAccount returns the problems with the account SID and auth token
// alone, including their absence: what every use of the account needs.
func CheckAccount(sid, token string) []*Problem {
	format := (Config{AccountSID: sid, AuthToken: token}).Check()
	var out []*Problem
	for _, k := range []struct{ key, val string }{{"twilio.account_sid", sid}, {"twilio.auth_token", token}} {
		if k.val == "" {
			out = append(out, &Problem{Key: k.key, Msg: "required"})
		}
		for _, p := range format {
			if p.Key == k.key {
				out = append(out, p)
			}
		}
	}
	return out
}

// problems joins the problems with the keys named, all when none are.
func problems(ps []*Problem, keys ...string) error {
	var errs []error
	for _, p := range ps {
		if len(keys) == 0 || slices.Contains(keys, p.Key) {
			errs = append(errs, p)
		}
	}
	return errors.Join(errs...)
}

// validate checks the settings both channels use and returns the parsed
// API URL. Every error names the setting.
func (cfg Config) validate() (*url.URL, error) {
	all := cfg.Check()
	err := errors.Join(problems(CheckAccount(cfg.AccountSID, cfg.AuthToken)), problems(all, "twilio.api_url", "twilio"))
	if err != nil {
		return nil, err
	}
	return parseBase(cfg.APIURL)
}

// validateSMS checks the SMS sender settings.
func (cfg Config) validateSMS() error {
	if cfg.MessagingServiceSID == "" && cfg.SMSFrom == "" {
		return errors.New("twilio.sms_from: required unless twilio.messaging_service_sid is set")
	}
	return problems(cfg.Check(), "twilio.messaging_service_sid", "twilio.sms_from")
}

// validateWhatsApp checks the WhatsApp sender setting.
func (cfg Config) validateWhatsApp() error {
	if cfg.WhatsAppFrom == "" {
		return errors.New("twilio.whatsapp_from: required")
	}
	return problems(cfg.Check(), "twilio.whatsapp_from")
}

func isSenderID(s string) bool {
	return senderIDPattern.MatchString(s) && strings.ContainsFunc(s, func(r rune) bool {
		return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
	})
}

// parseAbsolute parses an absolute http or https URL.
func parseAbsolute(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("parse %q: %w", s, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("%q is not an absolute http or https URL", s)
	}
	return u, nil
}

// parseBase parses the API URL: absolute, without query or fragment.
func parseBase(s string) (*url.URL, error) {
	u, err := parseAbsolute(s)
	if err != nil {
		return nil, err
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, fmt.Errorf("%q may not hold a query, a fragment or credentials", s)
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	return u, nil
}
