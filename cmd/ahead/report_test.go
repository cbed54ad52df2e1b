package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aheadhq/ahead/engine"
)

// ahead report --synthetic recovers a known effect on the embedded Redis
// and fails when the interval misses it.
func TestReportSynthetic(t *testing.T) {
	t.Parallel()
	out, stderr, err := runCmd("report", "--synthetic", "--entrants", "3000", "--holdout", "50%", "--control-rate", "0.30", "--treat-rate", "0.20", "--seed", "7")
	if err != nil {
		t.Fatalf("report --synthetic: %v\n%s", err, stderr)
	}
	for _, want := range []string{"3000 entrants", "runs whose goal window has closed", "difference, contacted − holdout", "always-valid interval", "sample ratio", "avoided per 1,000 entrants"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(stderr, "recovered: the 95% interval contains the true difference -10.0 points") {
		t.Errorf("stderr: %s", stderr)
	}
	out, _, err = runCmd("report", "--synthetic", "--entrants", "3000", "--holdout", "50%", "--control-rate", "0.30", "--treat-rate", "0.20", "--seed", "7", "--json")
	if err != nil || !strings.Contains(out, `"avoided_per_1000"`) {
		t.Fatalf("report --synthetic --json: %v\n%s", err, out)
	}
	// Too few entrants for a 1-point difference: the interval includes
	// zero, and the run says so with its exit status.
	_, _, err = runCmd("report", "--synthetic", "--entrants", "200", "--holdout", "50%", "--control-rate", "0.25", "--treat-rate", "0.24", "--seed", "7")
	if err == nil || !strings.Contains(err.Error(), "includes zero") {
		t.Errorf("a difference of 1 point in 200 entrants: %v, want an interval that includes zero", err)
	}
}

// ahead report FLOW prints the API's report as text, or as it came with
// --json.
func TestReportFlow(t *testing.T) {
	t.Parallel()
	var got *http.Request
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r
		if r.URL.Path != "/v1/reports/flows/day2-reassurance-call" {
			http.Error(w, `{"error":"flow not found"}`, http.StatusNotFound)
			return
		}
		json.NewEncoder(w).Encode(engine.Report{Flow: "day2-reassurance-call", Goal: "event contact.inbound, within 14d", Holdout: 0.1,
			Period:  engine.ReportPeriod{ID: "abc", Current: true, Salt: "day2-reassurance-call"},
			Earlier: []engine.ReportPeriod{{ID: "old", Holdout: 0.05, Goal: "none"}},
			Closed:  engine.ReportPart{Summary: "No runs whose goal window has closed yet."},
			Open:    engine.ReportPart{Summary: "No runs with an open goal window."}})
	}))
	t.Cleanup(srv.Close)
	out, _, err := runCmd("report", "day2-reassurance-call", "--url", srv.URL, "--token", "tok", "--effect", "0.02")
	if err != nil {
		t.Fatal(err)
	}
	if got.Header.Get("Authorization") != "Bearer tok" || got.URL.Query().Get("effect") != "0.02" {
		t.Errorf("request %s %v", got.URL, got.Header)
	}
	for _, want := range []string{"flow day2-reassurance-call", "holdout 10%", "period abc (current", "other period old: holdout 5%", "No runs whose goal window has closed yet."} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	out, _, err = runCmd("report", "--url", srv.URL, "--json", "day2-reassurance-call")
	if err != nil || !strings.Contains(out, `"flow":"day2-reassurance-call"`) {
		t.Errorf("--json: %v\n%s", err, out)
	}
	if _, _, err := runCmd("report", "nope", "--url", srv.URL); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("unknown flow: %v", err)
	}
	if _, _, err := runCmd("report"); err == nil {
		t.Error("report without a flow: no error")
	}
}
