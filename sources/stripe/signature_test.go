package stripe_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aheadhq/ahead/sources/stripe"
)

const (
	testSecret = "whsec_test_5f3c0a1b2c3d4e5f"
	oldSecret  = "whsec_test_old_0a1b2c3d4e5f"
)

// sentAt is when the fixtures are signed.
var sentAt = time.Date(2026, 11, 23, 9, 12, 0, 0, time.UTC)

func TestVerify(t *testing.T) {
	t.Parallel()
	payload := []byte(subscriptionCreated)
	signed := stripe.Sign(payload, testSecret, sentAt)
	_, v1, _ := strings.Cut(signed, ",v1=")
	_, oldV1, _ := strings.Cut(stripe.Sign(payload, oldSecret, sentAt), ",v1=")
	ts := "t=" + strings.TrimPrefix(strings.SplitN(signed, ",", 2)[0], "t=")

	tests := []struct {
		name    string
		header  string
		payload []byte
		secret  string
		now     time.Time
		tol     time.Duration
		want    error
	}{
		{name: "valid", header: signed, now: sentAt.Add(30 * time.Second)},
		{name: "rolled secret: the second v1 matches", header: ts + ",v1=" + oldV1 + ",v1=" + v1, now: sentAt},
		{name: "v0 test signature ignored", header: ts + ",v1=" + v1 + ",v0=6ffbb59b2300aae63f272406069a9788598b792a944a07aba816edb039989a39", now: sentAt},
		{name: "unsigned", header: "", now: sentAt, want: stripe.ErrNoSignature},
		{name: "only v0", header: ts + ",v0=" + v1, now: sentAt, want: stripe.ErrNoSignature},
		{name: "wrong secret", header: signed, secret: "whsec_someone_else", now: sentAt, want: stripe.ErrNoMatch},
		{name: "only the old secret's signature", header: ts + ",v1=" + oldV1, now: sentAt, want: stripe.ErrNoMatch},
		{name: "payload changed", header: signed, payload: []byte(strings.Replace(subscriptionCreated, "cus_123", "cus_999", 1)), now: sentAt, want: stripe.ErrNoMatch},
		{name: "stale", header: signed, now: sentAt.Add(5*time.Minute + time.Second), want: stripe.ErrStale},
		{name: "stale for a tighter tolerance", header: signed, now: sentAt.Add(2 * time.Minute), tol: time.Minute, want: stripe.ErrStale},
		{name: "from the future", header: signed, now: sentAt.Add(-10 * time.Minute), want: stripe.ErrStale},
		{name: "bad header", header: "t=now,v1=" + v1, now: sentAt, want: stripe.ErrBadHeader},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, secret := payload, testSecret
			if tt.payload != nil {
				p = tt.payload
			}
			if tt.secret != "" {
				secret = tt.secret
			}
			err := stripe.Verify(p, tt.header, secret, tt.tol, tt.now)
			if (tt.want == nil) != (err == nil) || !errors.Is(err, tt.want) {
				t.Fatalf("Verify = %v, want %v", err, tt.want)
			}
			if err != nil && (strings.Contains(err.Error(), v1) || strings.Contains(err.Error(), secret)) {
				t.Errorf("the error shows a signature or the secret: %v", err)
			}
		})
	}
}

func TestVerifyMessages(t *testing.T) {
	t.Parallel()
	payload := []byte(`{"id":"evt_1"}`)
	signed := stripe.Sign(payload, testSecret, sentAt)
	for _, tt := range []struct {
		header string
		now    time.Time
		want   string
	}{
		{"", sentAt, "no signature: the header is empty"},
		{"v1=abc", sentAt, "bad signature header: no timestamp (t=)"},
		{signed, sentAt, ""},
		{stripe.Sign(payload, "whsec_other", sentAt), sentAt, "no signature matches: none of 1 v1 signatures is the body's signature with this secret"},
		{signed, sentAt.Add(time.Hour), "timestamp outside the tolerance: signed 1h0m0s ago, more than 5m0s"},
	} {
		err := stripe.Verify(payload, tt.header, testSecret, 0, tt.now)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tt.want {
			t.Errorf("Verify(%.20q) = %q, want %q", tt.header, got, tt.want)
		}
	}
}
