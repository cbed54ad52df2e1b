package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aheadhq/ahead/channels/webhook"
	"github.com/aheadhq/ahead/internal/redistest"
)

const webhookSecret = "webhook-secret-0123456789"

// webhookFlows writes a flow folder whose late-order flow posts to the
// webhook channel at once.
func webhookFlows(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	must(t, os.MkdirAll(filepath.Join(dir, "templates"), 0o755))
	must(t, os.WriteFile(filepath.Join(dir, "late-order.yaml"), []byte(`flow: late-order
trigger:
  event: order.delayed
steps:
  - id: tell-the-crm
    channels: [webhook]
    template: late-order
`), 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "templates", "late-order.webhook.nl.tmpl"),
		[]byte(`{"order": "{{.Event.Subject}}", "customer": "{{.Customer.ID}}", "greeting": "Hi {{.Customer.FirstName}}"}`), 0o644))
	return dir
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// writeConfig writes an ahead.yaml on the test's Redis with the flows in
// dir and the extra YAML sections.
func writeConfig(t *testing.T, flowsDir, addr, extra string) string {
	t.Helper()
	opt := redistest.Options(t)
	cfg := filepath.Join(t.TempDir(), "ahead.yaml")
	must(t, os.WriteFile(cfg, []byte(`redis: { url: "redis://`+opt.Addr+`/`+itoa(opt.DB)+`" }
api:
  addr: "`+addr+`"
  tokens:
    - { name: producer, token: "producer-token-0123456789", scopes: [events] }
flows: `+flowsDir+`
worker: { addr: "", poll_interval: 100ms }
`+extra), 0o644))
	return cfg
}

// A worker refuses flows that use the webhook channel where it has no URL,
// naming the flow file, the line and the field.
func TestWorkerRefusesWebhookWithoutURL(t *testing.T) {
	dir := webhookFlows(t)
	file := filepath.Join(dir, "late-order.yaml")
	cases := []struct {
		name, extra, want string
	}{
		{"not configured", "", file + `:6: steps[0].channels: the webhook channel is not configured: set webhook.url and webhook.secret, or add {flow: late-order, url: …} to webhook.flows`},
		{"other flows only", "webhook:\n  secret: " + webhookSecret + "\n  flows: [{flow: outage, url: \"https://ops.example.com/hook\"}]\n",
			file + `:6: steps[0].channels: the webhook channel has no URL for flow "late-order": set webhook.url, or add {flow: late-order, url: …} to webhook.flows`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := writeConfig(t, dir, "127.0.0.1:0", c.extra)
			for _, mode := range []string{"worker", "serve"} {
				_, _, err := runCmd(mode, "--config", cfg)
				if err == nil || !strings.Contains(err.Error(), c.want) {
					t.Errorf("%s: err = %v\nwant one holding %s", mode, err, c.want)
				}
			}
		})
	}
}

// ahead serve with a webhook section posts a flow's step to the flow's own
// URL, signed with the configured secret.
func TestServeSendsWebhook(t *testing.T) {
	got := make(chan *http.Request, 4)
	bodies := make(chan []byte, 4)
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- r
		bodies <- b
	}))
	defer recv.Close()
	port, _ := redistest.FreePort()
	cfg := writeConfig(t, webhookFlows(t), "127.0.0.1:"+itoa(port), `webhook:
  url: https://unused.example.com/hook
  secret: `+webhookSecret+`
  timeout: 5s
  flows:
    - flow: late-order
      url: `+recv.URL+`/late
`)
	base, stop := startServe(t, cfg, port)
	ev := filepath.Join(t.TempDir(), "ev.json")
	must(t, os.WriteFile(ev, []byte(`{"id":"late-1","type":"order.delayed","customer_id":"cus_7","subject":"ord_42","customer":{"first_name":"Anna","name":"Anna de Vries"}}`), 0o644))
	if out, _, err := runCmd("events", "send", "--url", base, "--token", "producer-token-0123456789", ev); err != nil {
		t.Fatalf("send: %v %s", err, out)
	}
	select {
	case r := <-got:
		body := <-bodies
		if r.URL.Path != "/late" {
			t.Errorf("posted to %s, want the flow's own URL /late", r.URL.Path)
		}
		if err := webhook.Verify([]byte(webhookSecret), r.Header.Get(webhook.SignatureHeader), body, 0, time.Now()); err != nil {
			t.Errorf("signature: %v", err)
		}
		var m map[string]string
		if err := json.Unmarshal(body, &m); err != nil || m["order"] != "ord_42" || m["customer"] != "cus_7" || m["greeting"] != "Hi Anna" {
			t.Errorf("body %s (%v), want the rendered template", body, err)
		}
		if r.Header.Get("Idempotency-Key") == "" {
			t.Error("no Idempotency-Key")
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the webhook got nothing")
	}
	if err := stop(); err != nil {
		t.Fatalf("serve: %v", err)
	}
}
