package hmacsig

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// DefaultTolerance is how far a signature's timestamp may lie from now
// when Verify is given no tolerance.
const DefaultTolerance = 5 * time.Minute

// Errors of Verify, for errors.Is.
var (
	// ErrNoSignature: the header is empty or holds no v1 signature.
	ErrNoSignature = errors.New("no signature")
	// ErrBadHeader: the header is not "t=<unix seconds>,v1=<hex>,…".
	ErrBadHeader = errors.New("bad signature header")
	// ErrNoMatch: no v1 signature is the body's signature with the secret.
	ErrNoMatch = errors.New("no signature matches")
	// ErrStale: the signature is valid but its timestamp lies further from
	// now than the tolerance allows, in the past or in the future.
	ErrStale = errors.New("timestamp outside the tolerance")
)

// Sign returns the header value for body signed with secret at t:
// "t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>".
func Sign(secret []byte, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac(secret, ts, body))
}

// Verify checks that header holds a v1 signature of body made with secret
// and that its timestamp lies within tolerance of now (DefaultTolerance
// when tolerance is not positive). Any one of several v1 values may match,
// so a sender can sign with an old and a new secret while the secret is
// being rotated; other schemes (v0) are ignored. The signatures are
// compared in constant time.
//
// The error wraps ErrNoSignature, ErrBadHeader, ErrNoMatch or ErrStale and
// says what is wrong; it never contains the secret or a signature.
func Verify(secret []byte, header string, body []byte, tolerance time.Duration, now time.Time) error {
	header = strings.TrimSpace(header)
	if header == "" {
		return fmt.Errorf("%w: the header is empty", ErrNoSignature)
	}
	ts, sigs, err := parse(header)
	if err != nil {
		return err
	}
	want := mac(secret, ts, body)
	matched := false
	for _, s := range sigs {
		got, err := hex.DecodeString(s)
		if err == nil && hmac.Equal(got, want) {
			matched = true
		}
	}
	if !matched {
		return fmt.Errorf("%w: none of %d v1 signatures is the body's signature with this secret", ErrNoMatch, len(sigs))
	}
	if tolerance <= 0 {
		tolerance = DefaultTolerance
	}
	sec, _ := strconv.ParseInt(ts, 10, 64)
	switch age := now.Sub(time.Unix(sec, 0)); {
	case age > tolerance:
		return fmt.Errorf("%w: signed %v ago, more than %v", ErrStale, age.Truncate(time.Second), tolerance)
	case -age > tolerance:
		return fmt.Errorf("%w: signed %v in the future, more than %v", ErrStale, (-age).Truncate(time.Second), tolerance)
	}
	return nil
}

// parse splits a header into its timestamp, as sent, and its v1 values.
func parse(header string) (ts string, sigs []string, err error) {
	for i, item := range strings.Split(header, ",") {
		key, value, ok := strings.Cut(strings.TrimSpace(item), "=")
		switch {
		case !ok:
			// The item is not shown: it may be part of a signature.
			return "", nil, fmt.Errorf("%w: item %d is not key=value", ErrBadHeader, i+1)
		case key == "t" && ts != "":
			return "", nil, fmt.Errorf("%w: more than one timestamp", ErrBadHeader)
		case key == "t":
			if _, err := strconv.ParseInt(value, 10, 64); err != nil || value == "" || value[0] == '+' || value[0] == '-' {
				return "", nil, fmt.Errorf("%w: timestamp %q is not a number of seconds", ErrBadHeader, clip(value))
			}
			ts = value
		case key == "v1":
			sigs = append(sigs, value)
		}
	}
	if ts == "" {
		return "", nil, fmt.Errorf("%w: no timestamp (t=)", ErrBadHeader)
	}
	if len(sigs) == 0 {
		return "", nil, fmt.Errorf("%w: no v1 signature in the header", ErrNoSignature)
	}
	return ts, sigs, nil
}

// clip shortens what the header says for an error message.
func clip(s string) string {
	const most = 32
	if len(s) > most {
		return s[:most] + "…"
	}
	return s
}

func mac(secret []byte, ts string, body []byte) []byte {
	h := hmac.New(sha256.New, secret)
	h.Write([]byte(ts))
	h.Write([]byte{'.'})
	h.Write(body)
	return h.Sum(nil)
}
