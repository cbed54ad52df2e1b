package reportpage

import (
	"math"
	"net/url"
	"strings"
	"time"

	"github.com/aheadhq/ahead/engine"
	"github.com/aheadhq/ahead/flows"
	"github.com/aheadhq/ahead/internal/web"
	"github.com/aheadhq/ahead/stats"
)

// cardView is one flow's card.
type cardView struct {
	Anchor, Flow, Description string
	// Href is the flow's own page.
	Href string
	// Status is the always-valid verdict in a word or two, for the head
	// of the card and the overview; StatusClass colours it.
	Status, StatusClass string
	// Verdict is the sentence that says what the flow did.
	Verdict string
	// Facts are the goal, the holdout and the period.
	Facts  []factView
	Period periodView
	Closed partView
	// Open are the runs whose goal window is still open; nil when there
	// are none.
	Open *partView
	// Empty is set when the period has no entrants at all: the card
	// shows no parts.
	Empty bool
}

type factView struct {
	Label, Value string
	// Warn marks a fact that needs attention.
	Warn bool
}

// periodView is the report period a card shows, and the others.
type periodView struct {
	ID, Since string
	Current   bool
	// Change says when and why the period started, when an earlier one
	// exists.
	Change string
	// CurrentHref leads back from an earlier period to the current one.
	CurrentHref string
	Earlier     []linkView
}

type linkView struct{ Href, Label string }

// partView compares the arms over one set of runs.
type partView struct {
	// Note stands in for the comparison when there is none yet.
	Note string
	Arms []armView
	// Count is set for a count goal: the arms' table has contacts per
	// entrant.
	Count bool
	// Effect are the differences and the always-valid interval, Size the
	// sample-ratio check and the power figures, as label and value.
	Effect, Size []factView
	Bar          *barView
	// AlwaysValid is the always-valid verdict in a sentence.
	AlwaysValid string
	// SRM says, when the sample-ratio check alerts, what that means.
	SRM string
	// ClosesBy is, for open runs, the day by which all their windows
	// have closed.
	ClosesBy string
}

type armView struct {
	Label, N, Hits, Rate, Mean string
}

// reportView turns a report into its card, in l. f is the flow as
// loaded, nil when it is gone; effect is the difference in goal rate the
// "still needed" hint plans for, in percentage points.
func reportView(l web.Lang, r *engine.Report, f *flows.Flow, effect float64) *cardView {
	t := func(key string, args ...any) string { return catalog.T(l, key, args...) }
	c := &cardView{Anchor: "flow-" + r.Flow, Flow: r.Flow, Description: r.Description,
		Href: "/reports/flows/" + url.PathEscape(r.Flow)}
	if f != nil && f.Goal.Spec() == r.Goal {
		c.Facts = append(c.Facts, factView{Label: t("goal"), Value: goalWords(l, f.Goal)})
	} else {
		c.Facts = append(c.Facts, factView{Label: t("goal"), Value: r.Goal})
	}
	c.Facts = append(c.Facts, factView{Label: t("holdout"), Value: t("holdout_is", shareText(l, r.Holdout))})
	c.Period = periodOf(l, r)
	c.Closed = partOf(l, r, r.Closed, "closed", effect)
	if r.Open.Treat.N+r.Open.Control.N > 0 {
		open := partOf(l, r, r.Open, "open", effect)
		c.Open = &open
	}
	c.Verdict, c.Status, c.StatusClass = verdictOf(l, r)
	c.Empty = r.Closed.Treat.N+r.Closed.Control.N+r.Open.Treat.N+r.Open.Control.N == 0
	return c
}

// goalWords says a goal in words: "a contact.inbound event or an SMS or
// WhatsApp message from the customer within 14 days of the trigger".
func goalWords(l web.Lang, g *flows.Goal) string {
	t := func(key string, args ...any) string { return catalog.T(l, key, args...) }
	if g == nil {
		return t("goal_none")
	}
	var what []string
	if g.Event != "" {
		what = append(what, t("goal_event", g.Event))
	}
	for _, src := range g.Include {
		if catalog.T(l, "goal_"+src) != "goal_"+src {
			what = append(what, t("goal_"+src))
		} else {
			what = append(what, src)
		}
	}
	s := t("goal_within", strings.Join(what, t("or")), within(l, g.Within))
	if g.If != "" {
		s += t("goal_if", g.If)
	}
	if g.SameSubject {
		s += t("goal_same_subject")
	}
	if g.Count {
		s += t("goal_count")
	}
	return s
}

// within writes a goal window: 14 days, 36 hours, 1 day 12 hours.
func within(l web.Lang, d time.Duration) string {
	var parts []string
	add := func(n int, one, many string) {
		switch {
		case n == 1:
			parts = append(parts, catalog.T(l, one))
		case n > 1:
			parts = append(parts, catalog.T(l, many, n))
		}
	}
	add(int(d/(24*time.Hour)), "one_day", "n_days")
	add(int(d%(24*time.Hour)/time.Hour), "one_hour", "n_hours")
	add(int(d%time.Hour/time.Minute), "one_minute", "n_minutes")
	return strings.Join(parts, " ")
}

