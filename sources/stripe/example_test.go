package stripe_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/aheadhq/ahead/sources/stripe"
)

func ExampleMapping_Event() {
	payload := []byte(`{
	  "id": "evt_1PaymentFailed",
	  "object": "event",
	  "type": "invoice.payment_failed",
	  "created": 1795425120,
	  "data": {"object": {
	    "id": "in_555", "customer": "cus_123", "subscription": "sub_987",
	    "amount_due": 4790, "currency": "eur", "attempt_count": 2,
	    "hosted_invoice_url": "https://invoice.stripe.com/i/acct_1/test_555"
	  }}
	}`)
	secret := "whsec_0123456789abcdef"
	now := time.Unix(1795425125, 0)
	header := stripe.Sign(payload, secret, time.Unix(1795425120, 0)) // what Stripe sends

	if err := stripe.Verify(payload, header, secret, 0, now); err != nil {
		fmt.Println("400:", err)
		return
	}
	ev, err := stripe.Default().Event(payload)
	switch {
	case errors.Is(err, stripe.ErrIgnored):
		fmt.Println("200, ignored:", err)
		return
	case err != nil:
		fmt.Println("400:", err)
		return
	}
	fmt.Println(ev.ID, ev.Type, ev.CustomerID, ev.Subject, ev.OccurredAt.Format(time.RFC3339))
	fmt.Println(ev.Data["amount_due"], ev.Data["currency"], ev.Data["attempt_count"])

	_, err = stripe.Default().Event([]byte(`{"id":"evt_2","type":"charge.succeeded","created":1795425120}`))
	fmt.Println(err)
	// Output:
	// stripe_evt_1PaymentFailed invoice.payment_failed cus_123 in_555 2026-11-23T09:12:00Z
	// 47.90 eur 2
	// map stripe event evt_2 (charge.succeeded): type not mapped: ignored
}
