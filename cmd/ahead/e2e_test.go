package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"net/http"
	"net/mail"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/aheadhq/ahead/engine"
	"github.com/aheadhq/ahead/internal/clock"
	"github.com/aheadhq/ahead/internal/config"
	"github.com/aheadhq/ahead/internal/prismtest"
	"github.com/aheadhq/ahead/internal/redistest"
	"github.com/aheadhq/ahead/internal/smtptest"
)

func TestMain(m *testing.M) {
	code := redistest.Main(m)
	prismtest.Stop()
	os.Exit(code)
}

const e2eToken = "e2e-admin-token-0123456789"

// e2e is one running ahead (API and worker) on real Redis and real SMTP.
type e2e struct {
	t    *testing.T
	url  string
	smtp *smtptest.Server
	clk  clock.Clock
}

// startE2E runs API and worker in-process, on a virtual clock that reads
// virt now and runs factor times faster than real time.
func startE2E(t *testing.T, virt time.Time, factor float64, opts ...func(*config.Config)) *e2e {
	t.Helper()
	smtp := smtptest.Start(t)
	cfg := config.Default()
	cfg.Flows = "../../flows/classics"
	cfg.SMTP.Host, cfg.SMTP.Port, cfg.SMTP.TLS = smtp.Host, smtp.Port, "none"
	cfg.SMTP.From = "Ahead Service <service@ahead.example>"
	cfg.API.PublicURL = "https://ahead.example.com"
	cfg.API.SigningKey = "e2e-signing-key-0123456789"
	cfg.API.Tokens = []config.Token{{Name: "e2e", Token: e2eToken, Scopes: []string{"admin"}}}
	cfg.Worker.PollInterval = config.Duration(100 * time.Millisecond)
	cfg.Worker.Concurrency = 4
	// On a fast clock a loaded machine runs steps late by virtual hours;
	// a wide late limit keeps them from being skipped as too late.
	cfg.Defaults.LateLimit = config.Duration(30 * 24 * time.Hour)
	for _, o := range opts {
		o(cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	clk := clock.NewScaledAt(virt, factor)
	url := runNode(t, cfg, clk, slog.New(slog.NewTextHandler(io.Discard, nil)))
	return &e2e{t: t, url: url, smtp: smtp, clk: clk}
}

// runNode runs API and worker in-process with cfg on a test database of
// its own until the test ends, and returns the API's base URL.
func runNode(t *testing.T, cfg *config.Config, clk clock.Clock, log *slog.Logger) string {
	t.Helper()
	rdb := redis.NewClient(redistest.Options(t))
	t.Cleanup(func() { rdb.Close() })
	cat, err := engine.Load(cfg.Flows)
	if err != nil {
		t.Fatal(err)
	}
	n := &node{cfg: cfg, clock: clk, log: log, rdb: rdb}
	ctx, cancel := context.WithCancel(context.Background())
	if err := n.open(ctx, cat); err != nil {
		cancel()
		t.Fatal(err)
	}
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- n.runAll(ctx, true, true, "127.0.0.1:0", ready) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("server: %v", err)
		}
	})
	select {
	case addr := <-ready:
		return "http://" + addr
	case err := <-done:
		t.Fatalf("server stopped: %v", err)
	}
	return ""
}

func (e *e2e) do(method, path string, body any, out any) int {
	e.t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, e.url+path, r)
	req.Header.Set("Authorization", "Bearer "+e2eToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			e.t.Fatalf("%s %s: decode: %v", method, path, err)
		}
	}
	return resp.StatusCode
}

type timeline struct {
	Entries []struct {
		Kind, State, Step, Channel, Reason string
	} `json:"entries"`
	Interventions []struct {
		Step, State, Channel, Reason string
	} `json:"interventions"`
}

func (e *e2e) timeline(cus string) timeline {
	var tl timeline
	if code := e.do("GET", "/v1/customers/"+cus+"/timeline", nil, &tl); code != 200 {
		e.t.Fatalf("timeline of %s: status %d", cus, code)
	}
	return tl
}

