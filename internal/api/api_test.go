package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/aheadhq/ahead/callbacks"
	"github.com/aheadhq/ahead/engine"
	"github.com/aheadhq/ahead/flows"
	"github.com/aheadhq/ahead/internal/api"
	"github.com/aheadhq/ahead/internal/clock"
	"github.com/aheadhq/ahead/internal/redistest"
	"github.com/aheadhq/ahead/internal/store"
	"github.com/aheadhq/ahead/tasks"
)

func TestMain(m *testing.M) { os.Exit(redistest.Main(m)) }

var signingKey = []byte("api-test-signing-key-0123456789")

// catalog is the classics flow folder, loaded once.
var catalog = sync.OnceValues(func() (*engine.Catalog, error) {
	return engine.Load("../../flows/classics")
})

// env is one API server on a Redis database of its own, with the worker
// it hands work to.
type env struct {
	t      *testing.T
	rdb    *redis.Client
	store  *store.Store
	client *asynq.Client
	insp   *asynq.Inspector
	worker *tasks.Worker
	clock  *clock.Fake
	url    string
	// handler is the API, for requests that bypass the HTTP server.
	handler http.Handler
}

// setup starts the API; edit may change its options.
func setup(t *testing.T, edit ...func(*api.Options)) *env {
	t.Helper()
	return setupWorker(t, nil, nil, edit...)
}

