package twilio

import "strings"

// Keywords that change a customer's consent when they are the whole body of
// an inbound message, in any case, with surrounding space. Twilio itself
// acts on the English ones for SMS; AFMELDEN and AANMELDEN are the Dutch
// words.
var (
	optOutKeywords = []string{"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "AFMELDEN"}
	optInKeywords  = []string{"START", "UNSTOP", "AANMELDEN"}
)

// Keyword reports whether the body of an inbound message is an opt-out
// keyword (STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT, AFMELDEN) or an
// opt-in keyword (START, UNSTOP, AANMELDEN). Any other text, a keyword
// inside a sentence among it, is neither.
func Keyword(body string) (optOut, optIn bool) {
	w := strings.ToUpper(strings.TrimSpace(body))
	for _, k := range optOutKeywords {
		if w == k {
			return true, false
		}
	}
	for _, k := range optInKeywords {
		if w == k {
			return false, true
		}
	}
	return false, false
}
