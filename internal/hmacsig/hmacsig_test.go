package hmacsig_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aheadhq/ahead/internal/hmacsig"
)

func TestSignKnownValue(t *testing.T) {
	t.Parallel()
	// printf '1700000000.{"a":1}' | openssl dgst -sha256 -hmac secret
	got := hmacsig.Sign([]byte("secret"), time.Unix(1700000000, 0), []byte(`{"a":1}`))
	want := "t=1700000000,v1=49f24e537407743fa4a0242bb63b94b9a47ee99cbbe071ccd8a22550ae411686"
	if got != want {
		t.Errorf("Sign = %q, want %q", got, want)
	}
}

func TestVerify(t *testing.T) {
	t.Parallel()
	secret := []byte("whsec_test_secret")
	body := []byte(`{"id":"evt_1"}`)
	at := time.Unix(1700000000, 0)
	good := hmacsig.Sign(secret, at, body)
	_, goodSig, _ := strings.Cut(good, ",v1=")
	other := hmacsig.Sign([]byte("another secret"), at, body)
	_, otherSig, _ := strings.Cut(other, ",v1=")

	tests := []struct {
		name   string
		header string
		body   []byte
		now    time.Time
		tol    time.Duration
		want   error
		msg    string
	}{
		{name: "valid", header: good, now: at.Add(time.Minute)},
		{name: "spaces and v0 ignored", header: " t=1700000000 , v0=abc, v1=" + goodSig + " ", now: at},
		{name: "second v1 matches", header: "t=1700000000,v1=" + otherSig + ",v1=" + goodSig, now: at},
		{name: "upper-case hex", header: "t=1700000000,v1=" + strings.ToUpper(goodSig), now: at},
		{name: "at the edge of the tolerance", header: good, now: at.Add(5 * time.Minute)},
		{name: "empty", header: "  ", now: at, want: hmacsig.ErrNoSignature,
			msg: "no signature: the header is empty"},
		{name: "no v1", header: "t=1700000000,v0=" + goodSig, now: at, want: hmacsig.ErrNoSignature,
			msg: "no signature: no v1 signature in the header"},
		{name: "no timestamp", header: "v1=" + goodSig, now: at, want: hmacsig.ErrBadHeader,
			msg: "bad signature header: no timestamp (t=)"},
		{name: "two timestamps", header: "t=1,t=2,v1=" + goodSig, now: at, want: hmacsig.ErrBadHeader,
			msg: "bad signature header: more than one timestamp"},
		{name: "timestamp not a number", header: "t=yesterday,v1=" + goodSig, now: at, want: hmacsig.ErrBadHeader,
			msg: `bad signature header: timestamp "yesterday" is not a number of seconds`},
		{name: "signed timestamp", header: "t=+1700000000,v1=" + goodSig, now: at, want: hmacsig.ErrBadHeader,
			msg: `bad signature header: timestamp "+1700000000" is not a number of seconds`},
		{name: "item without =", header: "t=1700000000," + goodSig, now: at, want: hmacsig.ErrBadHeader,
			msg: "bad signature header: item 2 is not key=value"},
		{name: "wrong secret", header: other, now: at, want: hmacsig.ErrNoMatch,
			msg: "no signature matches: none of 1 v1 signatures is the body's signature with this secret"},
		{name: "body changed", header: good, body: []byte(`{"id":"evt_2"}`), now: at, want: hmacsig.ErrNoMatch},
		{name: "timestamp changed", header: "t=1700000001,v1=" + goodSig, now: at, want: hmacsig.ErrNoMatch},
		{name: "not hex", header: "t=1700000000,v1=zz", now: at, want: hmacsig.ErrNoMatch},
		{name: "stale", header: good, now: at.Add(5*time.Minute + time.Second), want: hmacsig.ErrStale,
			msg: "timestamp outside the tolerance: signed 5m1s ago, more than 5m0s"},
		{name: "future", header: good, now: at.Add(-time.Hour), tol: 10 * time.Minute, want: hmacsig.ErrStale,
			msg: "timestamp outside the tolerance: signed 1h0m0s in the future, more than 10m0s"},
		{name: "own tolerance", header: good, now: at.Add(time.Hour), tol: 2 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := body
			if tt.body != nil {
				b = tt.body
			}
			err := hmacsig.Verify(secret, tt.header, b, tt.tol, tt.now)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Fatalf("Verify = %v, want %v", err, tt.want)
			}
			if tt.msg != "" && err.Error() != tt.msg {
				t.Errorf("Verify = %q, want %q", err, tt.msg)
			}
			if err != nil && strings.Contains(err.Error(), goodSig) {
				t.Errorf("the error shows the signature: %v", err)
			}
		})
	}
}
