package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/redis/go-redis/v9"

	"github.com/aheadhq/ahead/flows"
	"github.com/aheadhq/ahead/internal/metrics"
	"github.com/aheadhq/ahead/internal/store"
	"github.com/aheadhq/ahead/tasks"
)

// event returns bench event i of a series: a customer of its own whose
// profile comes with the event, the plan the trigger asks for, and a
// subject, so that the flow's guards have something to check.
func event(series string, i int, occurred time.Time) *flows.Event {
	cus := fmt.Sprintf("cus_%s_%07d", series, i)
	return &flows.Event{
		ID: fmt.Sprintf("evt_%s_%07d", series, i), Type: EventType, CustomerID: cus,
		OccurredAt: occurred.UTC(), Subject: "sub_" + cus,
		Customer: &flows.Customer{Name: "Bench", Email: cus + "@example.com", Timezone: "UTC", Locale: "en"},
		Data:     map[string]any{"plan": "family"},
	}
}

// start runs a node on the counted client.
func (r *run) start(ctx context.Context, api, worker bool) (*Node, error) {
	n, err := r.o.Start(ctx, NodeOptions{
		Redis: r.rdb, Flows: r.flows, API: api, Worker: worker,
		Concurrency: r.o.K, Shards: r.o.Shards, Poll: r.o.Poll,
	})
	if err != nil {
		return nil, fmt.Errorf("start ahead: %w", err)
	}
	return n, nil
}

// stepQueues are the node's step queues.
func (r *run) stepQueues() []string { return tasks.StepQueues(r.o.Shards) }

// queued sums the step tasks that wait for their time (in the due
// indexes, or asynq's scheduled sets) and the pending tasks of the step
// queues. It reads their keys in one round trip, so that polling it often
// barely loads Redis.
func (r *run) queued() (scheduled, pending int, err error) {
	qs := r.stepQueues()
	zs := make([]*redis.IntCmd, len(qs))
	ds := make([]*redis.IntCmd, len(qs))
	ls := make([]*redis.IntCmd, len(qs))
	_, err = r.admin.Pipelined(context.Background(), func(p redis.Pipeliner) error {
		for i, q := range qs {
			zs[i] = p.ZCard(context.Background(), "asynq:{"+q+"}:scheduled")
			ds[i] = p.ZCard(context.Background(), store.DueKey(q))
			ls[i] = p.LLen(context.Background(), "asynq:{"+q+"}:pending")
		}
		return nil
	})
	if err != nil {
		return 0, 0, fmt.Errorf("count queued step tasks: %w", err)
	}
	for i := range qs {
		scheduled += int(zs[i].Val() + ds[i].Val())
		pending += int(ls[i].Val())
	}
	return scheduled, pending, nil
}

// outcomes reads ahead's intervention counter: how many interventions
// reached a final state, and how many of those were sent. It reads that
// one counter only, so that polling it costs next to nothing.
func outcomes() (final, sent float64, err error) {
	ch := make(chan prometheus.Metric, 64)
	go func() {
		metrics.Interventions.Collect(ch)
		close(ch)
	}()
	for pm := range ch {
		var m dto.Metric
		if err := pm.Write(&m); err != nil {
			return 0, 0, fmt.Errorf("read metrics: %w", err)
		}
		v := m.GetCounter().GetValue()
		switch label(&m, "state") {
		case store.Sent:
			sent += v
			final += v
		case store.Skipped, store.Failed, store.Cancelled, store.HeldOut:
			final += v
		}
	}
	return final, sent, nil
}

