package engine

import "time"

// quiet moves t out of the policy's quiet hours in the customer's zone,
// with the reason, "" when t is not in them.
func (g *guard) quiet(t time.Time, loc *time.Location) (time.Time, string) {
	return g.policy.AfterQuiet(t, loc)
}
