package twilio

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"net/url"
	"slices"

	"github.com/twilio/twilio-go/client"
)

// Validate reports whether signature, the X-Twilio-Signature header of a
// webhook request, is Twilio's signature of the request with authToken.
// fullURL is the URL Twilio called, as Twilio knows it: the public URL
// (api.public_url + path) with the request's query string, not the address
// the server listens on. params is the posted form; only the first value
// of each key counts, as in Twilio's validator. An empty token or
// signature never validates.
func Validate(authToken, fullURL string, params url.Values, signature string) bool {
	if authToken == "" || signature == "" {
		return false
	}
	v := client.NewRequestValidator(authToken)
	return v.Validate(fullURL, first(params), signature)
}

// Sign returns the X-Twilio-Signature Twilio would send for a POST of
// params to fullURL: the base64 HMAC-SHA1, keyed with authToken, of the URL
// followed by each parameter's name and (first) value, sorted by name. It
// is for tests and tools that play Twilio.
func Sign(authToken, fullURL string, params url.Values) string {
	m := first(params)
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	mac := hmac.New(sha1.New, []byte(authToken))
	mac.Write([]byte(fullURL))
	for _, k := range keys {
		mac.Write([]byte(k + m[k]))
	}
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// first keeps the first value of each key.
func first(params url.Values) map[string]string {
	m := make(map[string]string, len(params))
	for k, vs := range params {
		if len(vs) > 0 {
			m[k] = vs[0]
		}
	}
	return m
}
