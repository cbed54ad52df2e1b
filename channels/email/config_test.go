package email_test

import (
	"testing"
	"time"

	"github.com/aheadhq/ahead/channels/email"
)

func TestNewRejects(t *testing.T) {
	t.Parallel()
	valid := func() email.Config {
		return email.Config{Host: "smtp.example.com", From: "hello@acme.nl"}
	}
	tests := []struct {
		name   string
		change func(*email.Config)
		want   string
	}{
		{"no host", func(c *email.Config) { c.Host = " " }, "smtp.host: required"},
		{"port too high", func(c *email.Config) { c.Port = 70000 }, "smtp.port: 70000 is not between 1 and 65535"},
		{"negative port", func(c *email.Config) { c.Port = -1 }, "smtp.port: -1 is not between 1 and 65535"},
		{"unknown tls", func(c *email.Config) { c.TLS = "starttls" },
			`smtp.tls: "starttls" is not one of mandatory, opportunistic, none, implicit`},
		{"password without username", func(c *email.Config) { c.Password = "x" },
			"smtp.username: required when smtp.password is set"},
		{"username without password", func(c *email.Config) { c.Username = "x" },
			"smtp.password: required when smtp.username is set"},
		{"no from", func(c *email.Config) { c.From = "" }, "smtp.from: required"},
		{"bad from", func(c *email.Config) { c.From = "acme.nl" },
			`smtp.from: parse address "acme.nl": mail: missing '@' or angle-addr`},
		{"bad reply_to", func(c *email.Config) { c.ReplyTo = "a@b@c" },
			`smtp.reply_to: parse address "a@b@c": mail: expected single address, got "@c"`},
		{"negative timeout", func(c *email.Config) { c.Timeout = -time.Second }, "smtp.timeout: -1s is negative"},
		{"message id domain with port", func(c *email.Config) { c.MessageIDDomain = "ahead.example.com:8080" },
			`smtp: message id domain "ahead.example.com:8080" (the host of api.public_url) is not a valid host name`},
		{"two errors", func(c *email.Config) { c.Host, c.From = "", "" }, "smtp.host: required\nsmtp.from: required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := valid()
			tt.change(&cfg)
			_, err := email.New(cfg)
			if err == nil {
				t.Fatalf("New succeeded, want %q", tt.want)
			}
			if err.Error() != tt.want {
				t.Errorf("New error\n got: %s\nwant: %s", err, tt.want)
			}
		})
	}
}

func TestNewAccepts(t *testing.T) {
	t.Parallel()
	for _, cfg := range []email.Config{
		{Host: "smtp.example.com", From: "hello@acme.nl"},
		{Host: "smtp.example.com", Port: 465, TLS: "Implicit", From: "Acme <hello@acme.nl>", ReplyTo: "Support <help@acme.nl>",
			Username: "u", Password: "p", Timeout: time.Second, MessageIDDomain: "127.0.0.1"},
		{Host: "localhost", Port: 25, TLS: email.TLSNone, From: "hello@acme.nl", MessageIDDomain: "ahead-dev.example"},
	} {
		if _, err := email.New(cfg); err != nil {
			t.Errorf("New(%+v): %v", cfg, err)
		}
	}
}
