package stats_test

import (
	"fmt"

	"github.com/aheadhq/ahead/stats"
)

// A flow with a 10% holdout: of 1,800 customers contacted, 180 called
// within the goal window; of the 200 left alone, 50 did.
func ExampleCompare() {
	treat := stats.Arm{N: 1800, Hits: 180}
	control := stats.Arm{N: 200, Hits: 50}
	r := stats.Compare(treat, control, stats.Opts{Share: 0.10, Effect: 0.05})

	fmt.Printf("inbound rate: %.1f%% contacted, %.1f%% holdout\n", *r.Treat.Rate*100, *r.Control.Rate*100)
	fmt.Printf("difference: %+.1f points (95%%: %+.1f to %+.1f)\n", r.Diff.Est*100, r.Diff.Lo*100, r.Diff.Hi*100)
	fmt.Printf("relative: %+.0f%% (95%%: %+.0f%% to %+.0f%%)\n", r.Rel.Est*100, r.Rel.Lo*100, r.Rel.Hi*100)
	fmt.Printf("avoided per 1,000 entrants: %.0f (95%%: %.0f to %.0f)\n", r.Avoided.Est, r.Avoided.Lo, r.Avoided.Hi)
	fmt.Printf("always-valid: %+.1f to %+.1f points, %s\n", r.Seq.Lo*100, r.Seq.Hi*100, r.Verdict)
	fmt.Printf("split: %.1f%% in the holdout, p = %.2f, alert %v\n", r.SRM.Observed*100, r.SRM.P, r.SRM.Alert)
	fmt.Printf("detectable now: %.1f points; for 5 points: %d more\n", *r.MDE*100, r.Needed.Total)
	// Output:
	// inbound rate: 10.0% contacted, 25.0% holdout
	// difference: -15.0 points (95%: -21.6 to -9.3)
	// relative: -60% (95%: -70% to -47%)
	// avoided per 1,000 entrants: 150 (95%: 93 to 216)
	// always-valid: -24.8 to -5.2 points, below_zero
	// split: 10.0% in the holdout, p = 1.00, alert false
	// detectable now: 9.0 points; for 5 points: 4541 more
}
