package api_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aheadhq/ahead/channels/twilio"
	"github.com/aheadhq/ahead/internal/api"
	"github.com/aheadhq/ahead/internal/store"
)

const (
	publicURL   = "https://ahead.example.com"
	twilioToken = "0123456789abcdef0123456789abcdef"
)

// taskEvent posts a TaskRouter event callback, signed with key.
func (e *env) taskEvent(key string, form url.Values) int {
	e.t.Helper()
	const path = "/v1/webhooks/twilio/taskrouter"
	req, _ := http.NewRequest("POST", e.url+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Twilio-Signature", twilio.Sign(key, publicURL+path, form))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

func TestTaskRouterEvents(t *testing.T) {
	t.Parallel()
	e := setup(t, func(o *api.Options) { o.PublicURL, o.TwilioAuthToken = publicURL, twilioToken })
	e.clock.Set(tuesday10)
	e.queueCallback("cb_1", "cus_1", "Europe/Amsterdam", tuesday10.Add(-time.Hour), 0)
	e.queueCallback("cb_2", "cus_2", "Europe/Amsterdam", tuesday10.Add(-time.Hour), 0)
	e.queueCallback("cb_3", "cus_3", "Europe/Amsterdam", tuesday10.Add(time.Hour), 0)
	ctx := context.Background()
	// The sweep offered both.
	for id, sid := range map[string]string{"cb_1": "WT1", "cb_2": "WT2", "cb_3": "WT3"} {
		cb, _ := e.store.FindCallback(ctx, id)
		cb.TaskSID = sid
		if err := e.store.SaveCallback(ctx, cb); err != nil {
			t.Fatal(err)
		}
	}
	attrs := func(id, extra string) string {
		return `{"type":"callback","callback_id":"` + id + `","customer_id":"cus"` + extra + `}`
	}
	accepted := url.Values{"EventType": {"reservation.accepted"}, "TaskSid": {"WT1"}, "WorkerName": {"alice"}, "TaskAttributes": {attrs("cb_1", "")}}
	if code := e.taskEvent("wrong-token-0123456789abcdef0123", accepted); code != http.StatusForbidden {
		t.Fatalf("a badly signed event: %d", code)
	}
	stale := url.Values{"EventType": {"reservation.accepted"}, "TaskSid": {"WT9"}, "WorkerName": {"bob"}, "TaskAttributes": {attrs("cb_1", "")}}
	if code := e.taskEvent(twilioToken, stale); code != http.StatusNoContent {
		t.Fatalf("reservation.accepted of a stale task: %d", code)
	}
	if cb, _ := e.store.FindCallback(ctx, "cb_1"); cb.State != store.CallbackQueued {
		t.Fatalf("a stale task's reservation claimed cb_1: %+v", cb)
	}
	if code := e.taskEvent(twilioToken, accepted); code != http.StatusNoContent {
		t.Fatalf("reservation.accepted: %d", code)
	}
	cb, _ := e.store.FindCallback(ctx, "cb_1")
	if cb.State != store.CallbackClaimed || cb.Agent != "taskrouter:alice" || !cb.LeaseUntil.Equal(tuesday10.Add(2*time.Hour)) {
		t.Fatalf("after reservation.accepted: %+v", cb)
	}
	// ahead's own agents cannot take it now.
	if code, got := e.claimJSON(`{"queue":"retention","agent":"ann"}`); code != http.StatusOK || got.ID != "cb_2" {
		t.Fatalf("claim = %d %+v; want cb_2", code, got)
	}
	completed := url.Values{"EventType": {"task.completed"}, "TaskSid": {"WT1"}, "TaskAttributes": {attrs("cb_1", `,"outcome":"no_answer","note":"rang out"`)}}
	if code := e.taskEvent(twilioToken, completed); code != http.StatusNoContent {
		t.Fatalf("task.completed: %d", code)
	}
	cb, _ = e.store.FindCallback(ctx, "cb_1")
	if cb.State != store.CallbackQueued || cb.Outcome != "no_answer" || cb.Attempts != 1 || cb.TaskSID != "" || cb.Note != "rang out" {
		t.Fatalf("after task.completed: %+v", cb)
	}
	// The same event again, and one for a task that no longer offers it, change nothing.
	if code := e.taskEvent(twilioToken, completed); code != http.StatusNoContent {
		t.Fatalf("repeated task.completed: %d", code)
	}
	if again, _ := e.store.FindCallback(ctx, "cb_1"); again.Attempts != 1 {
		t.Errorf("the repeated event was recorded: %+v", again)
	}
	// ann's claim withdrew cb_2's offer.
	if cb, _ := e.store.FindCallback(ctx, "cb_2"); cb.TaskSID != "" || cb.Agent != "ann" {
		t.Errorf("claimed in ahead: %+v", cb)
	}
	// cb_3's task times out in TaskRouter: it is no longer on offer there.
	canceled := url.Values{"EventType": {"task.canceled"}, "TaskSid": {"WT3"}, "TaskCanceledReason": {"Task TTL Exceeded"}, "TaskAttributes": {attrs("cb_3", "")}}
	if code := e.taskEvent(twilioToken, canceled); code != http.StatusNoContent {
		t.Fatalf("task.canceled: %d", code)
	}
	if cb, _ := e.store.FindCallback(ctx, "cb_3"); cb.TaskSID != "" || cb.State != store.CallbackQueued {
		t.Errorf("after task.canceled: %+v", cb)
	}
	if entries, _ := e.store.Timeline(ctx, "cus_3", 1); len(entries) != 1 || entries[0].State != "offer_ended" ||
		entries[0].Reason != "TaskRouter task WT3 ended without an outcome (task canceled: Task TTL Exceeded)" {
		t.Errorf("timeline of cus_3 %+v", entries)
	}
	other := url.Values{"EventType": {"task.completed"}, "TaskSid": {"WT9"}, "TaskAttributes": {`{"type":"chat"}`}}
	if code := e.taskEvent(twilioToken, other); code != http.StatusNoContent {
		t.Errorf("another task's event: %d", code)
	}
	entries, _ := e.store.Timeline(ctx, "cus_1", 0)
	if entries[0].State != "no_answer" || !strings.HasPrefix(entries[0].Reason, "no_answer by taskrouter:alice, attempt 1 of 3") {
		t.Errorf("timeline %+v", entries[0])
	}
}
