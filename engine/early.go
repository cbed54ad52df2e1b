package engine

import (
	"context"
	"time"

	"github.com/aheadhq/ahead/internal/clock"
	"github.com/aheadhq/ahead/internal/store"
)

// maxEarly is the longest a step task waits for its due time. The
// promoter queues a step once its due time has passed on its own host's
// clock; a worker whose clock runs behind that host's sees it a little
// early.
const maxEarly = 3 * time.Second

// notEarly holds a step that came before its due time until it is due, so
// that no step runs early. On a real or scaled clock it waits at most
// maxEarly of real time; a task further ahead than that goes on, logged.
func (w *Engine) notEarly(ctx context.Context, iv *store.Intervention) error {
	if _, fake := w.o.Clock.(*clock.Fake); fake {
		return nil // tests move a fake clock by hand
	}
	early := w.o.Clock.Wall(iv.Due).Sub(w.o.Clock.Wall(w.o.Clock.Now()))
	if early <= 0 {
		return nil
	}
	if early > maxEarly {
		w.o.Log.Warn("step task came far before its due time; the clocks of the hosts may differ",
			"intervention", iv.ID, "early", early.String())
		return nil
	}
	return clock.WaitUntil(ctx, w.o.Clock, iv.Due)
}
