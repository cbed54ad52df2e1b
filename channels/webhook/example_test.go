package webhook_test

import (
	"fmt"
	"time"

	"github.com/aheadhq/ahead/channels/webhook"
)

// A receiver checks each request with the shared secret before it trusts
// the body. It passes the raw body, exactly as received, and the
// X-Ahead-Signature header.
func ExampleVerify() {
	secret := []byte("whsec-0123456789abcdef")
	body := []byte(`{"intervention_id":"iv_1","channel":"webhook","text":"Hoi Anna"}`)
	sent := time.Unix(1795425120, 0)
	header := webhook.Sign(secret, sent, body) // what ahead sends

	// Received a second later: valid.
	fmt.Println(webhook.Verify(secret, header, body, 5*time.Minute, sent.Add(time.Second)))
	// A changed body.
	fmt.Println(webhook.Verify(secret, header, []byte(`{"text":"Hoi Bob"}`), 5*time.Minute, sent))
	// The same request replayed an hour later.
	fmt.Println(webhook.Verify(secret, header, body, 5*time.Minute, sent.Add(time.Hour)))
	// No header at all.
	fmt.Println(webhook.Verify(secret, "", body, 5*time.Minute, sent))
	// Output:
	// <nil>
	// no signature matches: none of 1 v1 signatures is the body's signature with this secret
	// timestamp outside the tolerance: signed 1h0m0s ago, more than 5m0s
	// no signature: the header is empty
}

func ExampleNew() {
	ch, err := webhook.New(webhook.Config{
		URL:    "https://hooks.example.com/ahead",
		Secret: "whsec-0123456789abcdef",
		Flows:  map[string]string{"late-order": "https://crm.example.com/hooks/late-order"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(ch.Name(), ch.URL("late-order"), ch.URL("new-subscriber"))

	_, err = webhook.New(webhook.Config{URL: "hooks.example.com", Flows: map[string]string{"late-order": ""}})
	fmt.Println(err)
	// Output:
	// webhook https://crm.example.com/hooks/late-order https://hooks.example.com/ahead
	// webhook.url: not an absolute http(s) URL
	// webhook.secret: required
	// webhook.flows.late-order: required
}
