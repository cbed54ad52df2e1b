package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aheadhq/ahead/internal/api"
	"github.com/aheadhq/ahead/internal/store"
)

var amsterdam = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		panic(err)
	}
	return loc
}()

// tuesday10 is a Tuesday, 10:00 in Amsterdam: the example retention queue
// (mon-fri 09:00-17:00) is open.
var tuesday10 = time.Date(2026, 11, 24, 10, 0, 0, 0, amsterdam)

// queueCallback adds a callback for the example day-2 call of cus to the
// retention queue, due at due, with the step's window.
func (e *env) queueCallback(id, cus, tz string, due time.Time, attempts int) {
	e.t.Helper()
	ctx := context.Background()
	if err := e.store.UpsertProfile(ctx, cus, store.Profile{"name": "Anna de Vries", "phone": "+31612345678", "timezone": tz}); err != nil {
		e.t.Fatal(err)
	}
	cb := &store.Callback{
		ID: id, Queue: "retention", Customer: cus, Name: "Anna de Vries", Phone: "+31612345678",
		TalkingPoint: "Ask how the first days went.", Flow: "day2-reassurance-call", Step: "reassurance-call",
		Intervention: id, Due: due.UTC(), Created: due.UTC(), Window: "mon-fri 09:00-17:00", Timezone: tz,
		Deadline: due.Add(72 * time.Hour).UTC(), Attempts: attempts,
	}
	if _, err := e.store.AddCallback(ctx, cb); err != nil {
		e.t.Fatal(err)
	}
}

type callbackJSON struct {
	ID         string    `json:"id"`
	State      string    `json:"state"`
	Agent      string    `json:"agent"`
	Outcome    string    `json:"outcome"`
	Result     string    `json:"result"`
	Attempts   int       `json:"attempts"`
	Due        time.Time `json:"due"`
	LeaseUntil time.Time `json:"lease_until"`
	Callable   bool      `json:"callable"`
}

func (e *env) claimJSON(body string) (int, callbackJSON) {
	e.t.Helper()
	r := e.do("POST", "/v1/callbacks/claim", "", body)
	var cb callbackJSON
	if r.code == http.StatusOK {
		r.json(e.t, &cb)
	}
	return r.code, cb
}

func TestClaimAPI(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.clock.Set(tuesday10)
	e.queueCallback("cb_ams", "cus_ams", "Europe/Amsterdam", tuesday10.Add(-time.Hour), 0)
	e.queueCallback("cb_ny", "cus_ny", "America/New_York", tuesday10.Add(-2*time.Hour), 0) // 04:00 in New York
	e.queueCallback("cb_later", "cus_later", "Europe/Amsterdam", tuesday10.Add(time.Hour), 0)

	code, cb := e.claimJSON(`{"queue":"retention","agent":"ann"}`)
	if code != http.StatusOK || cb.ID != "cb_ams" || cb.Agent != "ann" || cb.State != "claimed" || !cb.LeaseUntil.Equal(tuesday10.Add(15*time.Minute)) {
		t.Fatalf("claim = %d %+v", code, cb)
	}
	if code, cb := e.claimJSON(`{"queue":"retention","agent":"bob","lease":30}`); code != http.StatusNoContent {
		t.Fatalf("second claim = %d %+v; want 204: the New York customer is asleep, the other is not due", code, cb)
	}
	e.clock.Set(tuesday10.Add(5*time.Hour + 30*time.Minute)) // 15:30, 09:30 in New York
	code, cb = e.claimJSON(`{"queue":"retention","agent":"bob","lease":30}`)
	if code != http.StatusOK || cb.ID != "cb_ny" || !cb.LeaseUntil.Equal(e.clock.Now().Add(30*time.Minute)) {
		t.Fatalf("claim at 15:30 = %d %+v", code, cb)
	}

	for body, want := range map[string]string{
		`{"queue":"retention"}`:                           "agent: required",
		`{"agent":"ann"}`:                                 "queue: required",
		`{"queue":"retention","agent":"ann","lease":0}`:   "lease: must be from 1 to 480 minutes",
		`{"queue":"retention","agent":"ann","colour":1}`:  "colour: unknown field",
		`{"queue":"sales","agent":"ann"}`:                 `queue: "sales" is not defined in queues.yaml`,
		`{"queue":"retention","agent":"ann","lease":"x"}`: `lease: must be an integer, got string`,
	} {
		r := e.do("POST", "/v1/callbacks/claim", "", body)
		if p := r.problem(t); r.code != http.StatusBadRequest || !slices.Contains(p.Errors, want) {
			t.Errorf("claim %s = %s, want 400 with %q", body, r, want)
		}
	}
}

