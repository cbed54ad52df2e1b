package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aheadhq/ahead/internal/redistest"
)

func runCmd(args ...string) (stdout, stderr string, err error) {
	var out, errb bytes.Buffer
	err = run(context.Background(), args, strings.NewReader(""), &out, &errb)
	return out.String(), errb.String(), err
}

func TestValidateClassics(t *testing.T) {
	out, _, err := runCmd("flows", "validate", "../../flows/classics")
	if err != nil {
		t.Fatalf("flows validate classics: %v", err)
	}
	for _, name := range []string{"day2-reassurance-call", "day4-first-invoice"} {
		if !strings.Contains(out, name) {
			t.Errorf("output lacks %s:\n%s", name, out)
		}
	}
}

func TestValidateRejects(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "bad.yaml"), []byte("flow: x\ntrigger:\n  event: a.b\nsteps:\n  - id: s\n    after: 2x\n    channel: email\n    template: nope\n"), 0o644)
	_, _, err := runCmd("flows", "validate", dir)
	if err == nil {
		t.Fatal("flows validate accepted a bad flow")
	}
	msg := err.Error()
	for _, want := range []string{"bad.yaml:6: steps[0].after:", "bad.yaml:8: steps[0].template:"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q:\n%s", want, msg)
		}
	}
}

func TestSimulateJSON(t *testing.T) {
	out, _, err := runCmd("flows", "simulate", "--flows", "../../flows/classics",
		"--event", "../../flows/classics/events/subscription-created.json", "--now", "2026-11-23T09:12:00Z", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var plans []struct {
		Flow, Step, Due, DueLocal, Reason string
		Channels                          []string
	}
	if err := json.Unmarshal([]byte(strings.ReplaceAll(out, "due_local", "duelocal")), &plans); err != nil {
		t.Fatalf("decode %s: %v", out, err)
	}
	got := map[string][2]string{}
	for _, p := range plans {
		got[p.Step] = [2]string{p.Due, p.DueLocal}
		if p.Reason == "" {
			t.Errorf("step %s has no reason", p.Step)
		}
	}
	// Monday 10:12 in Amsterdam: the call on Wednesday at the same time (in the
	// window), the email on Friday at 10:00.
	want := map[string][2]string{
		"reassurance-call":  {"2026-11-25T09:12:00Z", "2026-11-25T10:12:00+01:00"},
		"invoice-explainer": {"2026-11-27T09:00:00Z", "2026-11-27T10:00:00+01:00"},
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s due %v, want %v", k, got[k], v)
		}
	}
}

func TestServeRefusesWithoutTokens(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "ahead.yaml")
	os.WriteFile(cfg, []byte("flows: ../../flows/classics\n"), 0o644)
	_, _, err := runCmd("serve", "--config", cfg)
	if err == nil || !strings.Contains(err.Error(), "api.tokens") {
		t.Fatalf("serve without tokens: err = %v, want one naming api.tokens", err)
	}
}

func TestServeNamesBadKey(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "ahead.yaml")
	os.WriteFile(cfg, []byte("smtp:\n  port: 0\n  colour: red\n"), 0o644)
	_, _, err := runCmd("serve", "--config", cfg)
	if err == nil || !strings.Contains(err.Error(), "smtp.colour") {
		t.Fatalf("err = %v, want one naming smtp.colour", err)
	}
}

func TestUsage(t *testing.T) {
	_, _, err := runCmd("frobnicate")
	if !errors.Is(err, errUsage) {
		t.Fatalf("unknown command: err = %v", err)
	}
}

// TestServeRefusesChannelsOff: a flow step none of whose channels the
// configuration turns on stops start-up, naming the file, line and field.
func TestServeRefusesChannelsOff(t *testing.T) {
	opt := redistest.Options(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "ahead.yaml")
	os.WriteFile(cfg, []byte(`redis: { url: "redis://`+opt.Addr+`/`+itoa(opt.DB)+`" }
api:
  tokens:
    - { name: producer, token: "producer-token-0123456789", scopes: [events] }
flows: ../../flows/classics
smtp: { host: 127.0.0.1, from: "ahead@example.com" }
`), 0o644)
	for _, mode := range []string{"serve", "worker"} {
		_, _, err := runCmd(mode, "--config", cfg)
		want := ": steps[1].channel: sms is not configured (twilio.account_sid is empty)"
		if err == nil || !strings.Contains(err.Error(), "../../flows/classics/payment-failed.yaml:") || !strings.Contains(err.Error(), want) {
			t.Errorf("%s with SMS off: %v, want an error naming %s", mode, err, want)
		}
	}
	out, _, err := runCmd("flows", "validate", "--config", cfg, "../../flows/classics")
	if err == nil || !strings.Contains(err.Error(), "steps[1].channel: sms is not configured") {
		t.Errorf("flows validate --config: %v", err)
	}
	if !strings.Contains(out, "warning: ../../flows/classics/outage.yaml") || !strings.Contains(out, "the step goes out over email") {
		t.Errorf("flows validate --config warns of nothing:\n%s", out)
	}
}

// TestServeRuns starts `ahead serve` on real Redis and checks the probes and auth.
func TestServeRuns(t *testing.T) {
	opt := redistest.Options(t)
	port, _ := redistest.FreePort()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "ahead.yaml")
	os.WriteFile(cfg, []byte(`redis: { url: "redis://`+opt.Addr+`/`+itoa(opt.DB)+`" }
api:
  addr: "127.0.0.1:`+itoa(port)+`"
  public_url: "https://ahead.example.com"
  tokens:
    - { name: producer, token: "producer-token-0123456789", scopes: [events] }
flows: ../../flows/classics
worker: { addr: "" }
smtp: { host: 127.0.0.1, from: "ahead@example.com" }
twilio:
  account_sid: "AC0123456789abcdef0123456789abcdef"
  auth_token: "0123456789abcdef0123456789abcdef"
  api_url: "http://127.0.0.1:1"
  sms_from: "+3197010000000"
  whatsapp_from: "+3197010000001"
`), 0o644)
	base, stop := startServe(t, cfg, port)
	ev := filepath.Join(dir, "ev.json")
	os.WriteFile(ev, []byte(`{"id":"e1","type":"subscription.created","customer_id":"c1"}`), 0o644)
	if _, _, err := runCmd("events", "send", "--url", base, ev); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("send without token: err = %v, want 401", err)
	}
	if out, _, err := runCmd("events", "send", "--url", base, "--token", "producer-token-0123456789", ev); err != nil || !strings.Contains(out, `"accepted": 1`) {
		t.Errorf("send with token: %v %s", err, out)
	}
	if err := stop(); err != nil {
		t.Fatalf("serve: %v", err)
	}
}

// startServe runs `ahead serve --config cfg` with the API on port until
// it is ready, and returns the API's base URL and a stop function that
// ends it and returns its error.
func startServe(t *testing.T, cfg string, port int) (base string, stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		var out, errb bytes.Buffer
		done <- run(ctx, []string{"serve", "--config", cfg}, strings.NewReader(""), &out, &errb)
	}()
	base = "http://127.0.0.1:" + itoa(port)
	deadline := time.Now().Add(15 * time.Second)
	for {
		if _, _, err := runCmd("health", "--url", base+"/readyz"); err == nil {
			break
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("serve not ready: %v", <-done)
		}
		time.Sleep(100 * time.Millisecond)
	}
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() { cancel(); err = <-done })
		return err
	}
	t.Cleanup(func() { _ = stop() })
	return base, stop
}

func itoa(n int) string { return strconv.Itoa(n) }
