// Package stripe turns Stripe webhook events into ahead events, for the
// route POST /v1/sources/stripe.
//
// It owns checking the Stripe-Signature header (Verify; Sign plays Stripe
// in tests) and mapping a Stripe event to a flows.Event (Mapping): the
// default rules for subscriptions, invoices and expiring cards (Default),
// and a YAML mapping file in which operations staff add or replace rules
// (LoadMapping). The ahead event's id is "stripe_" + Stripe's event id, so
// Stripe's retries of an event are repeats that ahead acknowledges and
// ignores.
//
// # Wiring
//
// Load the mapping once at start-up (Default, or LoadMapping when a file
// is configured); a bad file stops start-up with "file:line: field:
// message". The HTTP handler is then:
//
//	payload, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
//	// 400 on err
//	if err := stripe.Verify(payload, r.Header.Get(stripe.SignatureHeader), secret, 0, now); err != nil {
//		// 400: not from Stripe, or replayed
//	}
//	ev, err := mapping.Event(payload)
//	switch {
//	case errors.Is(err, stripe.ErrIgnored):
//		// 200, counted: not for ahead
//	case err != nil:
//		// 400: not a Stripe event, or it does not fit its rule
//	}
//	// ingest ev as POST /v1/events would; 200 once it is accepted
//
// Stripe retries an event that is not answered 2xx for up to three days,
// so a failure to ingest should be answered 5xx.
//
// The package must not import Redis, asynq, the engine or HTTP handlers,
// must not log, and reads no clock: the caller passes now in.
package stripe
