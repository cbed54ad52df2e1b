package engine

import (
	"errors"

	"github.com/aheadhq/ahead/internal/store"
)

// Unavailable reports whether err is a failure of the store rather than
// of the request: it wraps ErrUnavailable, or says that Redis cannot be
// reached or cannot take commands for now. The caller may try again.
func Unavailable(err error) bool {
	return errors.Is(err, ErrUnavailable) || store.Unavailable(err)
}
