package stripe_test

// Stripe events as Stripe sends them (trimmed to the fields that matter),
// created at 2026-11-23T09:12:00Z (1795425120).

const subscriptionCreated = `{
  "id": "evt_1SubCreated",
  "object": "event",
  "api_version": "2024-06-20",
  "created": 1795425120,
  "livemode": false,
  "type": "customer.subscription.created",
  "data": {
    "object": {
      "id": "sub_987",
      "object": "subscription",
      "customer": "cus_123",
      "status": "active",
      "current_period_end": 1798017120,
      "items": {
        "object": "list",
        "data": [
          {"id": "si_1", "price": {"id": "price_family_monthly", "nickname": "family", "lookup_key": "family-monthly"}}
        ]
      }
    }
  }
}`

// subscriptionCreatedBasil is the same event in API version 2025-03-31:
// current_period_end lives on the item; the price has no nickname.
const subscriptionCreatedBasil = `{
  "id": "evt_1SubCreatedBasil",
  "object": "event",
  "api_version": "2025-03-31.basil",
  "created": 1795425120,
  "type": "customer.subscription.created",
  "data": {
    "object": {
      "id": "sub_988",
      "object": "subscription",
      "customer": "cus_124",
      "status": "trialing",
      "items": {
        "object": "list",
        "data": [
          {"id": "si_2", "current_period_end": 1796634720, "price": {"id": "price_solo", "nickname": null, "lookup_key": null}}
        ]
      }
    }
  }
}`

const subscriptionDeleted = `{
  "id": "evt_1SubDeleted",
  "object": "event",
  "created": 1795425120,
  "type": "customer.subscription.deleted",
  "data": {
    "object": {
      "id": "sub_987",
      "object": "subscription",
      "customer": "cus_123",
      "status": "canceled",
      "items": {"object": "list", "data": [{"price": {"id": "price_family_monthly", "nickname": null, "lookup_key": "family-monthly"}}]}
    }
  }
}`

const invoiceUpcoming = `{
  "id": "evt_1InvUpcoming",
  "object": "event",
  "created": 1795425120,
  "type": "invoice.upcoming",
  "data": {
    "object": {
      "object": "invoice",
      "customer": "cus_123",
      "subscription": "sub_987",
      "amount_due": 2395,
      "currency": "eur",
      "next_payment_attempt": 1796029200,
      "period_end": 1796025600
    }
  }
}`

// invoiceUpcomingBasil has the subscription under parent and no
// next_payment_attempt; its currency has no decimals.
const invoiceUpcomingBasil = `{
  "id": "evt_1InvUpcomingBasil",
  "object": "event",
  "created": 1795425120,
  "type": "invoice.upcoming",
  "data": {
    "object": {
      "object": "invoice",
      "customer": "cus_200",
      "parent": {"type": "subscription_details", "subscription_details": {"subscription": "sub_200"}},
      "amount_due": 1500,
      "currency": "jpy",
      "next_payment_attempt": null,
      "period_end": 1796025600
    }
  }
}`

const invoicePaymentFailed = `{
  "id": "evt_1InvFailed",
  "object": "event",
  "created": 1795425120,
  "type": "invoice.payment_failed",
  "data": {
    "object": {
      "id": "in_555",
      "object": "invoice",
      "customer": "cus_123",
      "subscription": "sub_987",
      "amount_due": 4790,
      "currency": "eur",
      "attempt_count": 2,
      "hosted_invoice_url": "https://invoice.stripe.com/i/acct_1/test_555"
    }
  }
}`

const invoicePaid = `{
  "id": "evt_1InvPaid",
  "object": "event",
  "created": 1795425120,
  "type": "invoice.paid",
  "data": {
    "object": {
      "id": "in_556",
      "object": "invoice",
      "customer": "cus_123",
      "parent": {"subscription_details": {"subscription": "sub_987"}},
      "amount_paid": 2395,
      "currency": "eur"
    }
  }
}`

const sourceExpiring = `{
  "id": "evt_1CardExpiring",
  "object": "event",
  "created": 1795425120,
  "type": "customer.source.expiring",
  "data": {
    "object": {
      "id": "card_1",
      "object": "card",
      "customer": "cus_123",
      "brand": "Visa",
      "last4": "4242",
      "exp_month": 12,
      "exp_year": 2026
    }
  }
}`

const chargeRefunded = `{
  "id": "evt_1Refund",
  "object": "event",
  "created": 1795425120,
  "type": "charge.refunded",
  "data": {
    "object": {
      "id": "ch_77",
      "object": "charge",
      "customer": {"id": "cus_123", "object": "customer"},
      "amount_refunded": 1250,
      "currency": "kwd",
      "refunds": {"data": [{"id": "re_1", "reason": "requested_by_customer"}]}
    }
  }
}`
