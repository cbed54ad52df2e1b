package twilio_test

import (
	"net/url"
	"testing"

	"github.com/twilio/twilio-go/client"

	"github.com/aheadhq/ahead/channels/twilio"
)

const statusURL = "https://ahead.example.com/v1/webhooks/twilio/status?channel=sms&customer=cus_123&intervention=iv_01JABC"

func statusParams() url.Values {
	return url.Values{
		"MessageSid":    {"SM00000000000000000000000000000001"},
		"MessageStatus": {"undelivered"},
		"ErrorCode":     {"30003"},
		"To":            {customerTo},
		"AccountSid":    {accountSID},
	}
}

// TestSignMatchesTwilioValidator checks Sign against twilio-go's own
// validator, which is what Twilio's signatures are checked with.
func TestSignMatchesTwilioValidator(t *testing.T) {
	t.Parallel()
	params := statusParams()
	sig := twilio.Sign(authToken, statusURL, params)
	m := map[string]string{}
	for k := range params {
		m[k] = params.Get(k)
	}
	v := client.NewRequestValidator(authToken)
	if !v.Validate(statusURL, m, sig) {
		t.Fatalf("twilio-go's validator rejects Sign's signature %q", sig)
	}
}

// TestSignKnownValue checks Sign against a signature computed by hand from
// Twilio's documented recipe (HMAC-SHA1 of URL + sorted name/value pairs,
// base64), so Sign and Validate cannot agree on a wrong recipe.
func TestSignKnownValue(t *testing.T) {
	t.Parallel()
	// The example of Twilio's security docs, also computed with
	// printf '%s' 'https://mycompany.com/myapp.php?foo=1&bar=2CallSidCA1234567890ABCDECaller+12349013030Digits1234From+12349013030To+18005551212' |
	//   openssl dgst -sha1 -hmac 12345 -binary | base64
	params := url.Values{
		"CallSid": {"CA1234567890ABCDE"},
		"Caller":  {"+12349013030"},
		"Digits":  {"1234"},
		"From":    {"+12349013030"},
		"To":      {"+18005551212"},
	}
	const want = "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
	if got := twilio.Sign("12345", "https://mycompany.com/myapp.php?foo=1&bar=2", params); got != want {
		t.Errorf("Sign = %q, want %q", got, want)
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	params := statusParams()
	sig := twilio.Sign(authToken, statusURL, params)
	if !twilio.Validate(authToken, statusURL, params, sig) {
		t.Fatal("Validate rejects a good signature")
	}
	tampered := statusParams()
	tampered.Set("MessageStatus", "delivered")
	other, _ := url.Parse(statusURL)
	q := other.Query()
	q.Set("intervention", "iv_other")
	other.RawQuery = q.Encode()
	tests := []struct {
		name, token, url string
		params           url.Values
		sig              string
	}{
		{"wrong token", "othertoken", statusURL, params, sig},
		{"changed parameter", authToken, statusURL, tampered, sig},
		{"added parameter", authToken, statusURL, func() url.Values { p := statusParams(); p.Set("Extra", "1"); return p }(), sig},
		{"other intervention in the URL", authToken, other.String(), params, sig},
		{"listening address instead of the public URL", authToken, "http://127.0.0.1:8080/v1/webhooks/twilio/status?channel=sms&customer=cus_123&intervention=iv_01JABC", params, sig},
		{"no signature", authToken, statusURL, params, ""},
		{"no token", "", statusURL, params, twilio.Sign("", statusURL, params)},
		{"garbage", authToken, statusURL, params, "bm90IGEgc2lnbmF0dXJl"},
	}
	for _, tt := range tests {
		if twilio.Validate(tt.token, tt.url, tt.params, tt.sig) {
			t.Errorf("%s: Validate accepted it", tt.name)
		}
	}
}

func TestValidateWithPort(t *testing.T) {
	t.Parallel()
	// Twilio signs some URLs with the default port and some without;
	// the validator accepts both.
	params := statusParams()
	withPort := "https://ahead.example.com:443/v1/webhooks/twilio/status"
	sig := twilio.Sign(authToken, withPort, params)
	if !twilio.Validate(authToken, "https://ahead.example.com/v1/webhooks/twilio/status", params, sig) {
		t.Error("Validate rejects a signature made with the default port")
	}
}