func TestListCallbacksAPI(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.clock.Set(tuesday10)
	e.queueCallback("cb_ams", "cus_ams", "Europe/Amsterdam", tuesday10.Add(-time.Hour), 0)
	e.queueCallback("cb_ny", "cus_ny", "America/New_York", tuesday10.Add(-2*time.Hour), 0)
	var got struct {
		Queue, Timezone, Hours string
		Open                   bool
		Closes                 time.Time
		Callbacks              []callbackJSON
	}
	r := e.do("GET", "/v1/callbacks?queue=retention", "", "")
	r.json(t, &got)
	if r.code != http.StatusOK || got.Queue != "retention" || got.Timezone != "Europe/Amsterdam" || got.Hours != "mon-fri 09:00-17:00" ||
		!got.Open || !got.Closes.Equal(tuesday10.Add(7*time.Hour)) || len(got.Callbacks) != 2 {
		t.Fatalf("list = %s", r)
	}
	if got.Callbacks[0].ID != "cb_ny" || got.Callbacks[0].Callable || got.Callbacks[1].ID != "cb_ams" || !got.Callbacks[1].Callable {
		t.Errorf("callbacks %+v", got.Callbacks)
	}
	got.Callbacks = nil
	e.do("GET", "/v1/callbacks?queue=retention&state=callable", "", "").json(t, &got)
	if len(got.Callbacks) != 1 || got.Callbacks[0].ID != "cb_ams" {
		t.Errorf("callable = %+v", got.Callbacks)
	}
	var closed struct {
		Open        bool
		NextOpening time.Time `json:"next_opening"`
	}
	e.clock.Set(time.Date(2026, 12, 24, 18, 0, 0, 0, amsterdam))
	e.do("GET", "/v1/callbacks?queue=retention", "", "").json(t, &closed)
	if closed.Open || !closed.NextOpening.Equal(time.Date(2026, 12, 28, 9, 0, 0, 0, amsterdam)) {
		t.Errorf("on Christmas Eve at 18:00: %+v, want next opening Monday 28th 09:00", closed)
	}
	for _, q := range []string{"queue=retention&limit=0", "queue=retention&state=callable&limit=x"} {
		if r := e.do("GET", "/v1/callbacks?"+q, "", ""); r.code != http.StatusBadRequest {
			t.Errorf("%s: %s", q, r)
		}
	}
}

func TestOutcomeAPI(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.clock.Set(tuesday10)
	e.queueCallback("cb_1", "cus_1", "Europe/Amsterdam", tuesday10.Add(-time.Hour), 0)
	if code, _ := e.claimJSON(`{"queue":"retention","agent":"ann"}`); code != http.StatusOK {
		t.Fatalf("claim = %d", code)
	}
	outcome := func(id, body string) reply {
		t.Helper()
		return e.do("POST", "/v1/callbacks/"+id+"/outcome", "", body)
	}
	if r := outcome("cb_nope", `{"agent":"ann","outcome":"reached"}`); r.code != http.StatusNotFound {
		t.Errorf("unknown id: %s", r)
	}
	if r := outcome("cb_1", `{"agent":"bob","outcome":"reached"}`); r.code != http.StatusConflict || !strings.Contains(r.problem(t).Error, "held by ann") {
		t.Errorf("another agent: %s", r)
	}
	for body, want := range map[string]string{
		`{"outcome":"reached"}`:                                                                "agent: required",
		`{"agent":"ann","outcome":"perhaps"}`:                                                  `outcome: unknown outcome "perhaps" (want reached, no_answer, voicemail, wrong_number, declined, callback_requested)`,
		`{"agent":"ann","outcome":"callback_requested","requested_at":"monday"}`:               `requested_at: must be an RFC 3339 time, got "monday"`,
		`{"agent":"ann","outcome":"callback_requested"}`:                                       "requested_at: required with callback_requested",
		`{"agent":"ann","outcome":"callback_requested","requested_at":"2026-11-24T08:00:00Z"}`: "requested_at: must be in the future",
	} {
		r := outcome("cb_1", body)
		if p := r.problem(t); r.code != http.StatusBadRequest || !slices.Contains(p.Errors, want) {
			t.Errorf("outcome %s = %s, want 400 with %q", body, r, want)
		}
	}
	r := outcome("cb_1", `{"agent":"ann","outcome":"callback_requested","requested_at":"2026-11-25T13:00:00+01:00","note":"Call after lunch"}`)
	var cb callbackJSON
	r.json(t, &cb)
	if r.code != http.StatusOK || cb.State != "queued" || !cb.Due.Equal(time.Date(2026, 11, 25, 13, 0, 0, 0, amsterdam)) || cb.Attempts != 1 {
		t.Fatalf("callback_requested = %s", r)
	}
	e.clock.Set(time.Date(2026, 11, 25, 13, 0, 0, 0, amsterdam))
	if code, cb := e.claimJSON(`{"queue":"retention","agent":"ann"}`); code != http.StatusOK || cb.ID != "cb_1" {
		t.Fatalf("claim at the requested time = %d %+v", code, cb)
	}
	r = outcome("cb_1", `{"agent":"ann","outcome":"reached","note":"Happy with the family plan."}`)
	r.json(t, &cb)
	if r.code != http.StatusOK || cb.State != "done" || cb.Result != "reached" || cb.Attempts != 2 {
		t.Fatalf("reached = %s", r)
	}
	var tl struct {
		Entries []struct{ Kind, State, Reason, Queue string }
	}
	e.do("GET", "/v1/customers/cus_1/timeline", "", "").json(t, &tl)
	var states []string
	for _, en := range tl.Entries {
		if en.Kind == store.KindCallback {
			states = append(states, en.State)
		}
	}
	if fmt.Sprint(states) != "[reached claimed callback_requested claimed]" {
		t.Errorf("timeline callback states %v", states)
	}
	if got := tl.Entries[0].Reason; got != "reached by ann, attempt 2 of 3; note: Happy with the family plan." {
		t.Errorf("timeline reason %q", got)
	}
}