// waitStates waits until the customer's interventions are in the states want (step → state).
func (e *e2e) waitStates(cus string, want map[string]string, timeout time.Duration) timeline {
	e.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		tl := e.timeline(cus)
		got := map[string]string{}
		for _, iv := range tl.Interventions {
			got[iv.Step] = iv.State
		}
		ok := len(got) == len(want)
		for k, v := range want {
			if got[k] != v {
				ok = false
			}
		}
		if ok {
			return tl
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("customer %s: interventions %v, want %v (virtual time %s)", cus, got, want, e.clk.Now().Format(time.RFC3339))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func event(id, typ, cus string, occurred time.Time, withCustomer bool) map[string]any {
	ev := map[string]any{
		"id": id, "type": typ, "customer_id": cus, "subject": "sub_" + cus,
		"occurred_at": occurred.UTC().Format(time.RFC3339),
		"data":        map[string]any{"plan": "family", "first_invoice": map[string]any{"amount": "23.95", "date": "2026-11-30"}},
	}
	if withCustomer {
		ev["customer"] = map[string]any{
			"name": "Anna", "email": "anna." + cus + "@example.nl", "phone": "+31612345678",
			"timezone": "Europe/Amsterdam", "locale": "nl", "formality": "informal",
		}
	}
	return ev
}

func TestEndToEnd(t *testing.T) {
	ams, _ := time.LoadLocation("Europe/Amsterdam")
	// Monday 23 November 2026, 08:00 in Amsterdam. The call is due on
	// Wednesday at 09:00 (the window opens), the email on Friday at 10:00.
	start := time.Date(2026, 11, 23, 8, 0, 0, 0, ams)
	e := startE2E(t, start, 20000)

	var res map[string]int
	if code := e.do("POST", "/v1/events", []any{
		event("evt_a1", "subscription.created", "cus_anna", start, true),
		event("evt_b1", "subscription.created", "cus_bob", start, true),
	}, &res); code != http.StatusAccepted || res["accepted"] != 2 {
		t.Fatalf("post events: status %d, %v", code, res)
	}
	// Repeating an event schedules nothing new.
	if code := e.do("POST", "/v1/events", event("evt_a1", "subscription.created", "cus_anna", start, true), &res); code != http.StatusAccepted || res["duplicates"] != 1 || res["accepted"] != 0 {
		t.Fatalf("repeat event: status %d, %v", code, res)
	}
	e.waitStates("cus_bob", map[string]string{"reassurance-call": "scheduled", "invoice-explainer": "scheduled"}, 30*time.Second)
	if code := e.do("POST", "/v1/events", event("evt_b2", "subscription.cancelled", "cus_bob", start.Add(time.Hour), false), &res); code != http.StatusAccepted {
		t.Fatalf("post cancel: status %d", code)
	}

	tl := e.waitStates("cus_anna", map[string]string{"reassurance-call": "sent", "invoice-explainer": "sent"}, 120*time.Second)
	var sentCall, sentMail bool
	for _, en := range tl.Entries {
		if en.State == "sent" && en.Step == "reassurance-call" && en.Channel == "callback" {
			sentCall = true
		}
		if en.State == "sent" && en.Step == "invoice-explainer" && en.Channel == "email" {
			sentMail = true
		}
	}
	if !sentCall || !sentMail {
		t.Fatalf("timeline lacks sent entries: %+v", tl.Entries)
	}

	// The callback sits in the retention queue with its talking points.
	var cbs struct {
		Callbacks []struct {
			Customer     string `json:"customer_id"`
			TalkingPoint string `json:"talking_points"`
			Phone        string `json:"phone"`
		} `json:"callbacks"`
	}
	if code := e.do("GET", "/v1/callbacks?queue=retention", nil, &cbs); code != 200 {
		t.Fatalf("callbacks: status %d", code)
	}
	if len(cbs.Callbacks) != 1 || cbs.Callbacks[0].Customer != "cus_anna" || !strings.Contains(cbs.Callbacks[0].TalkingPoint, "Anna") {
		t.Fatalf("callbacks = %+v, want one for cus_anna with talking points naming Anna", cbs.Callbacks)
	}

	// The email arrived at the SMTP server, in Dutch, informal.
	msgs := e.smtp.WaitFor(t, 1, 30*time.Second)
	if len(msgs) != 1 {
		t.Fatalf("smtp got %d messages, want 1", len(msgs))
	}
	checkInvoiceMail(t, msgs[0])

	// The cancelled customer got nothing and both steps show cancelled.
	tl = e.waitStates("cus_bob", map[string]string{"reassurance-call": "cancelled", "invoice-explainer": "cancelled"}, 30*time.Second)
	for _, en := range tl.Entries {
		if en.State == "cancelled" && !strings.Contains(en.Reason, "subscription.cancelled") {
			t.Errorf("cancel reason %q does not name the event", en.Reason)
		}
	}
	for _, m := range e.smtp.Messages() {
		for _, to := range m.To {
			if strings.Contains(to, "cus_bob") {
				t.Errorf("cancelled customer got an email")
			}
		}
	}
}

func checkInvoiceMail(t *testing.T, m smtptest.Message) {
	t.Helper()
	if len(m.To) != 1 || m.To[0] != "anna.cus_anna@example.nl" {
		t.Fatalf("email to %v", m.To)
	}
	msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
	if err != nil {
		t.Fatal(err)
	}
	h := msg.Header
	if id := h.Get("Message-Id"); !strings.HasPrefix(id, "<iv_") || !strings.HasSuffix(id, "@ahead.example.com>") {
		t.Errorf("Message-ID = %q, want <iv_…@ahead.example.com>", id)
	}
	if u := h.Get("List-Unsubscribe"); !strings.HasPrefix(u, "<https://ahead.example.com/v1/unsubscribe/") {
		t.Errorf("List-Unsubscribe = %q", u)
	}
	if p := h.Get("List-Unsubscribe-Post"); p != "List-Unsubscribe=One-Click" {
		t.Errorf("List-Unsubscribe-Post = %q", p)
	}
	subject, _ := new(mime.WordDecoder).DecodeHeader(h.Get("Subject"))
	if !strings.Contains(strings.ToLower(subject), "factuur") {
		t.Errorf("Subject = %q, want Dutch (factuur)", subject)
	}
	mt, params, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("Content-Type = %q (%v), want multipart/alternative", h.Get("Content-Type"), err)
	}
	parts := map[string]string{}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(p)
		ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		if p.Header.Get("Content-Transfer-Encoding") == "quoted-printable" {
			b = qpDecode(t, b)
		}
		parts[ct] = string(b)
	}
	text := parts["text/plain"]
	if text == "" || parts["text/html"] == "" {
		t.Fatalf("parts = %v, want text and HTML", keys(parts))
	}
	if !containsWord(text, "je") && !containsWord(text, "jouw") {
		t.Errorf("text is not informal Dutch (no je/jouw):\n%s", text)
	}
	if containsWord(text, "u") || containsWord(text, "uw") {
		t.Errorf("informal text uses u/uw:\n%s", text)
	}
	if !strings.Contains(text, "23,95") && !strings.Contains(text, "23.95") {
		t.Errorf("text does not state the amount:\n%s", text)
	}
}
