package e2e

import (
	"bufio"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aheadhq/ahead/flows"
	"github.com/aheadhq/ahead/internal/smtptest"
	"github.com/aheadhq/ahead/internal/store"
)

// sentCount reads a worker's /metrics: the interventions it recorded as
// sent over email.
func sentCount(t *testing.T, p *proc) int {
	t.Helper()
	resp, err := http.Get(p.url() + "/metrics")
	if err != nil {
		t.Fatalf("metrics of %s: %v", p.name, err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "ahead_interventions_total{") &&
			strings.Contains(line, `channel="email"`) && strings.Contains(line, `state="sent"`) {
			f := strings.Fields(line)
			v, err := strconv.ParseFloat(f[len(f)-1], 64)
			if err != nil {
				t.Fatalf("metrics of %s: %q: %v", p.name, line, err)
			}
			return int(v)
		}
	}
	return 0
}

// Three worker processes share one Redis and 5,000 due interventions; the
// SMTP server receives each exactly once.
func TestThreeWorkersSendEachOnce(t *testing.T) {
	const runs = 2500 // two steps each: 5,000 interventions
	url, rdb := redisURL(t)
	s := setup{redisURL: url, smtp: smtptest.Start(t), concurrency: 8, shards: 4}
	api := s.start(t, "api", "api")
	var workers []*proc
	for i := range 3 {
		workers = append(workers, s.start(t, fmt.Sprintf("worker %d", i+1), "worker"))
	}

	now := time.Now()
	evs := make([]*flows.Event, runs)
	for i := range evs {
		cus := fmt.Sprintf("cus_w%05d", i)
		evs[i] = event("order.shipped", cus, "evt_"+cus, now)
	}
	post(t, api, evs)
	ivs := interventions(evs, "shipped", "notice", "details")

	s.smtp.WaitFor(t, len(ivs), 5*time.Minute)
	got := waitFinal(t, store.New(rdb), ivs, 2*time.Minute)
	// Give a stray second copy the time to arrive before counting.
	time.Sleep(2 * time.Second)

	counts := received(t, s.smtp.Messages())
	want := map[string]bool{}
	for _, p := range ivs {
		want[p.id] = true
		if n := counts[p.id]; n != 1 {
			t.Errorf("intervention %s of %s received %d times, want once", p.id, p.customer, n)
		}
		if iv := got[p.id]; iv.State != store.Sent || iv.Channel != "email" {
			t.Errorf("intervention %s is %s on %q, want sent on email", p.id, iv.State, iv.Channel)
		}
	}
	for id, n := range counts {
		if !want[id] {
			t.Errorf("received %d messages for unknown intervention %q", n, id)
		}
	}
	total := 0
	for _, w := range workers {
		n := sentCount(t, w)
		t.Logf("%s sent %d", w.name, n)
		if n == 0 {
			t.Errorf("%s sent nothing: the work did not spread over the workers", w.name)
		}
		total += n
	}
	if total != len(ivs) {
		t.Errorf("the workers recorded %d sends, want %d", total, len(ivs))
	}
}
