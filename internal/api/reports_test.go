package api_test

import (
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aheadhq/ahead/engine"
	"github.com/aheadhq/ahead/internal/api"
)

// GET /v1/reports/flows/{id} needs the admin scope and answers the flow's
// report: the period, both arms, the statistics and the verdicts.
func TestFlowReport(t *testing.T) {
	t.Parallel()
	scopes := map[string][]string{"tok-agent": {api.ScopeAgent}, "tok-admin": {api.ScopeAdmin}}
	e := setup(t, func(o *api.Options) {
		o.Authorize = func(token, scope string) bool { return slices.Contains(scopes[token], scope) }
	})
	sample, err := os.ReadFile("../../flows/classics/events/subscription-created.json")
	if err != nil {
		t.Fatal(err)
	}
	if r := e.do("POST", "/v1/events", "tok-admin", string(sample)); r.code != http.StatusAccepted {
		t.Fatalf("post the sample event: %s", r)
	}
	// Twenty more subscribers, each with an inbound contact the next day.
	var batch []string
	occurred := e.clock.Now().UTC()
	for i := range 20 {
		batch = append(batch, fmt.Sprintf(`{"id":"s%d","type":"subscription.created","customer_id":"c%d","occurred_at":%q}`, i, i, occurred.Format(time.RFC3339)))
	}
	if r := e.do("POST", "/v1/events", "tok-admin", "["+strings.Join(batch, ",")+"]"); r.code != http.StatusAccepted {
		t.Fatalf("post subscribers: %s", r)
	}
	batch = batch[:0]
	for i := range 20 {
		batch = append(batch, fmt.Sprintf(`{"id":"in%d","type":"contact.inbound","customer_id":"c%d","occurred_at":%q}`, i, i, occurred.Add(24*time.Hour).Format(time.RFC3339)))
	}
	e.clock.Advance(24 * time.Hour)
	if r := e.do("POST", "/v1/events", "tok-admin", "["+strings.Join(batch, ",")+"]"); r.code != http.StatusAccepted {
		t.Fatalf("post contacts: %s", r)
	}

	path := "/v1/reports/flows/day2-reassurance-call"
	for token, want := range map[string]int{"": http.StatusUnauthorized, "tok-agent": http.StatusForbidden} {
		if r := e.do("GET", path, token, ""); r.code != want {
			t.Errorf("GET %s with %q: %s, want %d", path, token, r, want)
		}
	}
	r := e.do("GET", path+"?effect=0.05", "tok-admin", "")
	if r.code != http.StatusOK {
		t.Fatalf("GET %s: %s", path, r)
	}
	var rep engine.Report
	r.json(t, &rep)
	open := rep.Open
	if rep.Flow != "day2-reassurance-call" || rep.Holdout != 0.10 || !rep.Period.Current || rep.Effect != 0.05 ||
		rep.Unit != "inbound contacts" || !strings.Contains(rep.Goal, "event contact.inbound") {
		t.Errorf("report head: %+v", rep)
	}
	if open.Treat.N+open.Control.N != 21 || open.Treat.Hits+open.Control.Hits != 20 || open.WindowsCloseBy == nil {
		t.Errorf("open runs: %+v / %+v, close by %v; want 21 entrants, 20 with a contact", open.Treat, open.Control, open.WindowsCloseBy)
	}
	if rep.Closed.Treat.N+rep.Closed.Control.N != 0 || rep.Closed.Summary != "No runs whose goal window has closed yet." {
		t.Errorf("closed runs: %+v", rep.Closed)
	}
	for _, key := range []string{`"closed"`, `"open"`, `"treat"`, `"control"`, `"diff"`, `"rel"`, `"avoided_per_1000"`, `"contacts_avoided"`,
		`"seq"`, `"verdict"`, `"srm"`, `"mde"`, `"summary"`, `"always_valid_summary"`, `"period"`, `"earlier_periods"`} {
		if !strings.Contains(string(r.body), key) {
			t.Errorf("report has no %s", key)
		}
	}

	for _, c := range []struct {
		path string
		want int
	}{
		{"/v1/reports/flows/nope", http.StatusNotFound},
		{path + "?period=abc", http.StatusNotFound},
		{path + "?effect=two", http.StatusBadRequest},
		{path + "?effect=2", http.StatusBadRequest},
	} {
		if r := e.do("GET", c.path, "tok-admin", ""); r.code != c.want {
			t.Errorf("GET %s: %s, want %d", c.path, r, c.want)
		}
	}
}
