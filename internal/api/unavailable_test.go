package api_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/aheadhq/ahead/callbacks"
	"github.com/aheadhq/ahead/channels/twilio"
	"github.com/aheadhq/ahead/engine"
	"github.com/aheadhq/ahead/flows"
	"github.com/aheadhq/ahead/internal/api"
	"github.com/aheadhq/ahead/internal/clock"
	"github.com/aheadhq/ahead/internal/redistest"
	"github.com/aheadhq/ahead/internal/signed"
	"github.com/aheadhq/ahead/internal/store"
	"github.com/aheadhq/ahead/tasks"
)

// apiOn starts the API, with its worker and callback queues, on rdb.
func apiOn(t *testing.T, rdb redis.UniversalClient) *env {
	t.Helper()
	cat, err := catalog()
	if err != nil {
		t.Fatal(err)
	}
	// A Tuesday at 10:00 in Amsterdam: the classics' queues are open, so
	// a claim has to reach Redis.
	e := &env{t: t, store: store.New(rdb), clock: clock.NewFake(time.Date(2026, 6, 2, 8, 0, 0, 0, time.UTC))}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	cbq := callbacks.NewQueues(callbacks.Options{
		Store: e.store, Clock: e.clock, Log: log,
		Flows:    func() *flows.Set { return e.worker.Catalog().Flows },
		Location: func(p store.Profile) *time.Location { return e.worker.Location(p) },
		Emit:     func(ctx context.Context, ev *flows.Event) error { return e.worker.Raise(ctx, ev) },
	})
	e.worker = tasks.New(tasks.Options{Options: engine.Options{
		Store: e.store, Clock: e.clock, Log: log, Timezone: "Europe/Amsterdam", Locale: "en", Forget: cbq.Forget,
	}, Redis: rdb}, cat)
	srv := httptest.NewServer(api.New(api.Options{
		Engine: e.worker.Engine, Callbacks: cbq, Clock: e.clock, Log: log,
		SigningKey: signingKey, PublicURL: hookBase, TwilioAuthToken: hookToken,
	}))
	t.Cleanup(srv.Close)
	e.url = srv.URL
	return e
}

// Every route that needs Redis answers 503, with Retry-After, while
// Redis is down: stopped (connections refused) or its client closed.
func TestEveryRouteAnswers503WithoutRedis(t *testing.T) {
	t.Parallel()
	srv := redistest.StartServer(t, t.TempDir())
	down := redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", srv.Port), DialTimeout: time.Second, MaxRetries: -1})
	t.Cleanup(func() { down.Close() })
	closed := redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", srv.Port)})
	closed.Close()
	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	event := `{"id":"evt_1","type":"subscription.created","customer_id":"cus_1"}`
	unsubscribe := "/v1/unsubscribe/" + signed.Token(signingKey, "cus_1", "email")
	status := statusPath("cus_1", "iv_1", "sms")
	statusForm := statusForm("SM0123456789abcdef0123456789abcdef", "delivered", "")
	inbound := url.Values{"From": {"+31612345678"}, "Body": {"STOP"}, "MessageSid": {"SM1"}}
	for name, rdb := range map[string]*redis.Client{"stopped": down, "closed": closed} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := apiOn(t, rdb)
			for _, rq := range []struct{ method, path, body string }{
				{"POST", "/v1/events", event},
				{"GET", "/v1/customers/cus_1/timeline", ""},
				{"GET", "/v1/customers/cus_1", ""},
				{"PUT", "/v1/customers/cus_1", `{"name":"Anna"}`},
				{"DELETE", "/v1/customers/cus_1", ""},
				{"POST", "/v1/customers/cus_1/cancel", `{}`},
				{"GET", "/v1/callbacks", ""},
				{"GET", "/v1/callbacks?queue=retention", ""},
				{"POST", "/v1/callbacks/claim", `{"queue":"retention","agent":"alice"}`},
				{"POST", "/v1/callbacks/cb_1/outcome", `{"agent":"alice","outcome":"reached"}`},
				{"GET", "/v1/outbox", ""},
				{"POST", unsubscribe, ""},
				{"GET", "/readyz", ""},
			} {
				r := e.do(rq.method, rq.path, "", rq.body)
				if r.code != http.StatusServiceUnavailable {
					t.Errorf("%s %s: %s, want 503", rq.method, rq.path, r)
				} else if rq.path != "/readyz" && r.header.Get("Retry-After") == "" {
					t.Errorf("%s %s: 503 without Retry-After", rq.method, rq.path)
				}
			}
			for path, form := range map[string]url.Values{status: statusForm, "/v1/webhooks/twilio/inbound": inbound} {
				if r := e.webhook(path, form, twilio.Sign(hookToken, hookBase+path, form)); r.code != http.StatusServiceUnavailable {
					t.Errorf("POST %s: %s, want 503", path, r)
				}
			}
			// What needs no Redis still answers.
			if r := e.do("GET", "/healthz", "", ""); r.code != http.StatusOK {
				t.Errorf("healthz: %s", r)
			}
			if r := e.do("GET", "/v1/flows", "", ""); r.code != http.StatusOK {
				t.Errorf("flows: %s", r)
			}
		})
	}
}
