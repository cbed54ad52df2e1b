package desk

import (
	"html/template"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/aheadhq/ahead/internal/web"
)

// The desk speaks Dutch and English, chosen per request by the browser's
// Accept-Language. Every word the desk shows comes from the catalog
// below, with fmt-style arguments: the pages say {{t "claim_next_from"
// .CB.Queue}}, the handlers l.T("claim_next_from", queue). Dutch
// addresses the agent with je.

// lang is a language the desk speaks, as a BCP 47 tag.
type lang string

const (
	en = lang(web.EN)
	nl = lang(web.NL)
)

// langOf returns the language of a request: Dutch when the browser's
// Accept-Language prefers it to English, English otherwise.
func langOf(r *http.Request) lang { return lang(web.LangOf(r)) }

// msg is one message in both languages. Keys ending in _html hold
// markup; their arguments are escaped.
type msg = web.Msg

var catalog = web.Catalog{
	// every page
	"desk":         {"agent desk", "agentendesk"},
	"skip":         {"Skip to content", "Naar de inhoud"},
	"signed_in_as": {"Signed in as", "Ingelogd als"},
	"sign_out":     {"Sign out", "Uitloggen"},
	"keyboard":     {"Keyboard", "Toetsenbord"},
	"keys_help_html": {"Shortcuts work when you are not typing in a field. <kbd>Tab</kbd> moves through the page in reading order.",
		"Sneltoetsen werken als je niet in een veld typt. <kbd>Tab</kbd> gaat in leesvolgorde door de pagina."},
	"key_claim":    {"claim the next callback", "pak het volgende terugbelverzoek op"},
	"key_outcome":  {"choose an outcome", "kies een uitkomst"},
	"key_note":     {"write a note", "schrijf een notitie"},
	"key_record":   {"record the outcome (also from the note)", "leg de uitkomst vast (ook vanuit de notitie)"},
	"key_timeline": {"go to the timeline", "ga naar de tijdlijn"},
	"cross_site":   {"cross-site form posts are not accepted", "formulieren van andere sites worden niet aangenomen"},
	"bad_form":     {"bad form: %s", "onjuist formulier: %s"},

	// sign-in
	"sign_in":       {"Sign in", "Inloggen"},
	"sign_in_title": {"Sign in to the agent desk", "Inloggen op de agentendesk"},
	"sign_in_intro": {"Your name goes with every claim and outcome on the customer's timeline.",
		"Je naam staat bij elke claim en uitkomst op de tijdlijn van de klant."},
	"agent_token": {"Agent token", "Agenttoken"},
	"token_help_html": {"Your own bearer token with the <code>agent</code> scope, from <code>api.tokens</code>. It names you; the browser keeps only a signed session, for %d hours.",
		"Je eigen bearer-token met de scope <code>agent</code>, uit <code>api.tokens</code>. Het zegt wie je bent; de browser bewaart alleen een ondertekende sessie, %d uur lang."},
	"your_name":     {"Your name", "Je naam"},
	"your_name_is":  {"Your name: %s", "Je naam: %s"},
	"name_required": {"required", "vul je naam in"},
	"name_too_long": {"longer than 100 characters", "langer dan 100 tekens"},
	"name_control":  {"must not contain control characters", "mag geen stuurtekens bevatten"},
	"token_refused": {"That token is unknown or lacks the agent scope.", "Dat token is onbekend of heeft de scope agent niet."},
	"session_ended": {"Sign in first: your session has ended.", "Log eerst in: je sessie is afgelopen."},

	// the queues page
	"queues":           {"Queues", "Wachtrijen"},
	"queues_title":     {"Callback queues", "Terugbelwachtrijen"},
	"claim_title":      {"Claim the next callback", "Pak het volgende terugbelverzoek op"},
	"queue":            {"Queue", "Wachtrij"},
	"queue_option":     {"%s — %d callable", "%s — %d belbaar"},
	"queue_closed":     {", closed", ", gesloten"},
	"claim_next":       {"Claim next", "Volgende oppakken"},
	"queues_caption":   {"Callback queues now", "Terugbelwachtrijen op dit moment"},
	"col_now":          {"Now", "Nu"},
	"col_hours":        {"Hours", "Openingstijden"},
	"col_callable":     {"Callable", "Belbaar"},
	"col_queued":       {"Queued", "In wachtrij"},
	"col_claimed":      {"Claimed", "Opgepakt"},
	"open":             {"open", "open"},
	"closed":           {"closed", "gesloten"},
	"open_now":         {"open now", "nu open"},
	"open_until":       {"until %s", "tot %s"},
	"opens":            {"opens %s", "opent %s"},
	"no_queues":        {"No queues yet: a flow's callback step fills one.", "Nog geen wachtrijen: de terugbelstap van een flow vult er een."},
	"mine_title":       {"Your open callbacks", "Jouw openstaande terugbelverzoeken"},
	"mine_none":        {"None. Claim one to start.", "Geen. Pak er een op om te beginnen."},
	"none_callable":    {"No callback in %s is callable now.", "Geen terugbelverzoek in %s is nu belbaar."},
	"queue_shut":       {" The queue is closed.", " De wachtrij is gesloten."},
	"queue_shut_until": {" The queue is closed; it opens %s.", " De wachtrij is gesloten; hij opent %s."},
	"no_such_queue":    {"There is no queue %q.", "Er is geen wachtrij %q."},
	"no_such_callback": {"There is no callback %s: it may have been erased.", "Er is geen terugbelverzoek %s: misschien is het gewist."},

	// a callback page
	"queue_name":           {"%s queue", "wachtrij %s"},
	"customer_time":        {"customer's time %s", "bij de klant %s"},
	"call_of":              {"call %d of %d", "poging %d van %d"},
	"calls_made_of":        {"%d of %d calls made", "%d van %d pogingen gedaan"},
	"points":               {"Talking points", "Gesprekspunten"},
	"points_from":          {"From %s / %s.", "Uit %s / %s."},
	"points_from_window":   {"From %s / %s; call within %s (%s).", "Uit %s / %s; bellen binnen %s (%s)."},
	"customer":             {"Customer", "Klant"},
	"timeline":             {"Timeline", "Tijdlijn"},
	"nothing_yet":          {"Nothing yet.", "Nog niets."},
	"record_title":         {"Record the outcome", "Leg de uitkomst vast"},
	"not_recorded":         {"Not recorded:", "Niet vastgelegd:"},
	"not_recorded_because": {"Not recorded: %s", "Niet vastgelegd: %s"},
	"recorded":             {"Recorded: %s.", "Vastgelegd: %s."},
	"outcome":              {"Outcome", "Uitkomst"},
	"requested_at":         {"Call back at", "Terugbellen om"},
	"requested_at_help":    {"(with “%s”; customer's time, %s)", "(bij “%s”; tijd bij de klant, %s)"},
	"note":                 {"Note", "Notitie"},
	"note_help":            {"(kept with the callback; the timeline shows its start)", "(blijft bij het terugbelverzoek; de tijdlijn toont het begin)"},
	"record":               {"Record outcome", "Uitkomst vastleggen"},
	"has_ended":            {"This callback has ended", "Dit terugbelverzoek is afgerond"},
	"not_yours":            {"Not yours to record", "Niet aan jou om vast te leggen"},
	"claim_next_from":      {"Claim next from %s", "Volgende oppakken uit %s"},
	"all_queues":           {"All queues", "Alle wachtrijen"},
	"callback":             {"Callback", "Terugbelverzoek"},
	"due":                  {"Due", "Gepland"},
	"deadline":             {"Deadline", "Uiterlijk"},
	"calls_made":           {"Calls made", "Pogingen gedaan"},
	"calls_made_max":       {"%d of at most %d", "%d van maximaal %d"},
	"last_outcome":         {"Last outcome", "Laatste uitkomst"},
	"last_note":            {"Last note", "Laatste notitie"},
	"yours_until":          {"yours until %s", "van jou tot %s"},
	"claimed_by":           {"claimed by %s", "opgepakt door %s"},
	"held_until":           {"%s holds this callback until %s.", "%s heeft dit terugbelverzoek tot %s."},
	"back_in_queue": {"It is back in the queue, due %s. Claim the next callback to work the queue in order.",
		"Het staat weer in de wachtrij, gepland voor %s. Pak het volgende terugbelverzoek op om de wachtrij op volgorde af te werken."},
	"ended":            {"ended: %s", "afgerond: %s"},
	"ended_at":         {"It ended %s (%s).", "Afgerond op %s (%s)."},
	"has_ended_result": {"callback %s has ended (%s).", "terugbelverzoek %s is al afgerond (%s)."},
	"held_by":          {"callback %s is held by %s.", "terugbelverzoek %s is opgepakt door %s."},
	"held_by_nobody":   {"callback %s is held by nobody.", "niemand heeft terugbelverzoek %s opgepakt."},

	// outcomes: labels and what each does
	"outcome_reached":            {"Reached", "Bereikt"},
	"outcome_no_answer":          {"No answer", "Geen gehoor"},
	"outcome_voicemail":          {"Voicemail", "Voicemail"},
	"outcome_callback_requested": {"Callback requested", "Later terugbellen"},
	"outcome_declined":           {"Declined", "Afgewezen"},
	"outcome_wrong_number":       {"Wrong number", "Verkeerd nummer"},
	"hint_reached":               {"Spoke with the customer; the callback ends.", "Klant gesproken; het terugbelverzoek is klaar."},
	"hint_retry":                 {"Tries again in %s, within opening hours.", "Nieuwe poging over %s, binnen de openingstijden."},
	"hint_last":                  {"Last try: the callback ends as exhausted.", "Laatste poging: het terugbelverzoek stopt, de pogingen zijn op."},
	"hint_callback_requested":    {"Calls back at the time below.", "Belt terug op het tijdstip hieronder."},
	"hint_declined":              {"Does not want to talk; the callback ends.", "Wil niet praten; het terugbelverzoek stopt."},
	"hint_wrong_number":          {"Flags the phone number as wrong; the callback ends.", "Markeert het telefoonnummer als verkeerd; het terugbelverzoek stopt."},

	// problems with the outcome form
	"problem":               {"%s: %s", "%s: %s"},
	"want_datetime":         {"want a date and time, like 2026-11-25T14:30", "vul een datum en tijd in, zoals 2026-11-25T14:30"},
	"choose_one":            {"choose one", "kies er een"},
	"requested_required":    {"required with callback_requested", "vul een tijd in bij “Later terugbellen”"},
	"requested_future":      {"must be in the future", "moet in de toekomst liggen"},
	"requested_only":        {"only with callback_requested", "alleen bij “Later terugbellen”"},
	"requested_closed":      {"queue %s is closed then (hours %s)", "wachtrij %s is dan gesloten (open %s)"},
	"requested_closed_next": {"queue %s is closed then (hours %s); it opens next at %s", "wachtrij %s is dan gesloten (open %s); hij opent weer %s"},
	"note_invalid":          {"not valid UTF-8", "geen geldige UTF-8"},

	// the customer
	"name":          {"Name", "Naam"},
	"phone":         {"Phone", "Telefoon"},
	"phone_flagged": {"Phone flagged", "Telefoon gemarkeerd"},
	"wrong_since":   {"wrong number, since %s", "verkeerd nummer, sinds %s"},
	"whatsapp":      {"WhatsApp", "WhatsApp"},
	"email":         {"Email", "E-mail"},
	"time_zone":     {"Time zone", "Tijdzone"},
	"zone_now":      {"%s, now %s", "%s, nu %s"},
	"language":      {"Language", "Taal"},
	"tone":          {"Tone", "Aanspreekvorm"},
	"tone_informal": {"informal", "je (informeel)"},
	"tone_formal":   {"formal", "u (formeel)"},
	"opted_out":     {"Opted out", "Afgemeld"},
	"since":         {"%s since %s", "%s sinds %s"},

	// the timeline
	"tl_event":        {"event %s", "gebeurtenis %s"},
	"tl_event_state":  {"event %s %s", "gebeurtenis %s %s"},
	"tl_call":         {"call: %s", "terugbellen: %s"},
	"tl_step":         {"step %s: %s", "stap %s: %s"},
	"tl_step_channel": {"step %s: %s (%s)", "stap %s: %s (%s)"},
	"kind_profile":    {"profile", "profiel"},
	"kind_inbound":    {"inbound", "inkomend bericht"},

	// states of timeline entries and results of callbacks
	"state_received":           {"received", "ontvangen"},
	"state_error":              {"error", "fout"},
	"state_not_started":        {"not started", "niet gestart"},
	"state_scheduled":          {"scheduled", "gepland"},
	"state_sending":            {"sending", "wordt verstuurd"},
	"state_sent":               {"sent", "verstuurd"},
	"state_delivered":          {"delivered", "afgeleverd"},
	"state_read":               {"read", "gelezen"},
	"state_undelivered":        {"undelivered", "niet afgeleverd"},
	"state_fallback":           {"fallback", "naar volgend kanaal"},
	"state_skipped":            {"skipped", "overgeslagen"},
	"state_cancelled":          {"cancelled", "geannuleerd"},
	"state_failed":             {"failed", "mislukt"},
	"state_debounced":          {"debounced", "samengevoegd"},
	"state_queued":             {"queued", "in de wachtrij"},
	"state_claimed":            {"claimed", "opgepakt"},
	"state_offered":            {"offered", "aangeboden"},
	"state_offer_ended":        {"offer ended", "aanbod beëindigd"},
	"state_lease_expired":      {"lease expired", "claim verlopen"},
	"state_reached":            {"reached", "bereikt"},
	"state_no_answer":          {"no answer", "geen gehoor"},
	"state_voicemail":          {"voicemail", "voicemail"},
	"state_callback_requested": {"callback requested", "later terugbellen"},
	"state_declined":           {"declined", "afgewezen"},
	"state_wrong_number":       {"wrong number", "verkeerd nummer"},
	"state_exhausted":          {"exhausted", "pogingen op"},
	"state_expired":            {"expired", "verlopen"},
	"state_updated":            {"updated", "bijgewerkt"},
	"state_opted_out":          {"opted out", "afgemeld"},
	"state_opted_in":           {"opted in", "aangemeld"},
	"state_consent_granted":    {"consent granted", "toestemming gegeven"},
	"state_consent_revoked":    {"consent revoked", "toestemming ingetrokken"},

	// dates and durations
	"never":   {"—", "—"},
	"days":    {"%dd", "%d dagen"},
	"day":     {"%dd", "%d dag"},
	"hours":   {"%dh", "%d uur"},
	"minutes": {"%dm", "%d min"},
	"seconds": {"%ds", "%d s"},
	"dur_sep": {"", " "},
}

