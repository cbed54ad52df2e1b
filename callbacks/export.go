package callbacks

import (
	"context"
	"time"

	"github.com/aheadhq/ahead/flows"
	"github.com/aheadhq/ahead/internal/store"
)

// Exporter offers callable callbacks to an outside contact-centre system,
// such as Twilio TaskRouter (see the taskrouter subpackage). The sweep
// calls it for each callable callback of a queue with a taskrouter
// section that is not on offer yet.
type Exporter interface {
	// Export offers cb and returns the outside system's id for the offer.
	// timeout is how long the offer may stand (until the callback's
	// deadline); 0 means no deadline.
	Export(ctx context.Context, q *flows.Queue, cb *store.Callback, timeout time.Duration) (id string, err error)
	// Withdraw ends the offer id: the callback was worked in ahead, ended,
	// or is not callable any more.
	Withdraw(ctx context.Context, q *flows.Queue, id string) error
}
