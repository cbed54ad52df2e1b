package tasks

import (
	"fmt"
	"testing"
	"time"

	"github.com/aheadhq/ahead/channels"
	"github.com/aheadhq/ahead/engine"
	"github.com/aheadhq/ahead/flows"
	"github.com/aheadhq/ahead/internal/metrics"
	"github.com/aheadhq/ahead/internal/store"
)

// setupEffect is setup serving testdata/effect: flows with a 50% holdout
// and a contact.inbound goal.
func setupEffect(t *testing.T) *bundle {
	t.Helper()
	b := setup(t)
	cat, err := engine.Load("testdata/effect")
	if err != nil {
		t.Fatalf("load flows: %v", err)
	}
	b.w.SetCatalog(cat)
	return b
}

// customersIn returns n customer ids that flow puts in arm, with prefix.
func (b *bundle) customersIn(t *testing.T, flow, arm, prefix string, n int) []string {
	t.Helper()
	f := b.w.Catalog().Flows.Get(flow)
	var out []string
	for i := 0; len(out) < n; i++ {
		if cus := fmt.Sprintf("%s_%d", prefix, i); f.Arm(cus) == arm {
			out = append(out, cus)
		}
	}
	return out
}

// arms returns n customers of each arm of flow, and all of them,
// treatment first.
func (b *bundle) arms(t *testing.T, flow, prefix string, n int) (treat, ctrl, all []string) {
	t.Helper()
	treat = b.customersIn(t, flow, flows.ArmTreatment, prefix, n)
	ctrl = b.customersIn(t, flow, flows.ArmControl, prefix, n)
	return treat, ctrl, append(append([]string{}, treat...), ctrl...)
}