func TestOutcomeExhaustedRaisesEvent(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.clock.Set(tuesday10)
	e.queueCallback("cb_1", "cus_1", "Europe/Amsterdam", tuesday10.Add(-time.Hour), 2)
	if code, _ := e.claimJSON(`{"queue":"retention","agent":"ann"}`); code != http.StatusOK {
		t.Fatalf("claim = %d", code)
	}
	r := e.do("POST", "/v1/callbacks/cb_1/outcome", "", `{"agent":"ann","outcome":"voicemail"}`)
	var cb callbackJSON
	r.json(t, &cb)
	if r.code != http.StatusOK || cb.Result != "exhausted" {
		t.Fatalf("third failed call = %s", r)
	}
	ctx := context.Background()
	raw, err := e.store.Event(ctx, "cus_1", "callback-exhausted-cb_1")
	if err != nil {
		t.Fatalf("the on_exhausted event was not taken in: %v", err)
	}
	for _, want := range []string{`"type":"callback.exhausted"`, `"last_outcome":"voicemail"`, `"attempts":3`, `"queue":"retention"`} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("event %s lacks %s", raw, want)
		}
	}
	// Raised events come in as posted ones do: routed at once, so taking
	// the same event in again finds it routed.
	ref := store.EventRef{Customer: "cus_1", ID: "callback-exhausted-cb_1", JSON: raw}
	if got, err := e.store.Accept(ctx, []store.EventRef{ref}, time.Hour); err != nil || got[0] != store.AcceptRouted {
		t.Errorf("the on_exhausted event was not routed: %v, %v", got, err)
	}
	// The timeline shows both; they happened at the fake clock's one
	// instant, at which the journal's entries list first.
	entries, _ := e.store.Timeline(ctx, "cus_1", 0)
	received := slices.IndexFunc(entries, func(x store.Entry) bool {
		return x.Kind == store.KindEvent && x.State == "received" && x.EventType == "callback.exhausted"
	})
	if entries[0].State != "exhausted" || received < 0 {
		t.Errorf("timeline %+v", entries)
	}
}

// TestClaimAPIConcurrent: 50 agents claim at once through the API from a
// queue of 20.
func TestClaimAPIConcurrent(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.clock.Set(tuesday10)
	for i := range 20 {
		e.queueCallback(fmt.Sprintf("cb_%02d", i), fmt.Sprintf("cus_%02d", i), "Europe/Amsterdam", tuesday10.Add(-time.Duration(i)*time.Minute), 0)
	}
	var (
		mu    sync.Mutex
		wg    sync.WaitGroup
		got   = map[string]int{}
		empty int
	)
	for a := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest("POST", e.url+"/v1/callbacks/claim", strings.NewReader(fmt.Sprintf(`{"queue":"retention","agent":"agent_%02d"}`, a)))
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			defer res.Body.Close()
			var cb callbackJSON
			if res.StatusCode == http.StatusOK {
				_ = jsonDecode(res, &cb)
			}
			mu.Lock()
			defer mu.Unlock()
			switch res.StatusCode {
			case http.StatusOK:
				got[cb.ID]++
			case http.StatusNoContent:
				empty++
			default:
				t.Errorf("claim: %d", res.StatusCode)
			}
		}()
	}
	wg.Wait()
	if len(got) != 20 || empty != 30 {
		t.Errorf("%d callbacks handed out, %d claims empty; want 20 and 30", len(got), empty)
	}
	for id, n := range got {
		if n != 1 {
			t.Errorf("%s handed out %d times", id, n)
		}
	}
}

func TestAgentAPIAuth(t *testing.T) {
	t.Parallel()
	scopes := map[string][]string{"tok-events": {api.ScopeEvents}, "tok-agent": {api.ScopeAgent}}
	e := setup(t, func(o *api.Options) {
		o.Authorize = func(token, scope string) bool { return slices.Contains(scopes[token], scope) }
	})
	for _, tc := range []struct {
		path, token string
		want        int
	}{
		{"/v1/callbacks/claim", "", http.StatusUnauthorized},
		{"/v1/callbacks/claim", "tok-events", http.StatusForbidden},
		{"/v1/callbacks/claim", "tok-agent", http.StatusBadRequest},
		{"/v1/callbacks/cb_1/outcome", "tok-events", http.StatusForbidden},
		{"/v1/callbacks/cb_1/outcome", "tok-agent", http.StatusBadRequest},
	} {
		if r := e.do("POST", tc.path, tc.token, `{}`); r.code != tc.want {
			t.Errorf("POST %s with %q: %s, want %d", tc.path, tc.token, r, tc.want)
		}
	}
}

func jsonDecode(res *http.Response, v any) error { return json.NewDecoder(res.Body).Decode(v) }
