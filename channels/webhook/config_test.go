package webhook_test

import (
	"strings"
	"testing"
	"time"

	"github.com/aheadhq/ahead/channels/webhook"
)

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	const secret = "0123456789abcdef"
	tests := []struct {
		name string
		cfg  webhook.Config
		want []string
	}{
		{name: "valid", cfg: webhook.Config{URL: "https://hooks.example.com/ahead", Secret: secret}},
		{name: "valid with basic auth and port", cfg: webhook.Config{URL: " http://user:pw@localhost:9000/x ", Secret: secret}},
		{name: "flows only", cfg: webhook.Config{Secret: secret, Flows: map[string]string{"new-subscriber": "https://crm.example.com/in"}}},
		{name: "nothing", cfg: webhook.Config{}, want: []string{
			"webhook.url: required unless webhook.flows names a URL for each flow",
			"webhook.secret: required",
		}},
		{name: "bad url", cfg: webhook.Config{URL: "hooks.example.com/ahead", Secret: secret}, want: []string{
			"webhook.url: not an absolute http(s) URL",
		}},
		{name: "ftp", cfg: webhook.Config{URL: "ftp://example.com/", Secret: secret}, want: []string{
			"webhook.url: not an absolute http(s) URL",
		}},
		{name: "short secret", cfg: webhook.Config{URL: "https://x.example/", Secret: "hunter2"}, want: []string{
			"webhook.secret: shorter than 16 characters",
		}},
		{name: "negative timeout", cfg: webhook.Config{URL: "https://x.example/", Secret: secret, Timeout: -time.Second}, want: []string{
			"webhook.timeout: -1s is negative",
		}},
		{name: "bad flow urls", cfg: webhook.Config{URL: "https://x.example/", Secret: secret, Flows: map[string]string{
			"new-subscriber": "/relative",
			"late-order":     " ",
			"":               "https://x.example/",
		}}, want: []string{
			"webhook.flows: a flow name is empty",
			"webhook.flows.late-order: required",
			"webhook.flows.new-subscriber: not an absolute http(s) URL",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.cfg.Validate()
			got := ""
			if err != nil {
				got = err.Error()
			}
			if want := strings.Join(tt.want, "\n"); got != want {
				t.Errorf("Validate:\n got %q\nwant %q", got, want)
			}
			if _, err := webhook.New(tt.cfg); (err == nil) != (tt.want == nil) {
				t.Errorf("New: %v", err)
			}
		})
	}
}

func TestConfigErrorsHideSecrets(t *testing.T) {
	t.Parallel()
	err := webhook.Config{URL: "https://user:hunter2@/x?token=abc", Secret: "hunter2"}.Validate()
	if err == nil || strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "abc") {
		t.Errorf("Validate = %v, want an error that shows neither secret", err)
	}
}
