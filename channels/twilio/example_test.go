package twilio_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"

	"github.com/aheadhq/ahead/channels"
	"github.com/aheadhq/ahead/channels/twilio"
)

func ExampleMask() {
	fmt.Println(twilio.Mask("+31612345678"))
	fmt.Println(twilio.Mask("whatsapp:+31612345678"))
	// Output:
	// +3161****678
	// whatsapp:+3161****678
}

func ExampleClassify() {
	for _, f := range []struct{ status, code int }{{429, 20429}, {503, 0}, {400, 21610}, {400, 21606}} {
		permanent, meaning := twilio.Classify(f.status, f.code)
		fmt.Printf("%d/%d: permanent=%v (%s)\n", f.status, f.code, permanent, meaning)
	}
	// Output:
	// 429/20429: permanent=false (too many requests)
	// 503/0: permanent=false (Twilio server error)
	// 400/21610: permanent=true (the recipient unsubscribed (replied STOP))
	// 400/21606: permanent=true (refused or failed: any other 4xx answer or error code)
}

func ExampleKeyword() {
	for _, body := range []string{"Stop", " afmelden ", "START", "stop met die berichten"} {
		out, in := twilio.Keyword(body)
		fmt.Printf("%q: opt-out %v, opt-in %v\n", body, out, in)
	}
	// Output:
	// "Stop": opt-out true, opt-in false
	// " afmelden ": opt-out true, opt-in false
	// "START": opt-out false, opt-in true
	// "stop met die berichten": opt-out false, opt-in false
}

func ExampleValidate() {
	const token = "secret0token"
	// The public URL Twilio called, with its query string.
	u := "https://ahead.example.com/v1/webhooks/twilio/status?channel=sms&customer=cus_123&intervention=iv_1"
	form := url.Values{"MessageSid": {"SM00000000000000000000000000000001"}, "MessageStatus": {"delivered"}}
	sig := twilio.Sign(token, u, form) // what Twilio sends as X-Twilio-Signature
	fmt.Println(twilio.Validate(token, u, form, sig))
	fmt.Println(twilio.Validate(token, "http://127.0.0.1:8080/v1/webhooks/twilio/status", form, sig))
	// Output:
	// true
	// false
}

// A WhatsApp message outside the customer's 24-hour window needs an
// approved content template; without one it fails permanently and the step
// moves to its next channel, without asking Twilio.
func ExampleErrOutsideWindow() {
	ch, err := twilio.NewWhatsApp(twilio.Config{
		AccountSID:   "AC0123456789abcdef0123456789abcdef",
		AuthToken:    "secret0token",
		WhatsAppFrom: "+31201234567",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	_, err = ch.Send(context.Background(), &channels.Message{ID: "iv_1", To: "+31612345678", Text: "Hoi Anna"})
	fmt.Println(err)
	fmt.Println(channels.IsPermanent(err), errors.Is(err, twilio.ErrOutsideWindow))
	// Output:
	// whatsapp: permanent failure: outside WhatsApp window, no template
	// true true
}