// goalReached reads ahead_goal_reached_total{flow,arm}.
func goalReached(t *testing.T, flow, arm string) float64 {
	t.Helper()
	fams, err := metrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		if f.GetName() != "ahead_goal_reached_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["flow"] == flow && labels["arm"] == arm {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}

// person is a customer with a phone number of their own.
func person(i int) *flows.Customer {
	return &flows.Customer{Name: "Anna", Phone: fmt.Sprintf("+316%08d", i), Timezone: "Europe/Amsterdam"}
}

// ingest posts events as the API does.
func (b *bundle) ingest(t *testing.T, evs ...*flows.Event) {
	t.Helper()
	if _, _, err := b.w.Ingest(b.ctx, evs); err != nil {
		t.Fatalf("ingest: %v", err)
	}
}

// inbound is a contact.inbound event for cus about subject at.
func inbound(id, cus, subject string, at time.Time, data map[string]any) *flows.Event {
	return &flows.Event{ID: id, Type: "contact.inbound", CustomerID: cus, Subject: subject, OccurredAt: at, Data: data}
}

// A control run plans its step as a treatment run does; at the due time
// the step ends held_out on the channel it would have used, and nothing is
// sent.
func TestHoldoutHeldOutAtDueTime(t *testing.T) {
	t.Parallel()
	b := setupEffect(t)
	treat := b.customersIn(t, "welcome-measured", flows.ArmTreatment, "cus", 1)[0]
	ctrl := b.customersIn(t, "welcome-measured", flows.ArmControl, "cus", 1)[0]
	ids := map[string]string{}
	for i, cus := range []string{treat, ctrl} {
		b.route(t, subscriber("evt_"+cus, cus, "sub_1", person(i)))
		ids[cus] = engine.InterventionID(cus, "evt_"+cus, "welcome-measured", "reassurance")
	}
	ti, ci := b.iv(t, treat, ids[treat]), b.iv(t, ctrl, ids[ctrl])
	if ti.Arm != "" || ci.Arm != flows.ArmControl || ci.State != store.Scheduled || !ci.Due.Equal(ti.Due) {
		t.Fatalf("planned: treatment arm %q due %s, control arm %q %s due %s", ti.Arm, ti.Due, ci.Arm, ci.State, ci.Due)
	}
	if es := b.entries(t, ctrl, ids[ctrl], store.Scheduled); len(es) != 1 || es[0].Details["arm"] != flows.ArmControl {
		t.Errorf("scheduled entry of the control run: %+v", es)
	}
	if tasks := b.tasks(t); tasks[ids[ctrl]] == nil || tasks[ids[treat]] == nil {
		t.Errorf("step tasks: %v, want one per run", tasks)
	}
	b.clock.Set(ci.Due)
	for _, cus := range []string{treat, ctrl} {
		if err := b.step(cus, ids[cus]); err != nil {
			t.Fatalf("step of %s: %v", cus, err)
		}
	}
	if msgs := b.sms.messages(); len(msgs) != 1 || msgs[0].CustomerID != treat {
		t.Fatalf("sent %d messages, want one, to the treatment customer", len(msgs))
	}
	ci = b.iv(t, ctrl, ids[ctrl])
	if ci.State != store.HeldOut {
		t.Fatalf("control intervention %s (%s), want held_out", ci.State, ci.Reason)
	}
	es := b.entries(t, ctrl, ids[ctrl], store.HeldOut)
	if len(es) != 1 || es[0].Channel != channels.SMS || es[0].Cause != "holdout" || !es[0].At.Equal(ci.Due) || es[0].Details["holdout"] != "50%" {
		t.Errorf("held_out entry %+v, want one at the due time on sms with cause holdout", es)
	}
	if pending, _ := b.store.PendingOf(b.ctx, ctrl); len(pending) != 0 {
		t.Errorf("held-out step still pending: %v", pending)
	}
	// A retry of the task changes nothing.
	if err := b.step(ctrl, ids[ctrl]); err != nil || len(b.sms.messages()) != 1 || len(b.entries(t, ctrl, ids[ctrl], store.HeldOut)) != 1 {
		t.Errorf("step again: %v, %d messages", err, len(b.sms.messages()))
	}
}

// Cancellations apply to control runs as they do to treatment runs.
func TestHoldoutCancelStillApplies(t *testing.T) {
	t.Parallel()
	b := setupEffect(t)
	ctrl := b.customersIn(t, "welcome-measured", flows.ArmControl, "cus", 1)[0]
	b.route(t, subscriber("evt_1", ctrl, "sub_1", person(1)))
	id := engine.InterventionID(ctrl, "evt_1", "welcome-measured", "reassurance")
	b.clock.Advance(time.Hour)
	b.route(t, &flows.Event{ID: "evt_2", Type: "subscription.cancelled", CustomerID: ctrl, Subject: "sub_1"})
	b.clock.Advance(2 * 24 * time.Hour)
	if err := b.step(ctrl, id); err != nil {
		t.Fatal(err)
	}
	if iv := b.iv(t, ctrl, id); iv.State != store.Cancelled {
		t.Errorf("control step after a cancel: %s, want cancelled", iv.State)
	}
	if es := b.entries(t, ctrl, id, store.HeldOut); len(es) != 0 {
		t.Errorf("a cancelled step was journaled held_out: %+v", es)
	}
}

// Goal events count per run: for the same customer and subject, inside
// the window, once each; inbound messages and callback requests count when
// the goal includes them. The report compares the arms over closed
// windows, and erasing a customer keeps the counts.
func TestGoalsCountedAndReported(t *testing.T) {
	t.Parallel()
	b := setupEffect(t)
	treat, ctrl, all := b.arms(t, "welcome-measured", "cus", 4)
	reached := func(arm string) float64 { return goalReached(t, "welcome-measured", arm) }
	reachedT, reachedC := reached(flows.ArmTreatment), reached(flows.ArmControl)
	var triggers []*flows.Event
	for i, cus := range all {
		ev := subscriber("evt_"+cus, cus, "sub_1", person(i))
		ev.OccurredAt = start
		triggers = append(triggers, ev)
	}
	b.ingest(t, triggers...)
	rep, err := b.w.Report(b.ctx, "welcome-measured", engine.ReportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Open.Treat.N != 4 || rep.Open.Control.N != 4 || rep.Closed.Treat.N+rep.Closed.Control.N != 0 {
		t.Fatalf("before the windows close: open %d/%d, closed %d/%d", rep.Open.Treat.N, rep.Open.Control.N, rep.Closed.Treat.N, rep.Closed.Control.N)
	}
	day := 24 * time.Hour
	b.clock.Advance(3 * day)
	b.ingest(t,
		inbound("in_t0", treat[0], "sub_1", start.Add(day), nil),
		inbound("in_t0b", treat[0], "sub_1", start.Add(2*day), nil), // a second contact: still one entrant
		inbound("in_t1", treat[1], "sub_2", start.Add(day), nil),    // another subject: not this run's goal
		inbound("in_c0", ctrl[0], "", start.Add(day), nil),          // no subject: not about sub_1
		inbound("in_c1", ctrl[1], "sub_1", start.Add(day), nil),
		inbound("in_c2", ctrl[2], "sub_1", start.Add(-day), nil),   // before the trigger
		inbound("in_c3", ctrl[3], "sub_1", start.Add(15*day), nil), // after the window
	)
	// An SMS from treat[2] and a callback request of ctrl[2] count: the
	// goal includes them.
	if n, err := b.w.Receive(b.ctx, engine.Inbound{From: person(2).Phone, Channel: channels.SMS, ProviderID: "SM1"}); err != nil || n != 1 {
		t.Fatalf("receive: %d customers, %v", n, err)
	}
	if _, err := b.w.Receive(b.ctx, engine.Inbound{From: person(2).Phone, Channel: channels.SMS, ProviderID: "SM1"}); err != nil {
		t.Fatal(err) // the provider's retry: counted once
	}
	if _, err := b.w.Receive(b.ctx, engine.Inbound{From: person(3).Phone, Channel: channels.SMS, ProviderID: "SM2", OptOut: true}); err != nil {
		t.Fatal(err) // STOP is not a contact
	}
	if err := b.w.Contacted(b.ctx, ctrl[2], flows.SourceCallbackRequested, "cb_1-1", b.clock.Now()); err != nil {
		t.Fatal(err)
	}
	b.clock.Advance(15 * day)
	rep, err = b.w.Report(b.ctx, "welcome-measured", engine.ReportOptions{Effect: 0.05})
	if err != nil {
		t.Fatal(err)
	}
	c := rep.Closed
	t.Logf("%s\n%s", c.Summary, c.AlwaysValid)
	if c.Treat.N != 4 || c.Treat.Hits != 2 || c.Control.N != 4 || c.Control.Hits != 2 || rep.Open.Treat.N+rep.Open.Control.N != 0 {
		t.Fatalf("closed: treatment %d/%d, control %d/%d; open %d; want 2 of 4 in each arm",
			c.Treat.Hits, c.Treat.N, c.Control.Hits, c.Control.N, rep.Open.Treat.N+rep.Open.Control.N)
	}
	if c.Diff == nil || c.Diff.Est != 0 || c.SRM == nil || c.MDE == nil || c.ContactsAvoided == nil || c.Summary == "" || c.AlwaysValid == "" {
		t.Errorf("closed part: %+v", c)
	}
	f := b.w.Catalog().Flows.Get("welcome-measured")
	if rep.Period.ID != f.Period() || !rep.Period.Current || rep.Holdout != 0.5 || rep.Unit != "inbound contacts" || len(rep.Earlier) != 0 {
		t.Errorf("report period %+v, holdout %v, unit %q, earlier %v", rep.Period, rep.Holdout, rep.Unit, rep.Earlier)
	}
	if dt, dc := reached(flows.ArmTreatment)-reachedT, reached(flows.ArmControl)-reachedC; dt != 2 || dc != 2 {
		t.Errorf("ahead_goal_reached_total rose by %v (treatment) and %v (control), want 2 and 2", dt, dc)
	}
	var counted []store.Entry
	for _, e := range b.journal(t, treat[0]) {
		if e.Kind == store.KindGoal {
			counted = append(counted, e)
		}
	}
	if len(counted) != 2 || counted[0].EventID != "in_t0" || counted[0].Flow != "welcome-measured" {
		t.Errorf("goal entries of %s: %+v", treat[0], counted)
	}

	// Erasure removes the customer's marks, not the anonymous counts.
	if err := b.w.Erase(b.ctx, treat[0]); err != nil {
		t.Fatal(err)
	}
	again, err := b.w.Report(b.ctx, "welcome-measured", engine.ReportOptions{Effect: 0.05})
	if err != nil {
		t.Fatal(err)
	}
	if a := again.Closed; a.Treat.N != c.Treat.N || a.Treat.Hits != c.Treat.Hits || a.Control.N != c.Control.N || a.Control.Hits != c.Control.Hits {
		t.Errorf("after erasure: %+v / %+v, want %+v / %+v", a.Treat, a.Control, c.Treat, c.Control)
	}
	if wins, _ := b.store.GoalWindows(b.ctx, []string{treat[0]}); len(wins[treat[0]]) != 0 {
		t.Errorf("erased customer keeps goal windows: %v", wins)
	}
}

// A count goal sums the contacts of each entrant; goal.if decides which
// events count.
func TestCountGoal(t *testing.T) {
	t.Parallel()
	b := setupEffect(t)
	treat, ctrl, all := b.arms(t, "invoice-measured", "inv", 3)
	var evs []*flows.Event
	for i, cus := range all {
		evs = append(evs, &flows.Event{ID: "inv_" + cus, Type: "invoice.created", CustomerID: cus, OccurredAt: start, Customer: person(i)})
	}
	b.ingest(t, evs...)
	invoice := map[string]any{"reason": "invoice"}
	var goals []*flows.Event
	add := func(cus string, n int, data map[string]any) {
		for i := range n {
			goals = append(goals, inbound(fmt.Sprintf("q_%s_%d_%v", cus, i, data["reason"]), cus, "", start.Add(time.Duration(i+1)*time.Hour), data))
		}
	}
	add(treat[0], 2, invoice)
	add(treat[1], 1, map[string]any{"reason": "move"}) // goal.if is false
	add(ctrl[0], 3, invoice)
	add(ctrl[1], 1, invoice)
	b.clock.Advance(time.Hour)
	b.ingest(t, goals...)
	b.clock.Advance(9 * 24 * time.Hour)
	rep, err := b.w.Report(b.ctx, "invoice-measured", engine.ReportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	c := rep.Closed
	t.Logf("%s\n%s", c.Summary, c.AlwaysValid)
	if !rep.Count || c.Count == nil {
		t.Fatalf("count goal without a count comparison: %+v", rep)
	}
	if c.Treat.Hits != 1 || c.Control.Hits != 2 || fmt.Sprintf("%.4f %.4f", c.Count.Treat, c.Count.Control) != "0.6667 1.3333" {
		t.Errorf("hits %d/%d, means %.4f/%.4f; want 1/2, 2/3 and 4/3", c.Treat.Hits, c.Control.Hits, c.Count.Treat, c.Count.Control)
	}
	rows, err := b.store.EffectCounts(b.ctx, "invoice-measured", rep.Period.ID)
	if err != nil {
		t.Fatal(err)
	}
	sums := map[string][2]int64{}
	for _, r := range rows {
		s := sums[r.Arm]
		sums[r.Arm] = [2]int64{s[0] + r.Sum, s[1] + r.SumSq}
	}
	if sums[flows.ArmTreatment] != [2]int64{2, 4} || sums[flows.ArmControl] != [2]int64{4, 10} {
		t.Errorf("sums and sums of squares: %v, want treatment 2, 4 and control 4, 10", sums)
	}
	// −(2/3 − 4/3) × 3 treatment entrants = 2 contacts avoided.
	if a := c.ContactsAvoided; a == nil || fmt.Sprintf("%.3f", a.Est) != "2.000" {
		t.Errorf("contacts avoided %+v, want 2", a)
	}
}

// A new holdout share starts a new report period; the report shows the
// current one and lists the earlier.
func TestReportPeriods(t *testing.T) {
	t.Parallel()
	b := setupEffect(t)
	cus := b.customersIn(t, "welcome-measured", flows.ArmTreatment, "cus", 1)[0]
	b.ingest(t, subscriber("evt_1", cus, "", person(1)))
	first := b.w.Catalog().Flows.Get("welcome-measured").Period()
	src := `flow: welcome-measured
trigger: { event: subscription.created }
holdout: 20%
goal: { event: contact.inbound, within: 14d }
steps:
  - { id: reassurance, after: 2d, channel: sms, template: reassurance }
`
	cat, err := engine.Load("testdata/effect")
	if err != nil {
		t.Fatal(err)
	}
	set, err := flows.Parse("welcome.yaml", []byte(src), nil)
	if err != nil {
		t.Fatal(err)
	}
	cat.Flows = set
	b.w.SetCatalog(cat)
	b.ingest(t, subscriber("evt_2", "cus_other", "", person(2)))
	rep, err := b.w.Report(b.ctx, "welcome-measured", engine.ReportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Period.ID == first || rep.Holdout != 0.2 || rep.Open.Treat.N+rep.Open.Control.N != 1 {
		t.Errorf("current period %+v holdout %v entrants %d", rep.Period, rep.Holdout, rep.Open.Treat.N+rep.Open.Control.N)
	}
	if len(rep.Earlier) != 1 || rep.Earlier[0].ID != first || rep.Earlier[0].Holdout != 0.5 || rep.Earlier[0].Current {
		t.Fatalf("earlier periods %+v", rep.Earlier)
	}
	old, err := b.w.Report(b.ctx, "welcome-measured", engine.ReportOptions{Period: first})
	if err != nil || old.Period.ID != first || old.Holdout != 0.5 || old.Open.Treat.N != 1 {
		t.Errorf("the earlier period: %+v, %v", old, err)
	}
	if _, err := b.w.Report(b.ctx, "welcome-measured", engine.ReportOptions{Period: "nope"}); err == nil {
		t.Error("an unknown period: no error")
	}
	if _, err := b.w.Report(b.ctx, "nope", engine.ReportOptions{}); err == nil {
		t.Error("an unknown flow: no error")
	}
}
