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

	"github.com/aheadhq/ahead/engine"
	"github.com/aheadhq/ahead/flows"
	"github.com/aheadhq/ahead/internal/clock"
	"github.com/aheadhq/ahead/internal/config"
	"github.com/aheadhq/ahead/internal/synthetic"
)

// TestReportPageInChromium runs ahead (API and worker) on real Redis with
// the experience classics and a fake clock: 2,000 synthetic subscribers
// enter, with inbound contacts at 25% in the holdout of the day-2 call
// and 10% when called, the clock moves past their goal windows, and 40
// more enter whose windows are open. Then e2e/reports.mjs reads /reports
// in headless Chromium with JavaScript off: the agent token is refused,
// the admin token signs in, the day-2 call's card shows its arms, its
// interval as a bar and its verdict, in English and in Dutch.
// AHEAD_E2E_SCREENSHOT names the screenshot (default: in the test's
// temporary folder).
func TestReportPageInChromium(t *testing.T) {
	root, browser, nodeBin := chromiumTools(t, "report page")
	shot := os.Getenv("AHEAD_E2E_SCREENSHOT")
	if shot == "" {
		shot = filepath.Join(t.TempDir(), "reports.png")
	}
	cfg := config.Default()
	cfg.Flows = "../../flows/classics"
	cfg.API.PublicURL = "https://ahead.example.com"
	cfg.API.SigningKey = "reports-e2e-signing-key-0123456789"
	cfg.API.Tokens = []config.Token{
		{Name: "ops", Token: agentAdminToken, Scopes: []string{"admin"}},
		{Name: "desk", Token: agentDeskToken, Scopes: []string{"agent"}, Agent: "Evi Jansen"},
	}
	cfg.Worker.PollInterval = config.Duration(100 * time.Millisecond)
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	cat, err := engine.Load(cfg.Flows)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	clk := clock.NewFake(start)
	base := runNode(t, cfg, clk, slog.New(slog.NewTextHandler(io.Discard, nil)))
	post := func(evs []*flows.Event) {
		t.Helper()
		for i := 0; i < len(evs); i += 1000 {
			body, _ := json.Marshal(evs[i:min(i+1000, len(evs))])
			req, _ := http.NewRequest("POST", base+"/v1/events", strings.NewReader(string(body)))
			req.Header.Set("Authorization", "Bearer "+agentAdminToken)
			req.Header.Set("Content-Type", "application/json")
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusAccepted {
				t.Fatalf("post events: %d", res.StatusCode)
			}
		}
	}
	sample := synthetic.Draw(cat.Flows.Get("day2-reassurance-call"), start, synthetic.Options{Entrants: 2000})
	post(sample.Triggers)
	clk.Set(start.Add(14 * 24 * time.Hour))
	post(sample.Goals)
	clk.Set(start.Add(16 * 24 * time.Hour))
	var open []*flows.Event
	for i := range 40 {
		cus := fmt.Sprintf("cus_open_%02d", i)
		open = append(open, &flows.Event{ID: "sub_" + cus, Type: "subscription.created", CustomerID: cus, OccurredAt: clk.Now()})
		if i%5 == 0 {
			open = append(open, &flows.Event{ID: "in_" + cus, Type: "contact.inbound", CustomerID: cus, OccurredAt: clk.Now()})
		}
	}
	post(open)

	runCtx, stop := context.WithTimeout(context.Background(), 2*time.Minute)
	defer stop()
	cmd := exec.CommandContext(runCtx, nodeBin, filepath.Join(root, "e2e", "reports.mjs"), base, shot)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "AHEAD_ADMIN_TOKEN="+agentAdminToken, "AHEAD_AGENT_TOKEN="+agentDeskToken, "CHROMIUM="+browser)
	out, err := cmd.CombinedOutput()
	t.Logf("node e2e/reports.mjs:\n%s", out)
	if err != nil {
		t.Fatalf("the report page test in Chromium failed: %v", err)
	}
	t.Logf("screenshots: %s", shot)
}