// periodOf describes the period a report shows and links the others.
func periodOf(l web.Lang, r *engine.Report) periodView {
	t := func(key string, args ...any) string { return catalog.T(l, key, args...) }
	p := periodView{ID: r.Period.ID, Current: r.Period.Current, Since: t("no_entrants_yet")}
	if r.Period.Since != nil {
		p.Since = t("since", day(l, *r.Period.Since))
	}
	self := "/reports/flows/" + url.PathEscape(r.Flow)
	for _, e := range r.Earlier {
		label := t("period_label", e.ID)
		if e.Since != nil {
			label = t("period_since", day(l, *e.Since), e.ID)
		}
		href := self + "?period=" + url.QueryEscape(e.ID)
		if e.Current {
			href, p.CurrentHref = self, self
			label = t("current_period", label)
		}
		p.Earlier = append(p.Earlier, linkView{Href: href, Label: label})
	}
	if !r.Period.Current || len(r.Earlier) == 0 {
		return p
	}
	// The newest earlier period is the one this one replaced.
	prev := r.Earlier[0]
	var why []string
	if prev.Holdout != r.Period.Holdout {
		why = append(why, t("changed_holdout", shareText(l, prev.Holdout), shareText(l, r.Period.Holdout)))
	}
	if prev.Salt != r.Period.Salt {
		why = append(why, t("changed_salt"))
	}
	if prev.Goal != r.Period.Goal {
		why = append(why, t("changed_goal"))
	}
	reason := strings.Join(why, t("and"))
	if reason == "" {
		reason = t("changed_setup")
	}
	if r.Period.Since != nil {
		p.Change = t("new_period_since", day(l, *r.Period.Since), reason)
	} else {
		p.Change = t("new_period_next", reason)
	}
	return p
}

// shareText writes a holdout share as configured: 10%, 2.5%.
func shareText(l web.Lang, share float64) string {
	s := flows.FormatShare(int(math.Round(share * 10000)))
	if l == web.NL {
		s = strings.ReplaceAll(s, ".", ",")
	}
	return s
}

// partOf compares the arms of one part of a report.
func partOf(l web.Lang, r *engine.Report, p engine.ReportPart, which string, effect float64) partView {
	t := func(key string, args ...any) string { return catalog.T(l, key, args...) }
	v := partView{Count: r.Count && p.Count != nil}
	if p.WindowsCloseBy != nil {
		v.ClosesBy = day(l, *p.WindowsCloseBy)
	}
	tr, co := p.Treat, p.Control
	if tr.N+co.N == 0 {
		v.Note = t("empty_" + which)
		return v
	}
	for i, a := range []stats.ArmResult{tr, co} {
		av := armView{Label: t([]string{"contacted", "held_out"}[i]), N: count(l, a.N), Hits: count(l, a.Hits), Rate: "—"}
		if a.Rate != nil {
			av.Rate = percent(l, *a.Rate)
		}
		v.Arms = append(v.Arms, av)
	}
	if v.Count {
		v.Arms[0].Mean = number(l, p.Count.Treat, 2)
		v.Arms[1].Mean = number(l, p.Count.Control, 2)
	}
	switch {
	case r.Goal == "none":
		v.Note = t("no_goal")
		return v
	case co.N == 0 && r.Holdout == 0:
		v.Note = t("no_holdout", r.Flow)
		return v
	case co.N == 0:
		v.Note = t("nobody_held_out", shareText(l, r.Holdout), int(math.Round(1/r.Holdout)))
		return v
	case tr.N == 0:
		v.Note = t("all_held_out")
		return v
	case p.Diff == nil:
		v.Note = t("too_few")
		return v
	}
	if which == "open" {
		v.Note = t("open_note")
		return v
	}
	conf := p.Conf
	ptsUnit := t("unit_points")
	add := func(label, value string) { v.Effect = append(v.Effect, factView{Label: label, Value: value}) }
	size := func(label, value string) { v.Size = append(v.Size, factView{Label: label, Value: value}) }
	add(t("diff"), ivlUnit(l, *p.Diff, conf, points, ptsUnit))
	if p.Rel != nil {
		add(t("rel"), ivl(l, *p.Rel, conf, relative))
	}
	if v.Count {
		add(t("count_diff"), ivl(l, p.Count.Diff.Scale(1000), conf, perThousand))
	}
	per, seq, verdict := effectOf(r, p)
	if per != nil {
		add(t("avoided_per_1000"), ivl(l, *per, conf, perThousand))
	}
	if p.ContactsAvoided != nil {
		add(t("avoided_total"), ivl(l, *p.ContactsAvoided, conf, func(l web.Lang, x float64) string { return number(l, x, 0) }))
	}
	seqUnit := ptsUnit
	seqFmt := points
	if v.Count {
		seqUnit, seqFmt = t("unit_per_1000"), func(l web.Lang, x float64) string { return perThousand(l, x*1000) }
	}
	if seq != nil {
		add(t("always_valid"), span(l, seq.Lo, seq.Hi, seqFmt)+" "+seqUnit+": "+t("verdict_"+string(verdict)))
	}
	if s := p.SRM; s != nil {
		text := t("srm_text", number(l, s.Observed*100, 2), shareText(l, s.Expected), number(l, s.Chi2, 2), pValue(l, s.P))
		if s.Alert {
			v.SRM = t("srm_alert", number(l, s.Observed*100, 2), shareText(l, s.Expected), pValue(l, s.P))
			v.Size = append(v.Size, factView{Label: t("srm"), Value: text + ": " + t("srm_off"), Warn: true})
		} else {
			size(t("srm"), text+": "+t("srm_ok"))
		}
	}
	if p.MDE != nil {
		size(t("mde"), number(l, *p.MDE*100, 1)+" "+ptsUnit)
	}
	if n := p.Needed; n != nil {
		eff := number(l, effect, -1)
		if n.Total == 0 {
			size(t("needed", eff), t("needed_none"))
		} else {
			size(t("needed", eff), t("needed_more", count(l, n.Total), count(l, n.Treat), count(l, n.Control)))
		}
	}
	if v.Count {
		v.Bar = newBar(l, p.Count.Diff, &p.Count.Seq, conf, 1000, perThousand, t("unit_per_1000"), t("bar_caption_count", unitOf(l, r)))
	} else {
		v.Bar = newBar(l, *p.Diff, p.Seq, conf, 100, oneDecimal, ptsUnit, t("bar_caption", unitOf(l, r)))
	}
	v.AlwaysValid = alwaysValid(l, r, seq, verdict)
	return v
}

