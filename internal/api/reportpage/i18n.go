package reportpage

import (
	"strings"

	"github.com/aheadhq/ahead/engine"
	"github.com/aheadhq/ahead/internal/web"
)

// The page speaks Dutch and English, chosen per request by the browser's
// Accept-Language, like the agent desk. Every word it shows comes from
// the catalog below, with fmt-style arguments.

// unitOf names what a report's goal counts, in l: "inbound contacts",
// "inkomende contacten".
func unitOf(l web.Lang, r *engine.Report) string {
	if l != web.NL {
		return r.Unit
	}
	switch u := r.Unit; {
	case u == "inbound contacts":
		return "inkomende contacten"
	case u == "goal events":
		return "doelgebeurtenissen"
	case strings.HasSuffix(u, " events"):
		return "gebeurtenissen " + strings.TrimSuffix(u, " events")
	default:
		return u
	}
}

var catalog = web.Catalog{
	// every page
	"reports":      {"reports", "rapporten"},
	"skip":         {"Skip to content", "Naar de inhoud"},
	"signed_in_as": {"Signed in as", "Ingelogd als"},
	"sign_out":     {"Sign out", "Uitloggen"},
	"cross_site":   {"cross-site form posts are not accepted", "formulieren van andere sites worden niet aangenomen"},
	"bad_form":     {"bad form: %s", "onjuist formulier: %s"},
	"not_found":    {"There is no flow %q.", "Er is geen flow %q."},
	"no_period":    {"Flow %s has no report period %q.", "Flow %s heeft geen rapportperiode %q."},

	// sign-in
	"sign_in":       {"Sign in", "Inloggen"},
	"sign_in_title": {"Sign in to the reports", "Inloggen op de rapporten"},
	"sign_in_intro": {"The reports show what every flow achieved, measured against its holdout. They are for administrators.",
		"De rapporten laten zien wat elke flow oplevert, gemeten tegen de controlegroep. Ze zijn voor beheerders."},
	"admin_token": {"Admin token", "Beheerderstoken"},
	"token_help_html": {"A bearer token with the <code>admin</code> scope, from <code>api.tokens</code>. The browser keeps only a signed session, for %d hours, never the token.",
		"Een bearer-token met de scope <code>admin</code>, uit <code>api.tokens</code>. De browser bewaart alleen een ondertekende sessie, %d uur lang, nooit het token."},
	"token_refused": {"That token is unknown or lacks the admin scope.", "Dat token is onbekend of heeft de scope admin niet."},

	// the page
	"title":        {"Flow reports", "Flowrapporten"},
	"intro":        {"What each flow does to its goal: the customers it contacted against its holdout, the customers it left alone by chance. Read the always-valid verdict when you look every day.", "Wat elke flow met zijn doel doet: de klanten die hij benaderde tegenover de controlegroep, de klanten die hij bij toeval met rust liet. Kijk je elke dag, lees dan het altijd-geldige oordeel."},
	"as_of":        {"As of %s.", "Stand van %s."},
	"effect_label": {"Difference to detect", "Te vinden verschil"},
	"effect_unit":  {"percentage points", "procentpunt"},
	"effect_help":  {"The “still needed” line plans for a difference in goal rate this large.", "De regel “nog nodig” rekent met een verschil in doelpercentage van deze grootte."},
	"effect_bad":   {"Difference to detect: want a number of percentage points from 0.1 to 50, such as 2.", "Te vinden verschil: vul een aantal procentpunten in van 0,1 tot 50, zoals 2."},
	"update":       {"Update", "Bijwerken"},
	"overview":     {"Flows", "Flows"},
	"no_flows":     {"No flow keeps a holdout or names a goal, so there is nothing to report.", "Geen enkele flow heeft een controlegroep of een doel, dus er valt niets te rapporteren."},
	"unmeasured":   {"Not measured", "Niet gemeten"},
	"unmeasured_help": {"These flows have neither a holdout nor a goal, so their effect is not measured. Give them both to see it here.",
		"Deze flows hebben geen controlegroep en geen doel, dus hun effect wordt niet gemeten. Geef ze beide om het hier te zien."},
	"all_flows":  {"All flows", "Alle flows"},
	"goal":       {"Goal", "Doel"},
	"holdout":    {"Holdout", "Controlegroep"},
	"holdout_is": {"%s of entrants get no contact", "%s van de instromers krijgt geen contact"},
	"period":     {"Period", "Periode"},

	// goals in words
	"goal_none":               {"none", "geen"},
	"goal_event":              {"a %s event", "een gebeurtenis %s"},
	"goal_inbound_message":    {"an SMS or WhatsApp message from the customer", "een sms of WhatsApp-bericht van de klant"},
	"goal_callback_requested": {"a request to be called back", "een verzoek om teruggebeld te worden"},
	"or":                      {" or ", " of "},
	"and":                     {" and ", " en "},
	"goal_within":             {"%s within %s of the trigger", "%s binnen %s na de trigger"},
	"goal_if":                 {", where %s", ", waarbij %s"},
	"goal_same_subject":       {", about the same subject", ", over hetzelfde onderwerp"},
	"goal_count":              {"; every one counts (contacts per entrant)", "; elk contact telt (contacten per instromer)"},
	"one_day":                 {"1 day", "1 dag"},
	"n_days":                  {"%d days", "%d dagen"},
	"one_hour":                {"1 hour", "1 uur"},
	"n_hours":                 {"%d hours", "%d uur"},
	"one_minute":              {"1 minute", "1 minuut"},
	"n_minutes":               {"%d minutes", "%d minuten"},

	// periods
	"no_entrants_yet":  {"no entrants yet", "nog geen instromers"},
	"since":            {"since %s", "sinds %s"},
	"period_id":        {"period %s", "periode %s"},
	"period_label":     {"period %s", "periode %s"},
	"period_since":     {"since %s (period %s)", "sinds %s (periode %s)"},
	"current_period":   {"%s, the current one", "%s, de huidige"},
	"earlier_periods":  {"Earlier periods:", "Eerdere perioden:"},
	"other_periods":    {"Other periods:", "Andere perioden:"},
	"earlier_period":   {"This is an earlier period of the flow.", "Dit is een eerdere periode van de flow."},
	"show_current":     {"Show the current period", "Toon de huidige periode"},
	"changed_holdout":  {"the holdout went from %s to %s", "de controlegroep ging van %s naar %s"},
	"changed_salt":     {"the holdout salt changed, drawing a new control group", "de holdout_salt veranderde, waarmee een nieuwe controlegroep is getrokken"},
	"changed_goal":     {"the goal changed", "het doel veranderde"},
	"changed_setup":    {"the holdout or goal changed", "de controlegroep of het doel veranderde"},
	"new_period_since": {"A new period started on %s because %s; its counts started at zero.", "Op %s begon een nieuwe periode omdat %s; de tellingen begonnen opnieuw bij nul."},
	"new_period_next":  {"A new period starts with the next entrant because %s; its counts start at zero.", "Met de volgende instromer begint een nieuwe periode omdat %s; de tellingen beginnen opnieuw bij nul."},

	// a part of a report
	"closed_title":          {"Runs whose goal window has closed", "Runs waarvan het doelvenster is gesloten"},
	"open_title":            {"Runs whose goal window is still open", "Runs waarvan het doelvenster nog open is"},
	"open_closes_by":        {"All their windows close by %s.", "Al hun vensters sluiten uiterlijk op %s."},
	"empty_closed":          {"No runs whose goal window has closed yet.", "Nog geen runs waarvan het doelvenster is gesloten."},
	"empty_open":            {"No runs with an open goal window.", "Geen runs met een open doelvenster."},
	"open_note":             {"Their goal counts can still grow, so their rates are too low and their difference not yet meaningful: judge the flow by the closed runs.", "Hun doeltellingen kunnen nog groeien, dus hun percentages zijn te laag en hun verschil zegt nog niets: beoordeel de flow op de gesloten runs."},
	"arms_caption":          {"Entrants and goal rate per arm", "Instromers en doelpercentage per groep"},
	"arm":                   {"Arm", "Groep"},
	"entrants":              {"Entrants", "Instromers"},
	"reached_goal":          {"Reached goal", "Doel bereikt"},
	"goal_rate":             {"Goal rate", "Doelpercentage"},
	"per_entrant":           {"Per entrant", "Per instromer"},
	"contacted":             {"Contacted", "Benaderd"},
	"held_out":              {"Holdout", "Controlegroep"},
	"no_goal":               {"This flow has no goal, so there is nothing to compare.", "Deze flow heeft geen doel, dus er valt niets te vergelijken."},
	"no_holdout":            {"No holdout: set holdout on flow %s to compare with customers it leaves alone.", "Geen controlegroep: zet holdout in flow %s om te vergelijken met klanten die hij met rust laat."},
	"nobody_held_out":       {"Nobody in the holdout yet: with a %s holdout, about one entrant in %d is held out.", "Nog niemand in de controlegroep: bij %s komt ongeveer één op de %d instromers erin."},
	"all_held_out":          {"Every entrant is in the holdout: nobody was contacted.", "Alle instromers zitten in de controlegroep: niemand is benaderd."},
	"too_few":               {"Too few entrants to compare yet.", "Nog te weinig instromers om te vergelijken."},
	"unit_points":           {"points", "procentpunt"},
	"unit_per_1000":         {"per 1,000 entrants", "per 1.000 instromers"},
	"diff":                  {"Difference (contacted − holdout)", "Verschil (benaderd − controlegroep)"},
	"rel":                   {"Relative difference", "Relatief verschil"},
	"count_diff":            {"Difference in contacts per 1,000 entrants", "Verschil in contacten per 1.000 instromers"},
	"avoided_per_1000":      {"Avoided per 1,000 entrants", "Voorkomen per 1.000 instromers"},
	"avoided_total":         {"Avoided in total", "Voorkomen in totaal"},
	"always_valid":          {"Always-valid interval", "Altijd-geldig interval"},
	"mde":                   {"Detectable now (power 80%)", "Nu aantoonbaar (power 80%)"},
	"needed":                {"Still needed for %s points", "Nog nodig voor %s procentpunt"},
	"needed_none":           {"none: the flow has enough entrants", "geen: de flow heeft genoeg instromers"},
	"needed_more":           {"%s more entrants (%s contacted, %s held out)", "nog %s instromers (%s benaderd, %s in de controlegroep)"},
	"srm":                   {"Sample ratio", "Verdeling"},
	"srm_text":              {"%s%% held out, configured %s (chi² %s, p %s)", "%s%% in de controlegroep, ingesteld %s (chi² %s, p %s)"},
	"srm_ok":                {"as expected", "zoals verwacht"},
	"srm_off":               {"mismatch", "scheef"},
	"srm_alert":             {"Sample-ratio mismatch: %s%% of entrants are in the holdout, not the configured %s (p %s). Entrants may be lost or counted in one arm only; do not trust the difference until that is explained.", "Scheve verdeling: %s%% van de instromers zit in de controlegroep, niet de ingestelde %s (p %s). Misschien gaan instromers verloren of worden ze in één groep geteld; vertrouw het verschil pas als dat verklaard is."},
	"verdict_below_zero":    {"below zero", "onder nul"},
	"verdict_above_zero":    {"above zero", "boven nul"},
	"verdict_contains_zero": {"includes zero", "bevat nul"},
	"verdict_undefined":     {"not yet known", "nog onbekend"},
	"seq_too_few":           {"Too few entrants for the always-valid interval yet.", "Nog te weinig instromers voor het altijd-geldige interval."},
	"seq_is":                {"The always-valid interval, which may be checked every day, is %s per 1,000 entrants", "Het altijd-geldige interval, dat je elke dag mag bekijken, is %s per 1.000 instromers"},
	"seq_is_more":           {"The always-valid interval, which may be checked every day, is %s more %s per 1,000 entrants", "Het altijd-geldige interval, dat je elke dag mag bekijken, is %s %s extra per 1.000 instromers"},
	"seq_reduces":           {": the flow reduces %s.", ": de flow vermindert %s."},
	"seq_increases":         {": the flow increases %s.", ": de flow verhoogt %s."},
	"seq_contains":          {": it includes zero, so keep the holdout and collect more entrants.", ": het bevat nul, dus houd de controlegroep aan en verzamel meer instromers."},

	// the bar
	"bar_caption":       {"Difference in goal rate, contacted − holdout, in percentage points. Left of zero: fewer %s with the flow.", "Verschil in doelpercentage, benaderd − controlegroep, in procentpunten. Links van nul: minder %s met de flow."},
	"bar_caption_count": {"Difference in %s per 1,000 entrants, contacted − holdout. Left of zero: fewer with the flow.", "Verschil in %s per 1.000 instromers, benaderd − controlegroep. Links van nul: minder met de flow."},
	"bar_ci":            {"%s%% interval", "%s%%-interval"},
	"bar_seq":           {"always-valid", "altijd-geldig"},
	"bar_est":           {"%s (%s)", "%s (%s)"},
	"bar_alt_est":       {"%s: %s %s, estimate %s; %s.", "%s: %s %s, schatting %s; %s."},
	"bar_alt":           {"%s: %s %s; %s.", "%s: %s %s; %s."},
	"bar_below_zero":    {"entirely below zero", "helemaal onder nul"},
	"bar_above_zero":    {"entirely above zero", "helemaal boven nul"},
	"bar_contains_zero": {"zero lies inside", "nul ligt erbinnen"},
	"bar_undefined":     {"not yet known", "nog onbekend"},

	// verdicts
	"ci":                  {"%s%% CI %s", "%s%%-BI %s"},
	"est_ci":              {"%s (%s%% CI %s)", "%s (%s%%-BI %s)"},
	"est_unit_ci":         {"%s %s (%s%% CI %s)", "%s %s (%s%%-BI %s)"},
	"to":                  {"%s to %s", "%s tot %s"},
	"verdict_avoided":     {"%s avoided %s %s per 1,000 entrants, %s.", "%s voorkwam %s %s per 1.000 instromers, %s."},
	"verdict_caused":      {"%s caused %s more %s per 1,000 entrants, %s.", "%s veroorzaakte %s %s extra per 1.000 instromers, %s."},
	"verdict_zero":        {" The interval includes zero: no effect is shown yet.", " Het interval bevat nul: er is nog geen effect aangetoond."},
	"verdict_no_goal":     {"%s has no goal, so its effect is not measured: add one to compare the arms.", "%s heeft geen doel, dus het effect wordt niet gemeten: voeg er een toe om de groepen te vergelijken."},
	"verdict_wait_until":  {"No goal window has closed yet; all of the current ones close by %s.", "Nog geen doelvenster is gesloten; de huidige sluiten uiterlijk op %s."},
	"verdict_no_holdout":  {"%s keeps no holdout, so there is nobody to compare with: set holdout on the flow to measure it.", "%s heeft geen controlegroep, dus er is niemand om mee te vergelijken: zet holdout in de flow om het effect te meten."},
	"status_no_holdout":   {"no holdout", "geen controlegroep"},
	"verdict_no_entrants": {"No entrants yet in this period.", "Nog geen instromers in deze periode."},
	"verdict_too_few":     {"Too few closed runs in both arms to compare yet.", "Nog te weinig gesloten runs in beide groepen om te vergelijken."},
	"status_no_goal":      {"no goal", "geen doel"},
	"status_waiting":      {"windows open", "vensters open"},
	"status_no_data":      {"too little data", "te weinig gegevens"},
	"status_fewer":        {"fewer %s", "minder %s"},
	"status_more":         {"more %s", "meer %s"},
	"status_unclear":      {"no effect shown yet", "nog geen effect aangetoond"},
	"verdict":             {"Verdict", "Oordeel"},
}
