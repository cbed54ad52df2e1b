package config

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aheadhq/ahead/channels/webhook"
)

func TestWebhookFlowsList(t *testing.T) {
	t.Parallel()
	p := writeFile(t, `webhook:
  url: https://hooks.example.com/ahead
  secret: "0123456789abcdef"
  timeout: 3s
  flows:
    - flow: late-order
      url: https://crm.example.com/late
    - {flow: outage, url: "https://ops.example.com/hook"}
`)
	c, err := Load(p, noEnv)
	if err != nil {
		t.Fatal(err)
	}
	want := webhook.Config{
		URL: "https://hooks.example.com/ahead", Secret: "0123456789abcdef", Timeout: 3 * time.Second,
		Flows: map[string]string{"late-order": "https://crm.example.com/late", "outage": "https://ops.example.com/hook"},
	}
	if got := c.Webhook.Channel(); !reflect.DeepEqual(got, want) {
		t.Errorf("Channel() = %+v, want %+v", got, want)
	}
	if _, err := webhook.New(c.Webhook.Channel()); err != nil {
		t.Errorf("the channel refuses a valid section: %v", err)
	}
}

func TestWebhookOffByDefault(t *testing.T) {
	t.Parallel()
	c, err := Load("", noEnv)
	if err != nil {
		t.Fatal(err)
	}
	if c.Webhook.On() {
		t.Error("the webhook channel is on without settings")
	}
	if got := c.Webhook.Timeout.Duration(); got != webhook.DefaultTimeout {
		t.Errorf("webhook.timeout = %v, want %v", got, webhook.DefaultTimeout)
	}
	if c.Sources.Stripe.Secret != "" || c.Sources.Stripe.Tolerance.Duration() != 5*time.Minute {
		t.Errorf("sources.stripe = %+v, want off with a 5m tolerance", c.Sources.Stripe)
	}
}

func TestWebhookEnv(t *testing.T) {
	t.Parallel()
	c, err := Load("", envOf(map[string]string{
		"AHEAD_WEBHOOK_URL":            "https://hooks.example.com/ahead",
		"AHEAD_WEBHOOK_SECRET":         "0123456789abcdef",
		"AHEAD_WEBHOOK_FLOWS":          "late-order=https://crm.example.com/late?x=1, outage = https://ops.example.com/hook",
		"AHEAD_SOURCES_STRIPE_SECRET":  "whsec_0123456789",
		"AHEAD_SOURCES_STRIPE_MAPPING": "/etc/ahead/stripe.yaml",
	}))
	if err != nil {
		t.Fatal(err)
	}
	want := []WebhookFlow{{Flow: "late-order", URL: "https://crm.example.com/late?x=1"}, {Flow: "outage", URL: "https://ops.example.com/hook"}}
	if !reflect.DeepEqual(c.Webhook.Flows, want) {
		t.Errorf("webhook.flows = %+v, want %+v", c.Webhook.Flows, want)
	}
	if c.Sources.Stripe.Mapping != "/etc/ahead/stripe.yaml" {
		t.Errorf("sources.stripe.mapping = %q", c.Sources.Stripe.Mapping)
	}
	r := c.Redacted()
	if r.Webhook.Secret != Hidden || r.Sources.Stripe.Secret != Hidden {
		t.Errorf("Redacted keeps a secret: webhook %q, stripe %q", r.Webhook.Secret, r.Sources.Stripe.Secret)
	}

	_, err = Load("", envOf(map[string]string{"AHEAD_WEBHOOK_FLOWS": "late-order"}))
	if err == nil || err.Error() != "AHEAD_WEBHOOK_FLOWS: item 1: want flow=url" {
		t.Errorf("a flow without a URL: %v", err)
	}
	_, err = Load("", envOf(map[string]string{"AHEAD_WEBHOOK_SECRET": "0123456789abcdef", "AHEAD_WEBHOOK_FLOWS": "late-order=ftp://x"}))
	if err == nil || !strings.Contains(err.Error(), "AHEAD_WEBHOOK_FLOWS: webhook.flows[0].url: not an absolute http(s) URL") {
		t.Errorf("a bad URL from the environment: %v", err)
	}
}

func TestRedactedWebhookURL(t *testing.T) {
	t.Parallel()
	c := Default()
	c.Webhook = Webhook{URL: "https://user:pass@hooks.example.com/x", Secret: "0123456789abcdef",
		Flows: []WebhookFlow{{Flow: "a", URL: "https://u:p@crm.example.com/"}}}
	r := c.Redacted()
	if strings.Contains(r.Webhook.URL, "pass") || strings.Contains(r.Webhook.Flows[0].URL, ":p@") {
		t.Errorf("Redacted shows a webhook password: %q, %q", r.Webhook.URL, r.Webhook.Flows[0].URL)
	}
	if c.Webhook.Flows[0].URL != "https://u:p@crm.example.com/" {
		t.Error("Redacted changed the original")
	}
}
