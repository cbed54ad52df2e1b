package twilio

import (
	"regexp"
	"strings"
)

const whatsappPrefix = "whatsapp:"

// Mask hides the middle of a phone number for logs and error messages: it
// keeps the first 5 and the last 3 characters and puts a star in place of
// each one between, so +31612345678 becomes +3161****678. A "whatsapp:"
// prefix is kept. Input of 8 characters or fewer becomes all stars.
func Mask(phone string) string {
	prefix := ""
	if rest, ok := strings.CutPrefix(phone, whatsappPrefix); ok {
		prefix, phone = whatsappPrefix, rest
	}
	r := []rune(phone)
	if len(r) <= 8 {
		return prefix + strings.Repeat("*", len(r))
	}
	return prefix + string(r[:5]) + strings.Repeat("*", len(r)-8) + string(r[len(r)-3:])
}

// numberPattern finds what may be a phone number in a provider's message.
var numberPattern = regexp.MustCompile(`\+?[0-9][0-9 ()-]{5,}[0-9]`)

// scrub masks everything in s that looks like a phone number.
func scrub(s string) string {
	return numberPattern.ReplaceAllStringFunc(s, func(n string) string {
		digits := strings.Map(func(r rune) rune {
			if r == '+' || r >= '0' && r <= '9' {
				return r
			}
			return -1
		}, n)
		return Mask(digits)
	})
}