// setupWorker starts the API on a worker serving cat (nil: the classics
// flows) whose options work may change first; edit may change the API's
// options.
func setupWorker(t *testing.T, cat *engine.Catalog, work func(*tasks.Options), edit ...func(*api.Options)) *env {
	t.Helper()
	if cat == nil {
		var err error
		if cat, err = catalog(); err != nil {
			t.Fatalf("load classic flows: %v", err)
		}
	}
	rdb := redistest.New(t)
	e := &env{
		t: t, rdb: rdb, store: store.New(rdb),
		client: asynq.NewClientFromRedisClient(rdb),
		insp:   asynq.NewInspectorFromRedisClient(rdb),
		// The real time, so that scheduled steps are due in the future.
		clock: clock.NewFake(time.Now().UTC().Truncate(time.Second)),
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	wo := tasks.Options{Options: engine.Options{
		Store: e.store, Clock: e.clock, Log: log,
		Timezone: "Europe/Amsterdam", Locale: "en",
	}, Redis: rdb}
	cbq := callbacks.NewQueues(callbacks.Options{
		Store: e.store, Clock: e.clock, Log: log,
		Flows:    func() *flows.Set { return e.worker.Catalog().Flows },
		Location: func(p store.Profile) *time.Location { return e.worker.Location(p) },
		Emit:     func(ctx context.Context, ev *flows.Event) error { return e.worker.Raise(ctx, ev) },
	})
	wo.Forget = cbq.Forget
	if work != nil {
		work(&wo)
	}
	e.worker = tasks.New(wo, cat)
	o := api.Options{
		Engine: e.worker.Engine, Callbacks: cbq, Clock: e.clock, Log: log,
		SigningKey: signingKey,
	}
	for _, f := range edit {
		f(&o)
	}
	e.handler = api.New(o)
	srv := httptest.NewServer(e.handler)
	t.Cleanup(srv.Close)
	e.url = srv.URL
	return e
}

// reply is an answer of the API.
type reply struct {
	code   int
	header http.Header
	body   []byte
}

// do sends a request with an optional bearer token.
func (e *env) do(method, path, token, body string) reply {
	e.t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, e.url+path, r)
	if err != nil {
		e.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return reply{code: res.StatusCode, header: res.Header, body: b}
}

// json decodes the body into v, failing the test when it is no JSON.
func (r reply) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

// problem is an error answer.
type problem struct {
	Error  string   `json:"error"`
	Errors []string `json:"errors"`
}

func (r reply) problem(t *testing.T) problem {
	t.Helper()
	var p problem
	r.json(t, &p)
	return p
}

func (r reply) String() string { return fmt.Sprintf("%d %s", r.code, r.body) }

// post posts events and returns the counts of a 202.
func (e *env) post(body string) (accepted, duplicates int) {
	e.t.Helper()
	r := e.do("POST", "/v1/events", "", body)
	if r.code != http.StatusAccepted {
		e.t.Fatalf("POST /v1/events: %s", r)
	}
	var got struct{ Accepted, Duplicates int }
	r.json(e.t, &got)
	return got.Accepted, got.Duplicates
}

// tasks lists the tasks of a queue in every state but active, those
// waiting in its due index first.
func (e *env) tasks(queue string) []*asynq.TaskInfo {
	e.t.Helper()
	out, err := e.queue().Waiting(context.Background(), queue, 0, 10000)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, list := range []func(string, ...asynq.ListOption) ([]*asynq.TaskInfo, error){
		e.insp.ListPendingTasks, e.insp.ListScheduledTasks, e.insp.ListRetryTasks, e.insp.ListArchivedTasks,
	} {
		ts, err := list(queue, asynq.PageSize(10000))
		if err != nil && !strings.Contains(err.Error(), asynq.ErrQueueNotFound.Error()) {
			e.t.Fatalf("list tasks of %s: %v", queue, err)
		}
		out = append(out, ts...)
	}
	return out
}

// queue returns the worker's task queue, with the test's four step queues.
func (e *env) queue() *tasks.Queue { return tasks.NewQueue(e.rdb, e.clock, 4, 0) }

// task returns step task id of customer in queue, waiting in the due index
// or queued (see tasks.Queue.Task).
func (e *env) task(queue, customer, id string) (*asynq.TaskInfo, error) {
	return e.queue().Task(context.Background(), queue, customer, id)
}

// taskIDs returns the sorted ids of the tasks of a queue.
func (e *env) taskIDs(queue string) []string {
	var ids []string
	for _, ti := range e.tasks(queue) {
		ids = append(ids, ti.ID)
	}
	slices.Sort(ids)
	return ids
}

// route runs the route task of each event, as a worker would.
func (e *env) route(customer string, ids ...string) {
	e.t.Helper()
	for _, id := range ids {
		task, _ := tasks.NewRouteTask(customer, id)
		if err := e.worker.HandleRoute(context.Background(), task); err != nil {
			e.t.Fatalf("route %s: %v", id, err)
		}
	}
}

// dump returns every key of the database with its value as text.
func (e *env) dump() map[string]string {
	e.t.Helper()
	ctx := context.Background()
	out := map[string]string{}
	iter := e.rdb.Scan(ctx, 0, "*", 100).Iterator()
	for iter.Next(ctx) {
		key := iter.Val()
		var v any
		var err error
		switch typ := e.rdb.Type(ctx, key).Val(); typ {
		case "string":
			v, err = e.rdb.Get(ctx, key).Result()
		case "hash":
			v, err = e.rdb.HGetAll(ctx, key).Result()
		case "list":
			v, err = e.rdb.LRange(ctx, key, 0, -1).Result()
		case "set":
			var m []string
			m, err = e.rdb.SMembers(ctx, key).Result()
			slices.Sort(m)
			v = m
		case "zset":
			v, err = e.rdb.ZRangeWithScores(ctx, key, 0, -1).Result()
		default:
			e.t.Fatalf("key %s has type %s", key, typ)
		}
		if err != nil {
			e.t.Fatal(err)
		}
		out[key] = fmt.Sprint(v)
	}
	if err := iter.Err(); err != nil {
		e.t.Fatal(err)
	}
	return out
}

func TestProbes(t *testing.T) {
	t.Parallel()
	e := setup(t, func(o *api.Options) { o.Authorize = func(string, string) bool { return false } })
	for _, path := range []string{"/healthz", "/readyz", "/metrics"} {
		if r := e.do("GET", path, "", ""); r.code != http.StatusOK {
			t.Errorf("GET %s without a token: %s", path, r)
		}
	}
	var ready map[string]string
	e.do("GET", "/readyz", "", "").json(t, &ready)
	if ready["status"] != "ready" {
		t.Errorf("readyz = %v", ready)
	}
}

func TestReadyWithoutRedis(t *testing.T) {
	t.Parallel()
	opt, err := redis.ParseURL(redistest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	closed := redis.NewClient(opt)
	closed.Close()
	srv := httptest.NewServer(api.New(api.Options{Engine: engine.New(engine.Options{Store: store.New(closed)}, nil)}))
	t.Cleanup(srv.Close)
	e := &env{t: t, url: srv.URL}
	r := e.do("GET", "/readyz", "", "")
	if r.code != http.StatusServiceUnavailable {
		t.Fatalf("readyz on a closed client: %s", r)
	}
	if r := e.do("GET", "/healthz", "", ""); r.code != http.StatusOK {
		t.Fatalf("healthz on a closed client: %s", r)
	}
}

func TestReadyOption(t *testing.T) {
	t.Parallel()
	var down error
	e := setup(t, func(o *api.Options) { o.Ready = func() error { return down } })
	if r := e.do("GET", "/readyz", "", ""); r.code != http.StatusOK {
		t.Fatalf("ready: %s", r)
	}
	down = errors.New("flows not loaded")
	r := e.do("GET", "/readyz", "", "")
	var got map[string]string
	r.json(t, &got)
	if r.code != http.StatusServiceUnavailable || got["error"] != "flows not loaded" {
		t.Fatalf("not ready: %s", r)
	}
}

func TestProbesAlone(t *testing.T) {
	t.Parallel()
	var down error
	srv := httptest.NewServer(api.Probes(func(context.Context) error { return down }))
	t.Cleanup(srv.Close)
	e := &env{t: t, url: srv.URL}
	for _, path := range []string{"/healthz", "/readyz", "/metrics"} {
		if r := e.do("GET", path, "", ""); r.code != http.StatusOK {
			t.Errorf("GET %s: %s", path, r)
		}
	}
	down = errors.New("redis down")
	if r := e.do("GET", "/readyz", "", ""); r.code != http.StatusServiceUnavailable {
		t.Errorf("readyz when not ready: %s", r)
	}
	if r := e.do("GET", "/healthz", "", ""); r.code != http.StatusOK {
		t.Errorf("healthz when not ready: %s", r)
	}
	if r := e.do("POST", "/v1/events", "", "{}"); r.code != http.StatusNotFound {
		t.Errorf("the probes serve the API: %s", r)
	}
}

func TestAuth(t *testing.T) {
	t.Parallel()
	scopes := map[string][]string{
		"tok-events": {api.ScopeEvents},
		"tok-agent":  {api.ScopeAgent},
		"tok-admin":  {api.ScopeAdmin},
	}
	// A plain lookup: the API itself gives admin every scope.
	authorize := func(token, scope string) bool { return slices.Contains(scopes[token], scope) }
	e := setup(t, func(o *api.Options) { o.Authorize = authorize })
	event := func(id string) string {
		return fmt.Sprintf(`{"id":%q,"type":"invoice.paid","customer_id":"cus_1"}`, id)
	}
	cases := []struct {
		method, path, token string
		body                string
		want                int
	}{
		{"POST", "/v1/events", "", event("e1"), http.StatusUnauthorized},
		{"POST", "/v1/events", "nope", event("e1"), http.StatusUnauthorized},
		{"POST", "/v1/events", "tok-agent", event("e1"), http.StatusForbidden},
		{"POST", "/v1/events", "tok-events", event("e1"), http.StatusAccepted},
		{"POST", "/v1/events", "tok-admin", event("e2"), http.StatusAccepted},
		{"GET", "/v1/callbacks?queue=retention", "", "", http.StatusUnauthorized},
		{"GET", "/v1/callbacks?queue=retention", "tok-events", "", http.StatusForbidden},
		{"GET", "/v1/callbacks?queue=retention", "tok-agent", "", http.StatusOK},
		{"GET", "/v1/callbacks?queue=retention", "tok-admin", "", http.StatusOK},
		{"GET", "/v1/customers/cus_1/timeline", "tok-agent", "", http.StatusOK},
		{"GET", "/v1/customers/cus_1/timeline", "tok-admin", "", http.StatusOK},
		{"PUT", "/v1/customers/cus_1", "tok-agent", `{"name":"Anna"}`, http.StatusForbidden},
		{"PUT", "/v1/customers/cus_1", "tok-events", `{"name":"Anna"}`, http.StatusOK},
		{"PUT", "/v1/customers/cus_1", "tok-admin", `{"name":"Anna"}`, http.StatusOK},
		{"GET", "/v1/flows", "tok-agent", "", http.StatusOK},
		{"GET", "/v1/outbox", "tok-agent", "", http.StatusForbidden},
		{"GET", "/v1/outbox", "tok-admin", "", http.StatusOK},
		{"DELETE", "/v1/customers/cus_1", "tok-events", "", http.StatusForbidden},
		{"DELETE", "/v1/customers/cus_1", "tok-agent", "", http.StatusForbidden},
		{"DELETE", "/v1/customers/cus_1", "nope", "", http.StatusUnauthorized},
		{"DELETE", "/v1/customers/cus_1", "tok-admin", "", http.StatusNoContent},
	}
	for _, c := range cases {
		r := e.do(c.method, c.path, c.token, c.body)
		if r.code != c.want {
			t.Errorf("%s %s with %q: %s, want %d", c.method, c.path, c.token, r, c.want)
		}
		if r.code == http.StatusUnauthorized && r.header.Get("WWW-Authenticate") == "" && c.token == "" {
			t.Errorf("%s %s: 401 without WWW-Authenticate", c.method, c.path)
		}
	}
	// Other schemes than Bearer are not tokens.
	req, _ := http.NewRequest("GET", e.url+"/v1/flows", nil)
	req.Header.Set("Authorization", "Basic dG9rLWFkbWluOg==")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusUnauthorized {
		t.Errorf("basic auth: %d, want 401", res.StatusCode)
	}
	// The unsubscribe link needs no token: the link is signed.
	if r := e.do("GET", "/v1/unsubscribe/x.y", "", ""); r.code != http.StatusNotFound {
		t.Errorf("unsubscribe with a bad link and no token: %s, want 404", r)
	}
}
