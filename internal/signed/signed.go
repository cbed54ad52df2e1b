package signed

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"
)

var b64 = base64.RawURLEncoding

// ErrBadToken is returned for a token that is malformed or not signed with the key.
var ErrBadToken = errors.New("bad or forged token")

// Token returns a token for customer and channel.
func Token(key []byte, customer, channel string) string {
	body := b64.EncodeToString([]byte(customer + "\x00" + channel))
	return body + "." + b64.EncodeToString(mac(key, body))
}

// Parse checks a token and returns the customer and channel it names.
func Parse(key []byte, token string) (customer, channel string, err error) {
	body, sig, ok := strings.Cut(token, ".")
	if !ok {
		return "", "", ErrBadToken
	}
	got, err := b64.DecodeString(sig)
	if err != nil || !hmac.Equal(got, mac(key, body)) {
		return "", "", ErrBadToken
	}
	raw, err := b64.DecodeString(body)
	if err != nil {
		return "", "", ErrBadToken
	}
	customer, channel, ok = strings.Cut(string(raw), "\x00")
	if !ok || customer == "" || channel == "" {
		return "", "", ErrBadToken
	}
	return customer, channel, nil
}

func mac(key []byte, body string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(body))
	return h.Sum(nil)
}
