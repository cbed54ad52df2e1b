package engine

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/aheadhq/ahead/flows"
	"github.com/aheadhq/ahead/stats"
)

// ReportOptions choose what Report shows.
type ReportOptions struct {
	// Period is the report period to show; "" is the flow's current one.
	Period string
	// Effect is the absolute difference in goal rate the flow should be
	// able to detect, such as 0.02; the report then says how many more
	// entrants that takes. 0 leaves it out.
	Effect float64
}

// Report is a flow's measured effect: its treatment group (the customers
// it contacts) against its holdout (the control group it leaves alone),
// over the runs of one report period. Closed holds the runs whose goal
// window has closed, the ones to judge the flow by; Open the runs whose
// window is still open, whose goal counts may still grow.
type Report struct {
	Flow        string `json:"flow"`
	Description string `json:"description,omitempty"`
	// Goal is the goal of the period shown, in words; "none" without one.
	Goal string `json:"goal"`
	// Count is set for a count goal: contacts per entrant are compared,
	// not only the share of entrants with any.
	Count bool `json:"count"`
	// Unit names what the goal counts, as the summaries say it.
	Unit string `json:"unit"`
	// Holdout is the configured control share of the period shown.
	Holdout float64 `json:"holdout"`
	// Period is the period shown; Earlier the flow's other periods.
	Period  ReportPeriod   `json:"period"`
	Earlier []ReportPeriod `json:"earlier_periods"`
	AsOf    time.Time      `json:"as_of"`
	// Effect is ReportOptions.Effect.
	Effect float64    `json:"effect,omitempty"`
	Closed ReportPart `json:"closed"`
	Open   ReportPart `json:"open"`
}

// ReportPeriod is a report period: a stretch of a flow's runs with one
// holdout share, salt and goal. Changing any of them starts a new one.
type ReportPeriod struct {
	ID      string     `json:"id"`
	Current bool       `json:"current"`
	Holdout float64    `json:"holdout"`
	Salt    string     `json:"salt"`
	Goal    string     `json:"goal"`
	Since   *time.Time `json:"since,omitempty"` // first entrant; nil before any
}

// ReportPart compares the arms over one set of runs. The statistics are
// those of stats.Compare, inline: treat and control (entrants, hits,
// rate), diff (Newcombe), rel, avoided_per_1000, seq (always-valid) with
// verdict, count (count goals), srm, mde and needed.
type ReportPart struct {
	stats.Result
	// ContactsAvoided is the goal events the flow avoided in total over its
	// treatment group: avoided per entrant times treatment entrants, with
	// its interval.
	ContactsAvoided *stats.Interval `json:"contacts_avoided"`
	// WindowsCloseBy is, for open runs, the day by which all their goal
	// windows have closed.
	WindowsCloseBy *time.Time `json:"windows_close_by,omitempty"`
	// Summary is the verdict in words from the fixed 95% interval, valid
	// when the report is read once, at a size chosen in advance.
	Summary string `json:"summary"`
	// AlwaysValid is the verdict in words from the always-valid interval,
	// valid however often the report is read.
	AlwaysValid string `json:"always_valid_summary"`
}

