package engine

import (
	"context"
	"fmt"
	"time"

	"github.com/aheadhq/ahead/internal/store"
)

// deadline is the last moment the step may still go out.
func (g *guard) deadline() time.Time {
	d := g.step.Deadline
	if d <= 0 {
		d = g.f.LateLimitOr(g.step, g.w.o.LateLimit)
	}
	return g.iv.Planned.Add(d)
}

// tooLate skips the step when its deadline has passed.
func (g *guard) tooLate(ctx context.Context, now time.Time, loc *time.Location) (bool, error) {
	deadline := g.deadline()
	if !now.After(deadline) {
		return false, nil
	}
	iv := g.iv
	return true, g.w.endWith(ctx, iv, store.Skipped, "too_late",
		fmt.Sprintf("too late: planned for %s, may go out until %s", stampIn(iv.Planned, loc), stampIn(deadline, loc)),
		map[string]string{"planned": iv.Planned.UTC().Format(time.RFC3339), "deadline": deadline.UTC().Format(time.RFC3339)})
}
