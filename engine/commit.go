package engine

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/aheadhq/ahead/internal/store"
)

// commit is the Message.Commit of one send: it records, once, that the
// try reached its channel's point of no return (Store.Commit), and keeps
// the answer. A channel may call it from a goroutine of its own (an HTTP
// transport reads the request body in one).
type commit struct {
	ctx  context.Context
	st   *store.Store
	iv   *store.Intervention
	once sync.Once

	mu  sync.Mutex
	err error
}

// call records the point of no return; an error means the message must
// not be sent.
func (c *commit) call() error {
	c.once.Do(func() {
		err := c.st.Commit(c.ctx, c.iv)
		c.mu.Lock()
		c.err = err
		c.mu.Unlock()
	})
	return c.refusal()
}

// refusal returns why the point of no return was refused, or nil when it
// was recorded or not reached.
func (c *commit) refusal() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// stopped is a send that ended at its point of no return because Commit
// refused it: nothing was sent.
type stopped struct{ err error }

func (s *stopped) Error() string { return "send stopped before the message left: " + s.err.Error() }
func (s *stopped) Unwrap() error { return s.err }

// stop settles a try whose send Commit refused: the intervention was
// erased, ended or claimed by a later try meanwhile (nothing is left to
// do), a cancel came while it was being sent (the cancel takes effect), or
// the point could not be recorded (a transient failure: retried).
func (w *Engine) stop(ctx context.Context, iv *store.Intervention, err error) error {
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil // erased while being sent
	case errors.Is(err, store.ErrEnded), errors.Is(err, store.ErrSuperseded):
		w.o.Log.Info("step left to the try that holds it; this one sent nothing", "intervention", iv.ID, "err", err)
		return nil
	case errors.Is(err, store.ErrCancelled):
		// Back to scheduled: Update applies the held cancel instead.
		iv.State = store.Scheduled
		if uerr := w.update(ctx, iv); !errors.Is(uerr, store.ErrCancelled) {
			if uerr != nil {
				return uerr
			}
			return fmt.Errorf("step %s: %w", iv.ID, err)
		}
		return nil
	}
	return w.retry(ctx, iv, err)
}
