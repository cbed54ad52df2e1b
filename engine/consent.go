package engine

import "github.com/aheadhq/ahead/flows"

// consent checks the customer's word on a channel: an opt-out from the
// channel stops every flow on it, an opt-out from marketing on it stops
// marketing flows only, and a marketing flow needs explicit consent. It
// returns the reason and cause of a refusal, or two empty strings.
func consent(channel string, f *flows.Flow, p *Profile) (reason, cause string) {
	marketing := f.Purpose == flows.PurposeMarketing
	switch {
	case p.OptedOut[channel]:
		return "customer opted out", "opted_out"
	case marketing && p.MarketingOptedOut[channel]:
		return "customer opted out of marketing on " + channel, "opted_out"
	case marketing && !p.Consented[channel]:
		return "no marketing consent for " + channel, "no_consent"
	}
	return "", ""
}

// reach returns the customer's address on a channel, or "" with the
// reason there is none: no address, or a phone number an agent found wrong.
func reach(channel string, p *Profile) (to, reason string) {
	to = ContactPoint(channel, p.Customer)
	switch {
	case to == "":
		return "", "no contact point"
	case to == p.Phone && p.PhoneInvalid && channel != flows.Email:
		return "", "the phone number was found wrong by an agent"
	}
	return to, ""
}
