package engine

import (
	"regexp"

	"github.com/aheadhq/ahead/internal/store"
)

var (
	emailText = regexp.MustCompile(`([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})`)
	phoneText = regexp.MustCompile(`\+?\d[\d ()-]{6,}(\d{2})`)
)

// Mask hides the email addresses and phone numbers in free text, such as
// a provider's error message, before it is logged: "a***@example.nl",
// "+31******78".
func Mask(s string) string {
	s = emailText.ReplaceAllString(s, "$1***@$2")
	return phoneText.ReplaceAllStringFunc(s, func(m string) string {
		keep := 3
		if m[0] != '+' {
			keep = 2
		}
		out := []byte(m)
		for i := keep; i < len(out)-2; i++ {
			if out[i] >= '0' && out[i] <= '9' {
				out[i] = '*'
			}
		}
		return string(out)
	})
}

// warnFailed logs each failed intervention among entries at warn level,
// with its flow, step and masked reason: a failure an operator should see
// without reading timelines.
func (w *Engine) warnFailed(iv *store.Intervention, entries []store.Entry) {
	for _, e := range entries {
		if e.State == store.Failed {
			w.o.Log.Warn("intervention failed", "flow", iv.Flow, "step", iv.Step, "intervention", iv.ID,
				"channel", e.Channel, "cause", e.Cause, "code", e.Code, "reason", Mask(e.Reason))
		}
	}
}
