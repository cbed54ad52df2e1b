package callbacks

import "github.com/aheadhq/ahead/internal/store"

// Callback is one call request in a queue, as the store keeps it.
type Callback = store.Callback

// States of a callback.
const (
	Queued  = store.CallbackQueued
	Claimed = store.CallbackClaimed
	Done    = store.CallbackDone
)

// ErrNotFound reports a callback that is not in any queue.
var ErrNotFound = store.ErrNotFound
