// Package synthetic recovers a known effect: it runs a flow with a
// holdout through the real API and engine on a fake clock, with entrants
// whose inbound contacts are drawn at known rates per arm from a seeded
// random source, and returns the flow's report. A report that does not
// recover the true difference points at a fault in assignment, goal
// counting or the statistics. `ahead report --synthetic` and this
// package's test run it.
//
// It needs an empty Redis database of its own: it writes events, runs and
// counters there and leaves them.
package synthetic
