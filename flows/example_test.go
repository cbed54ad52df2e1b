package flows_test

import (
	"fmt"
	"log"
	"time"

	"github.com/aheadhq/ahead/flows"
)

func ExampleSimulate() {
	const yaml = `
flow: new-subscriber-reassurance
phase: retention
trigger:
  event: subscription.created
  if: event.data.plan != "trial"
steps:
  - id: reassurance-call
    after: 2d
    window: { days: mon-fri, hours: "09:00-17:00" }
    channel: callback
    queue: retention
    template: reassurance-call
  - id: invoice-explainer
    after: 4d
    at: "10:00"
    channels: [whatsapp, email]
    template: first-invoice-explainer
`
	set, err := flows.Parse("flows.yaml", []byte(yaml), nil)
	if err != nil {
		log.Fatal(err)
	}
	ev := &flows.Event{
		ID:         "evt_8f2c",
		Type:       "subscription.created",
		CustomerID: "cus_123",
		OccurredAt: time.Date(2026, 11, 27, 15, 30, 0, 0, time.UTC), // a Friday
		Customer:   &flows.Customer{Timezone: "Europe/Amsterdam"},
		Data:       map[string]any{"plan": "family"},
	}
	planned, err := flows.Simulate(set, ev, ev.OccurredAt, "UTC")
	if err != nil {
		log.Fatal(err)
	}
	for _, p := range planned {
		fmt.Printf("%s %v due %s\n  %s\n", p.Step, p.Channels, p.DueLocal, p.Reason)
	}
	// Output:
	// reassurance-call [callback] due 2026-11-30T09:00:00+01:00
	//   after 2d: 2026-11-29 16:30 CET; outside window mon-fri 09:00-17:00: moved to next opening 2026-11-30 09:00 CET
	// invoice-explainer [whatsapp email] due 2026-12-01T10:00:00+01:00
	//   after 4d: 2026-12-01 16:30 CET; at 10:00: 2026-12-01 10:00 CET
}

func ExampleParse_errors() {
	const yaml = `
flow: late-delivery
trigger:
  event: order.delayed
steps:
  - id: apology
    after: 2x
    channel: fax
    template: delivery-apology
`
	_, err := flows.Parse("flows/late.yaml", []byte(yaml), nil)
	fmt.Println(err)
	// Output:
	// flows/late.yaml:7: steps[0].after: bad duration "2x": unit must be m, h or d
	// flows/late.yaml:8: steps[0].channel: unknown channel "fax" (known: email, sms, whatsapp, callback, outbox, webhook)
}
