package stripe

import (
	"time"

	"github.com/aheadhq/ahead/internal/hmacsig"
)

// SignatureHeader is the request header Stripe signs its events in.
const SignatureHeader = "Stripe-Signature"

// DefaultTolerance is how far the timestamp of a signature may lie from
// now when Verify is given no tolerance; Stripe's libraries use the same.
const DefaultTolerance = hmacsig.DefaultTolerance

// Errors of Verify, for errors.Is. A request that fails Verify should be
// answered 400 and not handled.
var (
	// ErrNoSignature: no Stripe-Signature header, or one without a v1
	// signature.
	ErrNoSignature = hmacsig.ErrNoSignature
	// ErrBadHeader: the header is not "t=<unix seconds>,v1=<hex>,…".
	ErrBadHeader = hmacsig.ErrBadHeader
	// ErrNoMatch: no v1 signature is the payload's signature with the
	// endpoint's secret: a forged request, a changed body or the wrong
	// secret (each Stripe endpoint, and test mode, has its own).
	ErrNoMatch = hmacsig.ErrNoMatch
	// ErrStale: the signature is valid but was made longer ago (or further
	// ahead) than the tolerance: a replayed request, or a clock that is off.
	ErrStale = hmacsig.ErrStale
)

// Verify checks a request from Stripe: payload is the raw request body,
// exactly as received (not re-encoded JSON), header its Stripe-Signature
// header and secret the endpoint's signing secret ("whsec_…"). It returns
// nil when one of the header's v1 signatures is the HMAC-SHA256 of
// "<t>.<payload>" with secret and t lies within tolerance of now
// (DefaultTolerance when tolerance is not positive). Several v1 values
// come while a secret is rolled; any one may match. v0 (test) signatures
// are ignored. Signatures are compared in constant time.
//
// The error wraps ErrNoSignature, ErrBadHeader, ErrNoMatch or ErrStale and
// says what is wrong; it never shows the secret or a signature.
func Verify(payload []byte, header string, secret string, tolerance time.Duration, now time.Time) error {
	return hmacsig.Verify([]byte(secret), header, payload, tolerance, now)
}

// Sign returns the Stripe-Signature header Stripe would send with payload
// at t for an endpoint with secret: "t=<unix seconds>,v1=<hex>". It is for
// tests and tools that play Stripe.
func Sign(payload []byte, secret string, t time.Time) string {
	return hmacsig.Sign([]byte(secret), t, payload)
}