// T returns the message key in l, formatted with args. A key the catalog
// lacks comes back as it is.
func (l lang) T(key string, args ...any) string { return catalog.T(web.Lang(l), key, args...) }

// has reports whether the catalog has key.
func has(key string) bool { _, ok := catalog[key]; return ok }

// state names a state or result, like "no answer" for no_answer.
func (l lang) state(s string) string {
	if has("state_" + s) {
		return l.T("state_" + s)
	}
	return strings.ReplaceAll(s, "_", " ")
}

// funcs are the template functions of pages in l: t for a message and
// days for opening hours.
func (l lang) funcs() template.FuncMap {
	f := catalog.Funcs(web.Lang(l))
	f["days"] = l.days
	return f
}

var (
	dayWordsNL = map[string]string{"sun": "zo", "mon": "ma", "tue": "di", "wed": "wo", "thu": "do", "fri": "vr", "sat": "za", "daily": "dagelijks", "always": "altijd"}
	dayWord    = regexp.MustCompile(`\b(sun|mon|tue|wed|thu|fri|sat|daily|always)\b`)
)

// days writes the days of opening hours or a call window, such as
// "mon-fri 09:00-17:00", in l: "ma-vr 09:00-17:00" in Dutch.
func (l lang) days(spec string) string {
	if l != nl {
		return spec
	}
	return dayWord.ReplaceAllStringFunc(spec, func(w string) string { return dayWordsNL[w] })
}