// Report returns the measured effect of flow name (see Report); it is
// ErrNotFound when no such flow is loaded or the period is unknown.
func (w *Engine) Report(ctx context.Context, name string, o ReportOptions) (*Report, error) {
	f := w.Catalog().Flows.Get(name)
	if f == nil {
		return nil, fmt.Errorf("flow %q: %w", name, ErrNotFound)
	}
	periods, err := w.o.Store.Periods(ctx, name)
	if err != nil {
		return nil, err
	}
	cur := f.Period()
	r := &Report{
		Flow: f.Name, Description: f.Description, AsOf: w.o.Clock.Now().UTC(), Effect: o.Effect,
		Earlier: []ReportPeriod{},
	}
	want := o.Period
	if want == "" {
		want = cur
	}
	found := false
	for _, p := range periods {
		rp := ReportPeriod{ID: p.ID, Current: p.ID == cur, Holdout: p.Holdout, Salt: p.Salt, Goal: p.Goal}
		if !p.Since.IsZero() {
			since := p.Since
			rp.Since = &since
		}
		if rp.Goal == "" {
			rp.Goal = "none"
		}
		if p.ID == want {
			r.Period, found = rp, true
		} else {
			r.Earlier = append(r.Earlier, rp)
		}
	}
	if !found {
		if want != cur {
			return nil, fmt.Errorf("flow %s: report period %q: %w", name, want, ErrNotFound)
		}
		r.Period = ReportPeriod{ID: cur, Current: true, Holdout: f.Holdout.Share(), Salt: f.HoldoutSalt(), Goal: f.Goal.Spec()}
	}
	slices.Reverse(r.Earlier) // newest first
	r.Holdout, r.Goal = r.Period.Holdout, r.Period.Goal
	// The goal in words is the same for the same period (Goal.Spec).
	r.Count = strings.HasSuffix(r.Goal, ", counted")
	r.Unit = goalUnit(r.Goal)
	rows, err := w.o.Store.EffectCounts(ctx, name, r.Period.ID)
	if err != nil {
		return nil, err
	}
	var closed, open [2]stats.Arm // treatment, control
	for _, row := range rows {
		side := &closed
		if row.Closes.After(r.AsOf) {
			side = &open
			if r.Open.WindowsCloseBy == nil || row.Closes.After(*r.Open.WindowsCloseBy) {
				t := row.Closes
				r.Open.WindowsCloseBy = &t
			}
		}
		a := &side[0]
		if row.Arm == flows.ArmControl {
			a = &side[1]
		}
		a.N += int(row.N)
		a.Hits += int(row.Hits)
		if r.Count {
			a.Sum += float64(row.Sum)
			a.SumSq += float64(row.SumSq)
		}
	}
	opts := stats.Opts{Share: r.Holdout, Effect: o.Effect}
	r.Closed = r.part(closed, opts, "closed")
	until := r.Open.WindowsCloseBy
	r.Open = r.part(open, opts, "open")
	r.Open.WindowsCloseBy = until
	return r, nil
}

// part compares the arms of one set of runs and words the verdicts.
func (r *Report) part(arms [2]stats.Arm, o stats.Opts, which string) ReportPart {
	p := ReportPart{Result: stats.Compare(arms[0], arms[1], o)}
	per, verdict, seq := p.Diff, p.Verdict, p.Seq
	if r.Count && p.Count != nil {
		per, verdict, seq = &p.Count.Diff, p.Count.Verdict, &p.Count.Seq
	}
	if per != nil {
		total := per.Scale(-float64(arms[0].N))
		p.ContactsAvoided = &total
	}
	p.Summary, p.AlwaysValid = r.words(arms, p, per, verdict, seq, which)
	return p
}

// goalUnit names what a goal counts: inbound contacts, or the goal's
// event type.
func goalUnit(spec string) string {
	switch {
	case spec == "none" || spec == "":
		return "goal events"
	case strings.HasPrefix(spec, "event contact.inbound") || strings.HasPrefix(spec, "include "):
		return "inbound contacts"
	}
	ev, _, _ := strings.Cut(strings.TrimPrefix(spec, "event "), ",")
	return ev + " events"
}

