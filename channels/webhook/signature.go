package webhook

import (
	"time"

	"github.com/aheadhq/ahead/internal/hmacsig"
)

// SignatureHeader is the request header that carries the signature.
const SignatureHeader = "X-Ahead-Signature"

// DefaultTolerance is how far a signature's timestamp may lie from the
// receiver's clock when Verify is given no tolerance.
const DefaultTolerance = hmacsig.DefaultTolerance

// Errors of Verify, for errors.Is.
var (
	// ErrNoSignature: the header is empty or holds no v1 signature.
	ErrNoSignature = hmacsig.ErrNoSignature
	// ErrBadHeader: the header is not "t=<unix seconds>,v1=<hex>".
	ErrBadHeader = hmacsig.ErrBadHeader
	// ErrNoMatch: no v1 signature is the body's signature with the secret.
	ErrNoMatch = hmacsig.ErrNoMatch
	// ErrStale: the signature is valid, but its timestamp lies further
	// from now than the tolerance allows: a replayed request, or a clock
	// that is off.
	ErrStale = hmacsig.ErrStale
)

// Sign returns the X-Ahead-Signature value for body signed with secret at
// t: "t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>", the
// scheme of Stripe's webhooks.
func Sign(secret []byte, t time.Time, body []byte) string {
	return hmacsig.Sign(secret, t, body)
}

// Verify checks a request a receiver got from the webhook channel: header
// is its X-Ahead-Signature, body the raw request body, exactly as
// received. It returns nil when a v1 signature in header is body's
// signature with secret and its timestamp lies within tolerance of now
// (DefaultTolerance when tolerance is not positive), in the past or in
// the future. Any one of several v1 values may match. Signatures are
// compared in constant time.
//
// The error wraps ErrNoSignature, ErrBadHeader, ErrNoMatch or ErrStale and
// says what is wrong; it never shows the secret or a signature.
func Verify(secret []byte, header string, body []byte, tolerance time.Duration, now time.Time) error {
	return hmacsig.Verify(secret, header, body, tolerance, now)
}
