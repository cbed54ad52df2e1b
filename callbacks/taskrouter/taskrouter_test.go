package taskrouter_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aheadhq/ahead/callbacks"
	"github.com/aheadhq/ahead/callbacks/taskrouter"
	"github.com/aheadhq/ahead/flows"
	"github.com/aheadhq/ahead/internal/prismtest"
	"github.com/aheadhq/ahead/internal/store"
)

const (
	accountSID = "AC0123456789abcdef0123456789abcdef"
	authToken  = "0123456789abcdef0123456789abcdef"
	contract   = "twilio_taskrouter_v1.json"
)

func queue() *flows.Queue {
	q := flows.DefaultQueue("retention")
	q.TaskRouter = &flows.TaskRouter{
		WorkspaceSID: "WS0123456789abcdef0123456789abcdef",
		WorkflowSID:  "WW0123456789abcdef0123456789abcdef",
		TaskChannel:  "voice",
	}
	return q
}

func callbackFor(id string, priority int) *store.Callback {
	return &store.Callback{
		ID: id, Queue: "retention", Customer: "cus_1", Name: "Anna", Phone: "+31612345678",
		TalkingPoint: "Ask how the first days went.", Flow: "welcome", Step: "call", Priority: priority,
		Due: time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC), Attempts: 1,
	}
}

// TestContract creates and cancels Tasks with the real twilio-go client
// against Prism serving TaskRouter's OpenAPI contract, which rejects any
// request that breaks it.
func TestContract(t *testing.T) {
	base := prismtest.Start(t, contract)
	rec := &prismtest.Recorder{}
	c, err := taskrouter.New(taskrouter.Config{AccountSID: accountSID, AuthToken: authToken, BaseURL: base, HTTPClient: &http.Client{Transport: rec}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	sid, err := c.Export(ctx, queue(), callbackFor("iv_1", 5), 71*time.Hour)
	if err != nil {
		t.Fatalf("Export: %v\n%s\n%s", err, rec, prismtest.Output(t, contract))
	}
	if !strings.HasPrefix(sid, "WT") || len(sid) != 34 {
		t.Errorf("task sid %q", sid)
	}
	if err := c.Withdraw(ctx, queue(), sid); err != nil {
		t.Fatalf("Withdraw: %v\n%s", err, rec)
	}
	// The contract is enforced: a workflow SID that breaks its pattern is refused.
	bad := queue()
	bad.TaskRouter.WorkflowSID = "WW-not-a-sid"
	if _, err := c.Export(ctx, bad, callbackFor("iv_2", 0), time.Hour); err == nil {
		t.Errorf("Export with a bad workflow SID succeeded: %s", rec)
	}
}

// TestExportRequest checks what a Task is made of.
func TestExportRequest(t *testing.T) {
	t.Parallel()
	var (
		mu   sync.Mutex
		got  url.Values
		path string
		user string
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		_ = r.ParseForm()
		got, path = r.PostForm, r.URL.Path
		user, _, _ = r.BasicAuth()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte(`{"sid":"WTaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}`))
	}))
	t.Cleanup(srv.Close)
	c, err := taskrouter.New(taskrouter.Config{AccountSID: accountSID, AuthToken: authToken, BaseURL: srv.URL + "/proxy"})
	if err != nil {
		t.Fatal(err)
	}
	sid, err := c.Export(context.Background(), queue(), callbackFor("iv_1", 7), 90*time.Minute)
	if err != nil || sid != "WTaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" {
		t.Fatalf("Export = %q, %v", sid, err)
	}
	mu.Lock()
	if path != "/proxy/v1/Workspaces/WS0123456789abcdef0123456789abcdef/Tasks" || user != accountSID {
		t.Errorf("path %s, user %s", path, user)
	}
	if got.Get("WorkflowSid") != "WW0123456789abcdef0123456789abcdef" || got.Get("Timeout") != "5400" || got.Get("Priority") != "7" || got.Get("TaskChannel") != "voice" {
		t.Errorf("form %v", got)
	}
	var attrs taskrouter.Attributes
	if err := json.Unmarshal([]byte(got.Get("Attributes")), &attrs); err != nil {
		t.Fatal(err)
	}
	want := taskrouter.Attributes{
		Type: "callback", CallbackID: "iv_1", Customer: "cus_1", Name: "Anna", Phone: "+31612345678",
		TalkingPoints: "Ask how the first days went.", Priority: 7, Queue: "retention", Flow: "welcome", Step: "call",
		Due: "2026-11-24T09:00:00Z", Attempts: 1,
	}
	if attrs != want {
		t.Errorf("attributes\n got %+v\nwant %+v", attrs, want)
	}
	mu.Unlock()

	// No deadline: the longest timeout TaskRouter allows; no priority below 1.
	if _, err := c.Export(context.Background(), queue(), callbackFor("iv_2", -3), 0); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if got.Get("Timeout") != "1209600" || got.Has("Priority") {
		t.Errorf("form without deadline %v", got)
	}
}

