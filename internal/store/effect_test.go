package store_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/aheadhq/ahead/internal/redistest"
	"github.com/aheadhq/ahead/internal/store"
)

// entrantOf is a run of flow "welcome" for cus in arm, with a 14-day goal
// window from t0.
func entrantOf(cus, run, arm string) store.Entrant {
	return store.Entrant{
		Customer: cus, Run: run, Flow: "welcome", Version: "v1", Arm: arm, Event: "evt_" + run,
		Period: store.Period{ID: "p1", Holdout: 0.1, Salt: "welcome", Goal: "event contact.inbound, within 14d", Since: t0},
		Start:  t0, End: t0.Add(14 * 24 * time.Hour),
	}
}

// countsOf sums a period's counters per arm: n, hits, sum, sum of squares.
func countsOf(t *testing.T, st *store.Store, flow, period string) map[string][4]int64 {
	t.Helper()
	rows, err := st.EffectCounts(context.Background(), flow, period)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][4]int64{}
	for _, r := range rows {
		c := out[r.Arm]
		out[r.Arm] = [4]int64{c[0] + r.N, c[1] + r.Hits, c[2] + r.Sum, c[3] + r.SumSq}
	}
	return out
}

// effectRoundTrip enters runs, counts goal events for them (each once),
// erases a customer and checks what is left: the customer's marks go, the
// flow's counters stay.
func effectRoundTrip(t *testing.T, rdb redis.UniversalClient) {
	st := store.New(rdb)
	ctx := context.Background()
	es := []store.Entrant{
		entrantOf("cus_a", "run_a", "treatment"),
		entrantOf("cus_b", "run_b", "control"),
		entrantOf("cus_c", "run_c", "treatment"),
	}
	added, err := st.AddEntrants(ctx, es, t0)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(added, []bool{true, true, true}) {
		t.Fatalf("AddEntrants = %v", added)
	}
	// Routed again: nothing new.
	if added, err := st.AddEntrants(ctx, es[:2], t0); err != nil || slices.Contains(added, true) {
		t.Fatalf("AddEntrants again = %v, %v", added, err)
	}
	wins, err := st.GoalWindows(ctx, []string{"cus_a", "cus_b", "cus_a", "cus_x"})
	if err != nil {
		t.Fatal(err)
	}
	if len(wins["cus_a"]) != 1 || len(wins["cus_b"]) != 1 || len(wins["cus_x"]) != 0 {
		t.Fatalf("GoalWindows = %v", wins)
	}
	a, b := wins["cus_a"][0], wins["cus_b"][0]
	if a.Run != "run_a" || a.Arm != "treatment" || a.Period != "p1" || !a.End.Equal(t0.Add(14*24*time.Hour)) || a.Event != "evt_run_a" {
		t.Errorf("window of cus_a = %+v", a)
	}
	hit := func(w *store.GoalWindow, ev string) store.GoalHit {
		return store.GoalHit{Window: w, Event: ev, Entry: store.Entry{At: t0, Kind: "goal", State: "counted", EventID: ev, Run: w.Run}}
	}
	// cus_a: three contacts, one of them handled twice; cus_b: one.
	counts, err := st.CountGoals(ctx, []store.GoalHit{hit(a, "e1"), hit(a, "e2"), hit(b, "e9"), hit(a, "e2"), hit(a, "e3")})
	if err != nil {
		t.Fatal(err)
	}
	if want := []int{1, 2, 1, 0, 3}; !slices.Equal(counts, want) {
		t.Errorf("CountGoals = %v, want %v", counts, want)
	}
	got := countsOf(t, st, "welcome", "p1")
	// treatment: 2 entrants, 1 reached the goal, 3 contacts, 3² = 9.
	if want := map[string][4]int64{"treatment": {2, 1, 3, 9}, "control": {1, 1, 1, 1}}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("counters = %v, want %v", got, want)
	}
	wins, _ = st.GoalWindows(ctx, []string{"cus_a"})
	if wins["cus_a"][0].Count != 3 {
		t.Errorf("count of run_a = %d, want 3", wins["cus_a"][0].Count)
	}
	journal, err := st.Timeline(ctx, "cus_a", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(journal) != 3 || journal[0].EventID != "e3" {
		t.Errorf("journal of cus_a = %+v, want the three goal events counted", journal)
	}
	periods, err := st.Periods(ctx, "welcome")
	if err != nil || len(periods) != 1 || periods[0].ID != "p1" || periods[0].Holdout != 0.1 || !periods[0].Since.Equal(t0) {
		t.Errorf("Periods = %+v, %v", periods, err)
	}

	// Erasure takes the customer's marks and leaves the counters.
	if err := st.Erase(ctx, "cus_a"); err != nil {
		t.Fatal(err)
	}
	wins, _ = st.GoalWindows(ctx, []string{"cus_a"})
	if len(wins["cus_a"]) != 0 {
		t.Errorf("erased customer still has goal windows: %v", wins)
	}
	if again, _ := st.CountGoals(ctx, []store.GoalHit{hit(a, "e4")}); again[0] != 0 {
		t.Error("a goal event counted for an erased customer's run")
	}
	if after := countsOf(t, st, "welcome", "p1"); fmt.Sprint(after) != fmt.Sprint(got) {
		t.Errorf("counters after erasure = %v, want %v", after, got)
	}
	for _, k := range keysOf(t, rdb) {
		if strings.Contains(k, "cus_a") {
			t.Errorf("key %s of the erased customer is left", k)
		}
	}
}