func label(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

// waitFor polls cond every step until it holds, ctx ends or limit passes.
func waitFor(ctx context.Context, limit, step time.Duration, cond func() (bool, error)) error {
	deadline := time.Now().Add(limit)
	for {
		ok, err := cond()
		if err != nil || ok {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not done after %s", limit)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(step):
		}
	}
}

// prepare posts n events through the API of a node that takes no task
// from Redis (the API routes each batch as it takes it) and waits until
// their step tasks are queued: pending when due, else scheduled. So the
// interventions stand exactly as after ingest, and no worker has touched
// them. Events are made batch by batch, so that a large preload does not
// sit in memory.
func (r *run) prepare(ctx context.Context, n int, due bool, ev func(i int) *flows.Event) error {
	node, err := r.start(ctx, true, false)
	if err != nil {
		return err
	}
	defer node.Stop()
	scheduled0, pending0, err := r.queued()
	if err != nil {
		return err
	}
	const size = 1000
	p := newPoster(node.URL, r.o.C)
	err = parallel(ctx, (n+size-1)/size, r.o.C, func(ctx context.Context, b int) error {
		evs := make([]*flows.Event, min(size, n-b*size))
		for i := range evs {
			evs[i] = ev(b*size + i)
		}
		body, err := json.Marshal(evs)
		if err != nil {
			return err
		}
		return p.post(ctx, body, len(evs))
	})
	if err != nil {
		return fmt.Errorf("post prepared events: %w", err)
	}
	want := stepsPerRun * n
	return waitFor(ctx, time.Minute, 50*time.Millisecond, func() (bool, error) {
		s, p, err := r.queued()
		if due {
			return p-pending0 >= want, err
		}
		return s-scheduled0 >= want, err
	})
}

// poster posts event batches to the API.
type poster struct {
	url    string
	client *http.Client
}

func newPoster(url string, conns int) *poster {
	return &poster{url: url + "/v1/events", client: &http.Client{
		Timeout:   time.Minute,
		Transport: &http.Transport{MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns},
	}}
}

func (p *poster) post(ctx context.Context, body []byte, want int) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := p.client.Do(req)
	if err != nil {
		return fmt.Errorf("post events: %w", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusAccepted {
		return fmt.Errorf("post events: status %d: %s", resp.StatusCode, b)
	}
	var res struct{ Accepted int }
	if err := json.Unmarshal(b, &res); err != nil || res.Accepted != want {
		return fmt.Errorf("post events: accepted %s, want %d", b, want)
	}
	return nil
}

// batches marshals events into POST bodies of up to size events.
func batches(evs []*flows.Event, size int) ([][]byte, []int, error) {
	var bodies [][]byte
	var counts []int
	for from := 0; from < len(evs); from += size {
		part := evs[from:min(from+size, len(evs))]
		b, err := json.Marshal(part)
		if err != nil {
			return nil, nil, err
		}
		bodies = append(bodies, b)
		counts = append(counts, len(part))
	}
	return bodies, counts, nil
}

// ingestion starts an API and a worker and makes N events of the series,
// in batches. post sends them from C clients and returns once every step
// they ask for is scheduled in Redis.
func (r *run) ingestion(ctx context.Context, series string) (node *Node, post func() error, err error) {
	now := time.Now()
	evs := make([]*flows.Event, r.o.N)
	for i := range evs {
		evs[i] = event("in"+series, i, now)
	}
	bodies, counts, err := batches(evs, r.o.Batch)
	if err != nil {
		return nil, nil, err
	}
	base, _, err := r.queued()
	if err != nil {
		return nil, nil, err
	}
	want := base + stepsPerRun*r.o.N
	if node, err = r.start(ctx, true, true); err != nil {
		return nil, nil, err
	}
	p := newPoster(node.URL, r.o.C)
	post = func() error {
		err := parallel(ctx, len(bodies), r.o.C, func(ctx context.Context, i int) error {
			return p.post(ctx, bodies[i], counts[i])
		})
		if err != nil {
			return err
		}
		return waitFor(ctx, timeout(r.o.N), 10*time.Millisecond, func() (bool, error) {
			s, _, err := r.queued()
			return s >= want, err
		})
	}
	return node, post, nil
}

// ingest posts N events in batches from C clients to a running API and
// worker and measures until every step is scheduled in Redis. Beside a
// preload (series "preload") it keeps what is stored.
func (r *run) ingest(ctx context.Context, series string) error {
	group := "ingest"
	if series != "" {
		group = "preload"
	} else if err := r.flush(ctx); err != nil {
		return err
	}
	node, post, err := r.ingestion(ctx, series)
	if err != nil {
		return err
	}
	defer node.Stop()
	mem0, err := usedMemory(ctx, r.admin)
	if err != nil {
		return err
	}
	c, err := r.measure(ctx, "ingest"+series, post)
	if err != nil {
		return err
	}
	n := float64(r.o.N)
	fmt.Fprintf(r.o.Progress, "bench: ingest%s round trips per event: %s\n", series, breakdown(c.names0, c.names, n))
	mem1, err := usedMemory(ctx, r.admin)
	if err != nil {
		return err
	}
	if series != "" {
		r.res.add(group, "ingest_steps_per_sec", stepsPerRun*n/c.elapsed.Seconds(), 1)
		r.res.add(group, "ingest_ahead_cpu_us_per_event", us(c.self)/n, 1)
		r.res.add(group, "ingest_redis_cpu_us_per_event", us(c.redis)/n, 1)
		return nil
	}
	r.res.add(group, "events_per_sec", n/c.elapsed.Seconds(), 1)
	r.res.add(group, "steps_per_sec", stepsPerRun*n/c.elapsed.Seconds(), 1)
	r.res.add(group, "roundtrips_per_event", float64(c.trips)/n, 2)
	r.res.add(group, "ahead_cpu_us_per_event", us(c.self)/n, 1)
	r.res.add(group, "redis_cpu_us_per_event", us(c.redis)/n, 1)
	r.res.add("memory", "ahead_bytes_per_intervention", float64(mem1-mem0)/(stepsPerRun*n), 0)
	return nil
}

// dispatch makes N interventions due now, then starts a worker and
// measures until every one has reached a final state.
func (r *run) dispatch(ctx context.Context, series string) error {
	group, name := "dispatch", "per_sec"
	if series != "" {
		group, name = "preload", "dispatch_per_sec"
	} else if err := r.flush(ctx); err != nil {
		return err
	}
	count, err := r.prepareDue(ctx, series)
	if err != nil {
		return err
	}
	_, sent0, err := outcomes()
	if err != nil {
		return err
	}
	c, err := r.measure(ctx, "dispatch"+series, func() error { return r.sendDue(ctx, count) })
	if err != nil {
		return err
	}
	per := float64(count)
	fmt.Fprintf(r.o.Progress, "bench: dispatch%s round trips per step: %s\n", series, breakdown(c.names0, c.names, per))
	_, sent1, err := outcomes()
	if err != nil {
		return err
	}
	if got := int(sent1 - sent0); got < count {
		return fmt.Errorf("sent %d of %d due interventions", got, count)
	}
	r.res.add(group, name, per/c.elapsed.Seconds(), 1)
	prefix := ""
	if series == "" {
		r.res.add(group, "roundtrips_per_step", float64(c.trips)/per, 2)
	} else {
		prefix = "dispatch_"
	}
	r.res.add(group, prefix+"ahead_cpu_us_per_step", us(c.self)/per, 1)
	r.res.add(group, prefix+"redis_cpu_us_per_step", us(c.redis)/per, 1)
	return nil
}

// prepareDue makes the dispatch measurement's interventions, due now, and
// returns how many there are. The same series gives the same events, and
// so the same interventions and step tasks.
func (r *run) prepareDue(ctx context.Context, series string) (int, error) {
	runs := (r.o.N + 1) / stepsPerRun
	count := runs * stepsPerRun
	due := time.Now().Add(-After)
	if err := r.prepare(ctx, runs, true, func(i int) *flows.Event { return event("due"+series, i, due) }); err != nil {
		return 0, err
	}
	if _, pending, err := r.queued(); err != nil {
		return 0, err
	} else if pending != count {
		return 0, fmt.Errorf("prepared %d due step tasks, want %d", pending, count)
	}
	return count, nil
}

// sendDue starts a worker and returns once count more interventions have
// reached a final state.
func (r *run) sendDue(ctx context.Context, count int) error {
	final0, _, err := outcomes()
	if err != nil {
		return err
	}
	node, err := r.start(ctx, false, true)
	if err != nil {
		return err
	}
	defer node.Stop()
	return waitFor(ctx, timeout(count), 10*time.Millisecond, func() (bool, error) {
		final, _, err := outcomes()
		return final-final0 >= float64(count), err
	})
}

// lag posts events whose steps come due at a steady rate, spread evenly
// over the window, each posted a little before it is due, and measures
// from each due time to the moment the step was sent.
func (r *run) lag(ctx context.Context) error {
	if err := r.flush(ctx); err != nil {
		return err
	}
	node, err := r.start(ctx, true, true)
	if err != nil {
		return err
	}
	defer node.Stop()
	const (
		lead = 2 * time.Second
		slot = 100 * time.Millisecond
	)
	slots := int(r.o.LagWindow / slot)
	perSlot := max(1, int(math.Round(float64(r.o.LagRate)*slot.Seconds()/stepsPerRun)))
	runs := slots * perSlot
	p := newPoster(node.URL, 4)
	final0, _, err := outcomes()
	if err != nil {
		return err
	}
	begin := time.Now().Add(lead)
	var customers []string
	for s := range slots {
		at := begin.Add(time.Duration(s) * slot)
		evs := make([]*flows.Event, perSlot)
		for j := range evs {
			due := at.Add(time.Duration(j) * slot / time.Duration(perSlot))
			evs[j] = event("lag", s*perSlot+j, due.Add(-After))
			customers = append(customers, evs[j].CustomerID)
		}
		body, err := json.Marshal(evs)
		if err != nil {
			return err
		}
		if d := time.Until(at.Add(-lead)); d > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(d):
			}
		}
		if err := p.post(ctx, body, perSlot); err != nil {
			return err
		}
	}
	count := runs * stepsPerRun
	err = waitFor(ctx, lead+time.Minute, 50*time.Millisecond, func() (bool, error) {
		final, _, err := outcomes()
		return final-final0 >= float64(count), err
	})
	if err != nil {
		return err
	}
	st := store.New(r.admin)
	var lags []float64
	for _, cus := range customers {
		entries, err := st.Timeline(ctx, cus, 50)
		if err != nil {
			return err
		}
		for _, e := range entries {
			if e.Kind == store.KindIntervention && e.State == store.Sent && e.Due != nil {
				lags = append(lags, float64(e.At.Sub(*e.Due))/float64(time.Millisecond))
			}
		}
	}
	if len(lags) != count {
		return fmt.Errorf("found %d sent interventions in the journals, want %d", len(lags), count)
	}
	slices.Sort(lags)
	r.res.add("lag", "rate_per_sec", float64(count)/r.o.LagWindow.Seconds(), 1)
	r.res.add("lag", "count", float64(count), 0)
	early := 0
	for _, l := range lags {
		if l < 0 {
			early++
		}
	}
	r.res.add("lag", "early_pct", 100*float64(early)/float64(len(lags)), 1)
	r.res.add("lag", "min_ms", lags[0], 1)
	r.res.add("lag", "p50_ms", percentile(lags, 0.50), 1)
	r.res.add("lag", "p99_ms", percentile(lags, 0.99), 1)
	r.res.add("lag", "max_ms", lags[len(lags)-1], 1)
	return nil
}

