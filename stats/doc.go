// Package stats owns the statistics of the effect report, the report that
// compares a flow's treatment group (customers the flow contacts) with its
// holdout (a random control group the flow leaves alone). The outcome is an
// inbound contact: whether a customer called or wrote within the goal
// window, or how many times.
//
// It holds the intervals for one proportion (Wilson), for the difference
// of two proportions (Newcombe) and their ratio (Katz log), and for the
// difference of two means (Welch, normal quantiles); the always-valid
// confidence sequence that may be looked at every day without inflating
// false alarms (Seq); the sample-ratio check of the split (CheckSRM); and
// power (MDE, Needed). Compare puts them together for one report.
//
// The package is pure arithmetic on counts: it must not import anything
// outside the Go standard library, neither Redis, asynq, nor any other
// package of ahead.
//
// Every function is safe to call with empty arms. What cannot be computed
// is reported by an ok flag or a nil pointer: apart from Quantile at 0 and
// 1, nothing here returns NaN or an infinity, so a Result always
// serializes to JSON.
package stats
