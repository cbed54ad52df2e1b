package engine

import "time"

// budget returns the contact budget of the policy in force for the
// step's flow: per how long, at most how many contacts, and the least gap.
func (g *guard) budget() (per time.Duration, max int, gap time.Duration) {
	b := g.policy.Budget
	if b == nil {
		return 0, 0, 0
	}
	return b.Per, b.Limit(g.f.Purpose), b.MinGap
}
