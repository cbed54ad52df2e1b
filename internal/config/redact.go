package config

import (
	"net/url"
	"strings"
)

// Hidden replaces a secret in a Redacted Config.
const Hidden = "***"

// Redacted returns a copy of c that is safe to log: the Redis passwords (in
// the URL, redis.password and redis.sentinel.password),
// bearer tokens, the signing key, the SMTP password, the Twilio auth
// token, the webhook secret (and passwords in webhook URLs) and the Stripe
// signing secret are replaced by "***". Secrets that are not set stay empty, so the
// copy still shows which are configured.
func (c *Config) Redacted() *Config {
	d := c.clone()
	d.Redis.URL = redactURL(d.Redis.URL)
	hide(&d.Redis.Password)
	hide(&d.Redis.Sentinel.Password)
	for i := range d.API.Tokens {
		hide(&d.API.Tokens[i].Token)
	}
	hide(&d.API.SigningKey)
	hide(&d.SMTP.Password)
	hide(&d.Twilio.AuthToken)
	d.Webhook.URL = redactURL(d.Webhook.URL)
	for i := range d.Webhook.Flows {
		d.Webhook.Flows[i].URL = redactURL(d.Webhook.Flows[i].URL)
	}
	hide(&d.Webhook.Secret)
	hide(&d.Sources.Stripe.Secret)
	return d
}

func hide(s *string) {
	if *s != "" {
		*s = Hidden
	}
}

// redactURL hides the password in a URL; a URL that does not parse is
// hidden whole, since it may hold one.
func redactURL(s string) string {
	if s == "" {
		return s
	}
	u, err := url.Parse(s)
	if err != nil {
		return Hidden
	}
	if _, ok := u.User.Password(); !ok {
		return s
	}
	// url.UserPassword would escape "***", so the user part is put back by
	// hand.
	user := url.User(u.User.Username()).String()
	u.User = nil
	rest := strings.TrimPrefix(u.String(), u.Scheme+"://")
	return u.Scheme + "://" + user + ":" + Hidden + "@" + rest
}
