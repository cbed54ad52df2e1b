package engine

import (
	"fmt"
	"time"
)

// window moves t to the next opening of the step's window in the
// customer's zone, with the reason, "" when t is inside it.
func (g *guard) window(t time.Time, loc *time.Location) (time.Time, string) {
	w := g.step.Window
	if w == nil {
		return t, ""
	}
	next := w.Next(t, loc)
	if !next.After(t) {
		return t, ""
	}
	return next, fmt.Sprintf("outside window %s: moved to %s", w.Spec, stampIn(next, loc))
}
