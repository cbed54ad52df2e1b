package desk

import (
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/mail"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/aheadhq/ahead/callbacks"
	"github.com/aheadhq/ahead/flows"
	"github.com/aheadhq/ahead/internal/store"
)

// telLink returns the tel: link of an E.164 number, "" for anything else.
func telLink(phone string) template.URL {
	if !e164.MatchString(phone) {
		return ""
	}
	return template.URL("tel:" + phone)
}

// mailLink returns the mailto: link of an address, "" when it is none.
func mailLink(addr string) template.URL {
	a, err := mail.ParseAddress(addr)
	if err != nil || a.Name != "" {
		return ""
	}
	return template.URL("mailto:" + url.PathEscape(a.Address))
}

// agentCallback shows one callback: customer, talking points, timeline
// and, to the agent who holds it, the outcome form.
func (s *Desk) agentCallback(w http.ResponseWriter, r *http.Request, agent string) {
	v := &pageView{Agent: agent}
	if rec := r.URL.Query().Get("recorded"); rec != "" {
		l := langOf(r)
		v.Notice = l.T("recorded", outcomeLabel(l, rec))
	}
	s.showCallback(w, r, http.StatusOK, r.PathValue("id"), v)
}

// showCallback renders the callback page into v.
func (s *Desk) showCallback(w http.ResponseWriter, r *http.Request, code int, id string, v *pageView) {
	ctx := r.Context()
	l := langOf(r)
	cb, err := s.o.Queues.Find(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		v.Title, v.Error = l.T("queues"), l.T("no_such_callback", id)
		if err := s.fillQueues(r, v, ""); err != nil {
			s.fail(w, r, err)
			return
		}
		s.render(w, r, http.StatusNotFound, "home.html", v)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	prof, entries, err := s.o.Queues.Customer(ctx, cb.Customer, 30)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	cfg := s.queueConfig(cb.Queue)
	now := s.o.Clock.Now()
	qloc := cfg.Location
	zone := cb.Timezone
	if zone == "" {
		zone = prof["timezone"]
	}
	cloc, err := flows.Location(zone, "")
	if err != nil {
		cloc = qloc
	}

	v.CB = cb
	v.CustomerName = firstOf(cb.Name, prof["name"], cb.Customer)
	v.Title = v.CustomerName
	v.Holder = cb.State == store.CallbackClaimed && cb.Agent == v.Agent
	v.Zone = cloc.String()
	v.Local = l.format(now.In(cloc), "Mon 15:04 MST")
	switch {
	case cb.State == store.CallbackDone:
		v.Attempt = l.T("calls_made_of", cb.Attempts, cfg.MaxAttempts)
	default:
		v.Attempt = l.T("call_of", cb.Attempts+1, cfg.MaxAttempts)
	}
	switch {
	case v.Holder:
		v.StateText, v.StateClass = l.T("yours_until", cb.LeaseUntil.In(qloc).Format("15:04")), "claimed"
	case cb.State == store.CallbackClaimed:
		v.StateText, v.StateClass = l.T("claimed_by", cb.Agent), "claimed"
		v.StateHelp = l.T("held_until", cb.Agent, l.stamp(cb.LeaseUntil, qloc))
	case cb.State == store.CallbackQueued:
		v.StateText, v.StateClass = l.state(store.CallbackQueued), "queued"
		v.StateHelp = l.T("back_in_queue", l.stamp(cb.Due, qloc))
	default:
		v.StateText, v.StateClass = l.T("ended", l.state(cb.Result)), "done"
		v.StateHelp = l.T("ended_at", l.stamp(cb.Ended, qloc), l.state(cb.Result))
	}
	v.Customer = customerFields(l, prof, cloc, now)
	v.Details = []fieldView{
		{Label: l.T("queue"), Value: cb.Queue + " (" + l.days(cfg.HoursText()) + ", " + qloc.String() + ")"},
		{Label: l.T("due"), Value: l.stamp(cb.Due, qloc)},
		{Label: l.T("deadline"), Value: l.stamp(cb.Deadline, qloc)},
		{Label: l.T("calls_made"), Value: l.T("calls_made_max", cb.Attempts, cfg.MaxAttempts)},
	}
	if cb.Outcome != "" {
		v.Details = append(v.Details, fieldView{Label: l.T("last_outcome"), Value: outcomeLabel(l, cb.Outcome)})
	}
	if cb.Note != "" {
		v.Details = append(v.Details, fieldView{Label: l.T("last_note"), Value: cb.Note})
	}
	for _, e := range entries {
		v.Timeline = append(v.Timeline, timelineEntry(l, e, qloc))
	}
	checked := v.Form.Outcome
	for i, o := range outcomeOrder {
		v.Outcomes = append(v.Outcomes, outcomeView{
			Value: o, Label: outcomeLabel(l, o), Key: fmt.Sprint(i + 1), Hint: outcomeHint(l, o, cb, cfg), Checked: o == checked,
		})
	}
	s.render(w, r, code, "callback.html", v)
}

// queueConfig returns the rules of a queue: its entry in queues.yaml, or
// the defaults.
func (s *Desk) queueConfig(name string) *flows.Queue {
	if cfg, ok := s.o.Queues.Config(name); ok {
		return cfg
	}
	return flows.DefaultQueue(name)
}

// outcomeLabel names an outcome on the form, like "No answer".
func outcomeLabel(l lang, o string) string {
	if has("outcome_" + o) {
		return l.T("outcome_" + o)
	}
	return o
}

// outcomeHint says what an outcome will do with this callback.
func outcomeHint(l lang, o string, cb *store.Callback, cfg *flows.Queue) string {
	switch o {
	case flows.OutcomeNoAnswer, flows.OutcomeVoicemail:
		if cb.Attempts+1 >= cfg.MaxAttempts {
			return l.T("hint_last")
		}
		return l.T("hint_retry", l.duration(cfg.RetryAfter(o)))
	case flows.OutcomeReached, flows.OutcomeCallbackRequested, flows.OutcomeDeclined, flows.OutcomeWrongNumber:
		return l.T("hint_" + o)
	}
	return ""
}

func firstOf(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

// customerFields lists a profile for agents: the contact points first.
func customerFields(l lang, p store.Profile, loc *time.Location, now time.Time) []fieldView {
	var out []fieldView
	add := func(label, key string, href template.URL) {
		if v := p[key]; v != "" {
			out = append(out, fieldView{Label: label, Value: v, Href: href})
		}
	}
	add(l.T("name"), "name", "")
	add(l.T("phone"), "phone", telLink(p["phone"]))
	if t := p[callbacks.ProfilePhoneInvalid]; t != "" {
		out = append(out, fieldView{Label: l.T("phone_flagged"), Value: l.T("wrong_since", l.stampText(t, loc)), Warn: true})
	}
	add(l.T("whatsapp"), "whatsapp", "")
	add(l.T("email"), "email", mailLink(p["email"]))
	out = append(out, fieldView{Label: l.T("time_zone"), Value: l.T("zone_now", loc.String(), now.In(loc).Format("15:04"))})
	add(l.T("language"), "locale", "")
	if f := p["formality"]; f != "" {
		if has("tone_" + f) {
			f = l.T("tone_" + f)
		}
		out = append(out, fieldView{Label: l.T("tone"), Value: f})
	}
	shown := map[string]bool{"id": true, "name": true, "phone": true, "whatsapp": true, "email": true, "timezone": true,
		"locale": true, "formality": true, callbacks.ProfilePhoneInvalid: true}
	var rest []string
	for k := range p {
		if !shown[k] {
			rest = append(rest, k)
		}
	}
	slices.Sort(rest)
	for _, k := range rest {
		label := strings.ReplaceAll(k, "_", " ")
		if ch, ok := strings.CutPrefix(k, "optout_"); ok {
			out = append(out, fieldView{Label: l.T("opted_out"), Value: l.T("since", ch, l.stampText(p[k], loc)), Warn: true})
			continue
		}
		out = append(out, fieldView{Label: label, Value: p[k]})
	}
	return out
}

// timelineEntry describes a journal entry for agents. The entry's reason
// is shown as the journal recorded it.
func timelineEntry(l lang, e store.Entry, loc *time.Location) entryView {
	state := l.state(e.State)
	v := entryView{At: l.format(e.At.In(loc), "2 Jan 15:04"), Reason: e.Reason}
	switch e.Kind {
	case store.KindEvent:
		v.What = l.T("tl_event", e.EventType)
		if e.State != "" && e.State != "received" {
			v.What = l.T("tl_event_state", e.EventType, state)
		}
	case store.KindCallback:
		v.What, v.Callback = l.T("tl_call", state), true
	case store.KindIntervention:
		v.What = l.T("tl_step", e.Step, state)
		if e.Channel != "" && !strings.Contains(e.Reason, e.Channel) {
			v.What = l.T("tl_step_channel", e.Step, state, e.Channel)
		}
	default:
		kind := e.Kind
		if has("kind_" + kind) {
			kind = l.T("kind_" + kind)
		}
		v.What = strings.TrimSpace(kind + " " + state)
	}
	return v
}
