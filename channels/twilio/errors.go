package twilio

import (
	"fmt"
	"strconv"
	"strings"
)

// Class is one row of the table that classifies Twilio's failures.
//
// Code is a Twilio error code (21211), or for the rows that stand for a
// kind of answer rather than a code: an HTTP status (429), 500 for every
// 5xx status, 400 for every other 4xx status or error code, and 0 for no
// answer at all.
// Label shows which.
type Class struct {
	Code      int
	Meaning   string
	Permanent bool
}

// Rows of Classes that stand for a kind of answer rather than a Twilio
// error code.
const (
	// CodeNoAnswer: a network error, a timeout or a cancelled request.
	CodeNoAnswer = 0
	// CodeOther4xx: any 4xx answer, and any error code of a failed message,
	// that has no row of its own.
	CodeOther4xx = 400
	// CodeTooMany: HTTP 429.
	CodeTooMany = 429
	// Code5xx: any 5xx answer whose code has no row of its own.
	Code5xx = 500
)

// Classes is the table that classifies Twilio's failures, used by Send, by
// the status webhook for a message's ErrorCode, and shown in the docs.
// Transient failures are retried with backoff; permanent ones are not, and
// the step falls back to its next channel.
var Classes = []Class{
	{CodeTooMany, "too many requests", false},
	{20429, "too many requests", false},
	{Code5xx, "Twilio server error", false},
	{CodeNoAnswer, "no answer: network error, timeout or cancelled request", false},
	{21211, "invalid 'To' phone number", true},
	{21408, "sending to this region is not enabled", true},
	{21610, "the recipient unsubscribed (replied STOP)", true},
	{21614, "'To' number is not a valid mobile number", true},
	{21635, "'To' number cannot receive this message (not a valid mobile number, cannot be routed)", true},
	{63016, "WhatsApp: outside the 24-hour window, a template is required", true},
	{CodeOther4xx, "refused or failed: any other 4xx answer or error code", true},
}

// Label is how the docs and error messages name the row: "21211",
// "HTTP 429", "HTTP 5xx", "other 4xx or code" or "no answer".
func (c Class) Label() string {
	switch c.Code {
	case CodeNoAnswer:
		return "no answer"
	case CodeOther4xx:
		return "other 4xx or code"
	case CodeTooMany:
		return "HTTP 429"
	case Code5xx:
		return "HTTP 5xx"
	}
	return strconv.Itoa(c.Code)
}

// isCode reports whether the row is for a Twilio error code.
func (c Class) isCode() bool {
	switch c.Code {
	case CodeNoAnswer, CodeOther4xx, CodeTooMany, Code5xx:
		return false
	}
	return true
}

// Lookup returns the row for a Twilio error code, if the table has one.
func Lookup(code int) (Class, bool) {
	for _, c := range Classes {
		if c.isCode() && c.Code == code {
			return c, true
		}
	}
	return Class{}, false
}

func row(code int) Class {
	for _, c := range Classes {
		if c.Code == code {
			return c
		}
	}
	panic(fmt.Sprintf("twilio: no row %d in Classes", code))
}

// Classify says whether a failure with HTTP status httpStatus (0 when there
// was no answer) and Twilio error code code (0 when there is none) is
// permanent, and what it means. A code with a row of its own decides;
// otherwise 429 and 5xx are transient, any other 4xx is permanent, and no
// answer is transient. A status callback's ErrorCode is classified with
// httpStatus 0: a code without a row of its own is then permanent, since
// the message failed.
func Classify(httpStatus, code int) (permanent bool, meaning string) {
	c := classify(httpStatus, code)
	return c.Permanent, c.Meaning
}

func classify(httpStatus, code int) Class {
	if c, ok := Lookup(code); ok {
		return c
	}
	switch {
	case httpStatus == 429:
		return row(CodeTooMany)
	case httpStatus >= 500:
		return row(Code5xx)
	case httpStatus >= 400:
		return row(CodeOther4xx)
	case code != 0:
		// A code without an answer: a failed message's ErrorCode.
		return row(CodeOther4xx)
	}
	return row(CodeNoAnswer)
}

// APIError is an error answer from Twilio. Phone numbers in Message are
// masked.
type APIError struct {
	// Status is the HTTP status; Code Twilio's error code, 0 when the
	// answer had none.
	Status, Code int
	Message      string
	MoreInfo     string
	// Meaning and Permanent are the answer's row in Classes.
	Meaning   string
	Permanent bool
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "twilio answered %d", e.Status)
	if e.Code != 0 {
		fmt.Fprintf(&b, " with error %d", e.Code)
	}
	fmt.Fprintf(&b, " (%s)", e.Meaning)
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	if e.MoreInfo != "" {
		b.WriteString(" <" + e.MoreInfo + ">")
	}
	return b.String()
}

// providerCode is the code a channels.Error carries: Twilio's error code,
// else the HTTP status, else "".
func providerCode(status, code int) string {
	switch {
	case code != 0:
		return strconv.Itoa(code)
	case status != 0:
		return strconv.Itoa(status)
	}
	return ""
}