// format formats t like t.Format(layout), with the names of days (Mon)
// and months (Jan) in l. Dutch writes them in lower case: "di 24 nov".
func (l lang) format(t time.Time, layout string) string { return web.Format(web.Lang(l), t, layout) }

// stamp formats an instant for agents, in loc: "Tue 24 Nov 17:00 CET",
// "di 24 nov 17:00 CET".
func (l lang) stamp(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return l.T("never")
	}
	return l.format(t.In(loc), "Mon 2 Jan 15:04 MST")
}

// stampText formats a stored RFC 3339 time like stamp; other text comes
// back as it is.
func (l lang) stampText(s string, loc *time.Location) string {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return s
	}
	return l.stamp(t, loc)
}

// duration writes a delay such as a retry: "2h", "1d" and "1h30m" in
// English, "2 uur", "1 dag" and "1 uur 30 min" in Dutch.
func (l lang) duration(d time.Duration) string {
	var parts []string
	if n := d / (24 * time.Hour); n > 0 {
		key := "days"
		if n == 1 {
			key = "day"
		}
		parts = append(parts, l.T(key, int(n)))
		d -= n * 24 * time.Hour
	}
	if n := d / time.Hour; n > 0 {
		parts = append(parts, l.T("hours", int(n)))
		d -= n * time.Hour
	}
	if n := d / time.Minute; n > 0 {
		parts = append(parts, l.T("minutes", int(n)))
		d -= n * time.Minute
	}
	if n := d / time.Second; n > 0 || len(parts) == 0 {
		parts = append(parts, l.T("seconds", int(n)))
	}
	return strings.Join(parts, l.T("dur_sep"))
}