// percentile returns the q-quantile of sorted values (nearest rank).
func percentile(sorted []float64, q float64) float64 {
	if len(sorted) == 0 {
		return math.NaN()
	}
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

// preload schedules Preload interventions, due tomorrow, through the API,
// and records how much memory each takes at scale.
func (r *run) preload(ctx context.Context) error {
	if err := r.flush(ctx); err != nil {
		return err
	}
	runs := (r.o.Preload + 1) / stepsPerRun
	mem0, err := usedMemory(ctx, r.admin)
	if err != nil {
		return err
	}
	now := time.Now()
	start := time.Now()
	if err := r.prepare(ctx, runs, false, func(i int) *flows.Event { return event("pre", i, now) }); err != nil {
		return err
	}
	elapsed := time.Since(start)
	mem1, err := usedMemory(ctx, r.admin)
	if err != nil {
		return err
	}
	scheduled, _, err := r.queued()
	if err != nil {
		return err
	}
	if want := runs * stepsPerRun; scheduled != want {
		return fmt.Errorf("preloaded %d scheduled step tasks, want %d", scheduled, want)
	}
	r.res.add("preload", "interventions", float64(scheduled), 0)
	r.res.add("preload", "per_sec", float64(scheduled)/elapsed.Seconds(), 1)
	r.res.add("preload", "bytes_per_intervention", float64(mem1-mem0)/float64(scheduled), 0)
	return nil
}