// effectOf picks what a part's verdict rests on: for a count goal the
// contacts per entrant, else the share of entrants who reached the goal.
// per is goal events avoided per 1,000 entrants; seq is the always-valid
// interval of the difference, verdict where it lies.
func effectOf(r *engine.Report, p engine.ReportPart) (per, seq *stats.Interval, verdict stats.Verdict) {
	if r.Count && p.Count != nil {
		av := p.Count.Avoided
		return &av, &p.Count.Seq, p.Count.Verdict
	}
	return p.Avoided, p.Seq, p.Verdict
}

// alwaysValid says the always-valid verdict in a sentence.
func alwaysValid(l web.Lang, r *engine.Report, seq *stats.Interval, verdict stats.Verdict) string {
	t := func(key string, args ...any) string { return catalog.T(l, key, args...) }
	switch sa := seq.Scale(-1000); {
	case seq == nil:
		return t("seq_too_few")
	case verdict == stats.BelowZero:
		return t("seq_is", span(l, sa.Lo, sa.Hi, perThousand)) + t("seq_reduces", unitOf(l, r))
	case verdict == stats.AboveZero:
		// Said as contacts caused, the interval turns round.
		return t("seq_is_more", span(l, -sa.Hi, -sa.Lo, perThousand), unitOf(l, r)) + t("seq_increases", unitOf(l, r))
	default:
		return t("seq_is", span(l, sa.Lo, sa.Hi, perThousand)) + t("seq_contains")
	}
}

// verdictOf words what the closed runs show, and the status of the card:
// the always-valid verdict, valid however often the page is read.
func verdictOf(l web.Lang, r *engine.Report) (sentence, status, class string) {
	t := func(key string, args ...any) string { return catalog.T(l, key, args...) }
	p := r.Closed
	per, seq, verdict := effectOf(r, p)
	switch {
	case r.Goal == "none":
		return t("verdict_no_goal", r.Flow), t("status_no_goal"), "none"
	case r.Holdout == 0:
		return t("verdict_no_holdout", r.Flow), t("status_no_holdout"), "none"
	case p.Treat.N+p.Control.N == 0 && r.Open.Treat.N+r.Open.Control.N > 0 && r.Open.WindowsCloseBy != nil:
		return t("verdict_wait_until", day(l, *r.Open.WindowsCloseBy)), t("status_waiting"), "none"
	case p.Treat.N+p.Control.N == 0:
		return t("verdict_no_entrants"), t("status_no_data"), "none"
	case per == nil || p.Control.N == 0 || p.Treat.N == 0:
		return t("verdict_too_few"), t("status_no_data"), "none"
	}
	conf := number(l, p.Conf*100, 0)
	if per.Est >= 0 {
		sentence = t("verdict_avoided", r.Flow, perThousand(l, per.Est), unitOf(l, r), t("ci", conf, span(l, per.Lo, per.Hi, perThousand)))
	} else {
		// Said as contacts caused, the interval turns round too.
		sentence = t("verdict_caused", r.Flow, perThousand(l, -per.Est), unitOf(l, r), t("ci", conf, span(l, -per.Hi, -per.Lo, perThousand)))
	}
	if per.Lo <= 0 && per.Hi >= 0 {
		sentence += t("verdict_zero")
	}
	switch {
	case seq == nil:
		status, class = t("status_no_data"), "none"
	case verdict == stats.BelowZero:
		status, class = t("status_fewer", unitOf(l, r)), "good"
	case verdict == stats.AboveZero:
		status, class = t("status_more", unitOf(l, r)), "bad"
	default:
		status, class = t("status_unclear"), "none"
	}
	return sentence, status, class
}
