// Package signed makes and checks the tokens in one-click unsubscribe links:
// a customer id and a channel, signed with HMAC-SHA256 under the
// configured api.signing_key. A token reveals the customer id it names but
// cannot be forged or altered without the key.
package signed