func TestWithdrawEndedTask(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte(`{"code":20404,"message":"The requested resource was not found","status":404}`))
	}))
	t.Cleanup(srv.Close)
	c, _ := taskrouter.New(taskrouter.Config{AccountSID: accountSID, AuthToken: authToken, BaseURL: srv.URL})
	if err := c.Withdraw(context.Background(), queue(), "WTaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"); err != nil {
		t.Errorf("Withdraw of a task that is gone: %v", err)
	}
	srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte(`{"code":20503,"message":"Service unavailable","status":503}`))
	})
	if err := c.Withdraw(context.Background(), queue(), "WTaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"); err == nil {
		t.Error("Withdraw on a 503 succeeded")
	}
}

func TestNewNamesKeys(t *testing.T) {
	t.Parallel()
	_, err := taskrouter.New(taskrouter.Config{AccountSID: "nope", BaseURL: "ftp://x"})
	want := "twilio.account_sid: not an account SID (AC followed by 32 hexadecimal digits)\ntwilio.auth_token: required\ntwilio.api_url: \"ftp://x\" is not an http(s) URL"
	if err == nil || err.Error() != want {
		t.Errorf("New error:\n got %v\nwant %s", err, want)
	}
}

func TestMap(t *testing.T) {
	t.Parallel()
	attrs := func(extra string) string {
		return `{"type":"callback","callback_id":"iv_1","customer_id":"cus_1"` + extra + `}`
	}
	tests := []struct {
		name string
		form url.Values
		want taskrouter.Action
	}{
		{"accepted", url.Values{"EventType": {"reservation.accepted"}, "TaskSid": {"WT1"}, "WorkerName": {"alice"}, "TaskAttributes": {attrs("")}},
			taskrouter.Action{Kind: taskrouter.Take, Callback: "iv_1", Task: "WT1", Agent: "taskrouter:alice"}},
		{"completed without outcome", url.Values{"EventType": {"task.completed"}, "TaskSid": {"WT1"}, "TaskAttributes": {attrs("")}},
			taskrouter.Action{Kind: taskrouter.Record, Callback: "iv_1", Task: "WT1", Outcome: outcome("reached", "", time.Time{})}},
		{"completed with outcome", url.Values{"EventType": {"task.completed"}, "TaskSid": {"WT1"}, "TaskAttributes": {attrs(`,"outcome":"callback_requested","note":"after lunch","requested_at":"2026-11-25T13:00:00Z"`)}},
			taskrouter.Action{Kind: taskrouter.Record, Callback: "iv_1", Task: "WT1", Outcome: outcome("callback_requested", "after lunch", time.Date(2026, 11, 25, 13, 0, 0, 0, time.UTC))}},
		{"completed with a bad outcome", url.Values{"EventType": {"task.completed"}, "TaskSid": {"WT1"}, "TaskAttributes": {attrs(`,"outcome":"maybe"`)}},
			taskrouter.Action{Kind: taskrouter.Ignore, Callback: "iv_1", Task: "WT1", Why: "the task's outcome or requested_at is not valid"}},
		{"canceled with outcome", url.Values{"EventType": {"task.canceled"}, "TaskSid": {"WT1"}, "TaskAttributes": {attrs(`,"outcome":"no_answer"`)}},
			taskrouter.Action{Kind: taskrouter.Record, Callback: "iv_1", Task: "WT1", Outcome: outcome("no_answer", "", time.Time{})}},
		{"timed out", url.Values{"EventType": {"task.canceled"}, "TaskSid": {"WT1"}, "TaskCanceledReason": {"Task TTL Exceeded"}, "TaskAttributes": {attrs("")}},
			taskrouter.Action{Kind: taskrouter.Unoffer, Callback: "iv_1", Task: "WT1", Why: "task canceled: Task TTL Exceeded"}},
		{"other event", url.Values{"EventType": {"task.created"}, "TaskSid": {"WT1"}, "TaskAttributes": {attrs("")}},
			taskrouter.Action{Kind: taskrouter.Ignore, Callback: "iv_1", Task: "WT1", Why: "event task.created changes nothing"}},
		{"not ours", url.Values{"EventType": {"task.completed"}, "TaskSid": {"WT2"}, "TaskAttributes": {`{"type":"chat"}`}},
			taskrouter.Action{Kind: taskrouter.Ignore, Task: "WT2", Why: "not a callback task"}},
	}
	for _, tc := range tests {
		if got := taskrouter.Map(tc.form); got != tc.want {
			t.Errorf("%s:\n got %+v\nwant %+v", tc.name, got, tc.want)
		}
	}
}

func outcome(o, note string, at time.Time) callbacks.Outcome {
	return callbacks.Outcome{Outcome: o, Note: note, RequestedAt: at, Task: "WT1"}
}
