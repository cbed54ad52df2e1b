package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aheadhq/ahead/internal/clock"
	"github.com/aheadhq/ahead/internal/config"
)

const (
	agentAdminToken = "agent-e2e-admin-token-0123456789"
	agentDeskToken  = "agent-e2e-agent-token-0123456789"
)

// unavailable skips a test whose tools are missing, or fails it when
// CI=true, so that CI always runs it.
func missingTool(t *testing.T, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("CI=true, so not skipped: "+format, args...)
	}
	t.Skipf(format, args...)
}

// chromiumTools returns the repository's root, Chromium and node for a
// test of what in headless Chromium with e2e/*.mjs, or skips the test
// when one is missing.
func chromiumTools(t *testing.T, what string) (root, browser, nodeBin string) {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	browser = os.Getenv("CHROMIUM")
	if browser == "" {
		browser = "/usr/bin/chromium"
	}
	if _, err := os.Stat(browser); err != nil {
		missingTool(t, "%s test skipped: no Chromium at %s (install the Debian package chromium, or set CHROMIUM)", what, browser)
	}
	nodeBin, err = exec.LookPath("node")
	if err != nil {
		missingTool(t, "%s test skipped: node is not on PATH", what)
	}
	if _, err := os.Stat(filepath.Join(root, "e2e", "node_modules", "playwright-core")); err != nil {
		missingTool(t, "%s test skipped: playwright-core is not installed in e2e/node_modules (run make deps)", what)
	}
	return root, browser, nodeBin
}

// TestAgentDeskInChromium runs ahead (API and worker) on real Redis with
// the experience classics, lets two day-2 reassurance calls fall due, and
// drives the agent desk in headless Chromium with e2e/agent.mjs: in
// English, sign in with the agent token, claim, record "reached" with a
// note, see it on the timeline; in a browser set to Dutch, claim the
// second call and record "no answer" from the Dutch desk.
// AHEAD_E2E_SCREENSHOT names the screenshot (default: in the test's
// temporary folder).
func TestAgentDeskInChromium(t *testing.T) {
	root, browser, nodeBin := chromiumTools(t, "agent desk")
	shot := os.Getenv("AHEAD_E2E_SCREENSHOT")
	if shot == "" {
		shot = filepath.Join(t.TempDir(), "agent.png")
	}

	ams, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		t.Fatal(err)
	}
	// A Tuesday, 10:00 in Amsterdam: the retention queue is open.
	virt := time.Date(2026, 11, 24, 10, 0, 0, 0, ams)
	cfg := config.Default()
	cfg.Flows = "../../flows/classics"
	cfg.API.PublicURL = "https://ahead.example.com"
	cfg.API.SigningKey = "agent-e2e-signing-key-0123456789"
	cfg.API.Tokens = []config.Token{
		{Name: "admin", Token: agentAdminToken, Scopes: []string{"admin"}},
		{Name: "desk", Token: agentDeskToken, Scopes: []string{"agent"}, Agent: "Evi Jansen"},
	}
	cfg.Worker.PollInterval = config.Duration(100 * time.Millisecond)
	cfg.Worker.Concurrency = 4
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	base := runNode(t, cfg, clock.NewScaledAt(virt, 1), slog.New(slog.NewTextHandler(io.Discard, nil)))
	call := func(method, path, body string, out any) int {
		t.Helper()
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+agentAdminToken)
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		if out != nil {
			if err := json.NewDecoder(res.Body).Decode(out); err != nil {
				t.Fatalf("%s %s: %v", method, path, err)
			}
		}
		return res.StatusCode
	}

	// Subscriptions two days ago: the day-2 calls are due now, Anna's a
	// minute before Daan's.
	for _, c := range []struct {
		id, name, phone string
		ago             time.Duration
	}{
		{"cus_agent_e2e", "Anna de Vries", "+31612345678", 48*time.Hour + time.Minute},
		{"cus_agent_e2e_nl", "Daan Bakker", "+31687654321", 48 * time.Hour},
	} {
		event := fmt.Sprintf(`{"id":"evt_%s","type":"subscription.created","customer_id":%q,
		"occurred_at":%q,"subject":"sub_1",
		"customer":{"name":%q,"email":"anna@example.nl","phone":%q,"timezone":"Europe/Amsterdam","locale":"nl","formality":"informal"},
		"data":{"plan":"family","first_invoice":{"amount":"23.95","date":"2026-11-30"}}}`, c.id, c.id, virt.Add(-c.ago).UTC().Format(time.RFC3339), c.name, c.phone)
		if code := call("POST", "/v1/events", event, nil); code != http.StatusAccepted {
			t.Fatalf("post event: %d", code)
		}
	}
	type listing struct {
		Callbacks []struct {
			ID, State, Result, Outcome, Note string
			Callable                         bool
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		var l listing
		call("GET", "/v1/callbacks?queue=retention&state=callable", "", &l)
		if len(l.Callbacks) == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the day-2 calls never became callable: %+v", l)
		}
		time.Sleep(100 * time.Millisecond)
	}

	runCtx, stop := context.WithTimeout(context.Background(), 2*time.Minute)
	defer stop()
	cmd := exec.CommandContext(runCtx, nodeBin, filepath.Join(root, "e2e", "agent.mjs"), base, shot)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "AHEAD_AGENT_TOKEN="+agentDeskToken, "CHROMIUM="+browser)
	out, err := cmd.CombinedOutput()
	t.Logf("node e2e/agent.mjs:\n%s", out)
	if err != nil {
		t.Fatalf("the agent desk test in Chromium failed: %v", err)
	}
	t.Logf("screenshots: %s", shot)

	// What the browser did is what the API reports.
	var l listing
	call("GET", "/v1/callbacks?queue=retention&state=done", "", &l)
	if len(l.Callbacks) != 1 || l.Callbacks[0].Result != "reached" || !strings.Contains(l.Callbacks[0].Note, "family plan") {
		t.Fatalf("done callbacks: %+v", l)
	}
	var tl struct {
		Entries []struct{ Kind, State, Reason string }
	}
	call("GET", "/v1/customers/cus_agent_e2e/timeline", "", &tl)
	if len(tl.Entries) == 0 || tl.Entries[0].Kind != "callback" || tl.Entries[0].State != "reached" ||
		!strings.HasPrefix(tl.Entries[0].Reason, "reached by Evi Jansen, attempt 1 of 3") {
		t.Errorf("timeline: %+v", tl.Entries)
	}
	// The Dutch desk recorded no answer for Daan: the call is queued again.
	tl.Entries = nil
	call("GET", "/v1/customers/cus_agent_e2e_nl/timeline", "", &tl)
	if len(tl.Entries) == 0 || tl.Entries[0].Kind != "callback" || tl.Entries[0].State != "no_answer" ||
		!strings.Contains(tl.Entries[0].Reason, "Voicemail vol") {
		t.Errorf("Daan's timeline: %+v", tl.Entries)
	}
}