// words says what a part shows: the fixed interval's verdict and the
// always-valid one, in sentences.
func (r *Report) words(arms [2]stats.Arm, p ReportPart, per *stats.Interval, verdict stats.Verdict, seq *stats.Interval, which string) (string, string) {
	t, c := arms[0], arms[1]
	runs := "runs whose goal window has closed"
	empty := "No runs whose goal window has closed yet."
	if which == "open" {
		runs, empty = "runs whose goal window is still open", "No runs with an open goal window."
	}
	switch {
	case t.N+c.N == 0:
		return empty, ""
	case r.Goal == "none":
		return fmt.Sprintf("Flow %s has no goal, so there is nothing to compare: %d entrants, %d in the holdout.", r.Flow, t.N+c.N, c.N), ""
	case c.N == 0 && r.Holdout == 0:
		return fmt.Sprintf("No holdout among the %d %s: set holdout on flow %s to compare with customers it leaves alone.", t.N, runs, r.Flow), ""
	case c.N == 0:
		return fmt.Sprintf("Nobody in the holdout yet among the %d %s: with a %s holdout, about one entrant in %d is held out.",
			t.N, runs, flows.FormatShare(int(math.Round(r.Holdout*10000))), int(math.Round(1/r.Holdout))), ""
	case t.N == 0:
		return fmt.Sprintf("All %d %s are in the holdout: nobody was contacted.", c.N, runs), ""
	case per == nil:
		return fmt.Sprintf("Too few entrants to compare yet (%d contacted, %d in the holdout).", t.N, c.N), ""
	}
	avoid := per.Scale(-1000)
	rates := fmt.Sprintf("%s of contacted customers reached the goal, against %s of the holdout", pct(p.Treat.Rate), pct(p.Control.Rate))
	if r.Count && p.Count != nil {
		rates = fmt.Sprintf("%.2f %s per contacted customer, against %.2f per customer in the holdout", p.Count.Treat, r.Unit, p.Count.Control)
	}
	ci := fmt.Sprintf("%s%% CI %s", num(p.Conf*100), span(avoid.Lo, avoid.Hi))
	var s string
	switch {
	case avoid.Est >= 0:
		s = fmt.Sprintf("Flow %s avoided %s %s per 1,000 entrants, %s (%s, %d contacted, %d held out).",
			r.Flow, num(avoid.Est), r.Unit, ci, rates, t.N, c.N)
	default:
		s = fmt.Sprintf("Flow %s caused %s more %s per 1,000 entrants, %s (%s, %d contacted, %d held out).",
			r.Flow, num(-avoid.Est), r.Unit, ci, rates, t.N, c.N)
	}
	if avoid.Lo <= 0 && avoid.Hi >= 0 {
		s += " The interval includes zero: no effect is shown yet."
	}
	if p.SRM != nil && p.SRM.Alert {
		s += fmt.Sprintf(" Warning: %s of entrants are in the holdout, not the configured %s (sample-ratio mismatch, p = %.2g); check how entrants are assigned before trusting the result.",
			pct(&p.SRM.Observed), pct(&p.SRM.Expected), p.SRM.P)
	}
	if seq == nil {
		return s, "Too few entrants for the always-valid interval yet."
	}
	sa := seq.Scale(-1000)
	av := fmt.Sprintf("The always-valid interval, which may be checked every day, is %s per 1,000 entrants", span(sa.Lo, sa.Hi))
	switch verdict {
	case stats.BelowZero:
		av += fmt.Sprintf(": the flow reduces %s.", r.Unit)
	case stats.AboveZero:
		av += fmt.Sprintf(": the flow increases %s.", r.Unit)
	default:
		av += ": it includes zero, so keep the holdout and collect more entrants."
	}
	return s, av
}

// num formats a count per 1,000 or a percentage without needless
// decimals: 31, 2.5.
func num(x float64) string {
	if math.Abs(x) < 0.05 {
		return "0"
	}
	if math.Abs(x) >= 10 || x == math.Trunc(x) {
		return fmt.Sprintf("%.0f", x)
	}
	return fmt.Sprintf("%.1f", x)
}

// span formats an interval's bounds: "12–50", "−4 to 20".
func span(lo, hi float64) string {
	if lo < 0 || hi < 0 {
		return withSign(lo) + " to " + withSign(hi)
	}
	return num(lo) + "–" + num(hi)
}

func withSign(x float64) string {
	if x < 0 {
		return "−" + num(-x)
	}
	return num(x)
}

// pct formats a rate as a percentage with one decimal.
func pct(p *float64) string {
	if p == nil {
		return "n/a"
	}
	return fmt.Sprintf("%.1f%%", *p*100)
}