// keysOf lists every key, on every master of a cluster.
func keysOf(t *testing.T, rdb redis.UniversalClient) []string {
	t.Helper()
	ctx := context.Background()
	var (
		mu   sync.Mutex // ForEachMaster scans the masters at once
		keys []string
	)
	scan := func(ctx context.Context, c *redis.Client) error {
		ks, err := c.Keys(ctx, "*").Result()
		mu.Lock()
		defer mu.Unlock()
		keys = append(keys, ks...)
		return err
	}
	var err error
	if cc, ok := rdb.(*redis.ClusterClient); ok {
		err = cc.ForEachMaster(ctx, scan)
	} else {
		err = scan(ctx, rdb.(*redis.Client))
	}
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

func TestEffectCounters(t *testing.T) {
	t.Parallel()
	_, rdb := setup(t)
	effectRoundTrip(t, rdb)
}

// The same on a Redis Cluster: every script stays in one slot.
func TestEffectCountersCluster(t *testing.T) {
	effectRoundTrip(t, redistest.Cluster(t))
}

// Counters are kept per day on which windows close: a window closing at
// 09:00 belongs to the day that ends at the next midnight.
func TestEffectCountersByDay(t *testing.T) {
	t.Parallel()
	st, _ := setup(t)
	ctx := context.Background()
	short := entrantOf("cus_a", "run_a", "treatment")
	short.End = t0.Add(24 * time.Hour) // 24 Nov 09:00
	midnight := entrantOf("cus_b", "run_b", "control")
	midnight.End = time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)
	if _, err := st.AddEntrants(ctx, []store.Entrant{short, midnight}, t0); err != nil {
		t.Fatal(err)
	}
	rows, err := st.EffectCounts(ctx, "welcome", "p1")
	if err != nil {
		t.Fatal(err)
	}
	want := []store.EffectCount{
		{Closes: time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC), Arm: "control", N: 1},
		{Closes: time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC), Arm: "treatment", N: 1},
	}
	if fmt.Sprint(rows) != fmt.Sprint(want) {
		t.Errorf("EffectCounts = %+v, want %+v", rows, want)
	}
	w := &store.GoalWindow{End: short.End}
	if w.Expired(time.Date(2026, 11, 25, 23, 0, 0, 0, time.UTC)) || !w.Expired(time.Date(2026, 11, 26, 0, 1, 0, 0, time.UTC)) {
		t.Error("a mark expires one day after the day its window closes")
	}
	wins, _ := st.GoalWindows(ctx, []string{"cus_a"})
	if err := st.ForgetGoalWindows(ctx, wins["cus_a"]); err != nil {
		t.Fatal(err)
	}
	if wins, _ := st.GoalWindows(ctx, []string{"cus_a"}); len(wins["cus_a"]) != 0 {
		t.Errorf("forgotten windows are still there: %v", wins)
	}
	if got := countsOf(t, st, "welcome", "p1"); got["treatment"][0] != 1 {
		t.Errorf("forgetting a window changed the counters: %v", got)
	}
}
