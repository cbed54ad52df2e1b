package callbacks

import (
	"strings"
	"unicode"
)

// CheckAgent validates an agent name; it returns the problem, or "".
func CheckAgent(name string) string {
	switch {
	case name == "":
		return "agent: required"
	case len(name) > 100:
		return "agent: longer than 100 characters"
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		return "agent: must not contain control characters"
	}
	return ""
}
