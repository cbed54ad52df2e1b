package engine

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"time"
)

// DefaultTombstoneTTL is how long an erased customer stays suppressed when
// the configuration says nothing.
const DefaultTombstoneTTL = 90 * 24 * time.Hour

// ErrErased reports a customer that was erased: for the tombstone's
// lifetime nothing of theirs is stored again.
var ErrErased = errors.New("customer was erased")

// tomb is the keyed hash an erased customer's tombstone is known by: it
// tells whether an id was erased without holding the id.
func (w *Engine) tomb(cus string) string {
	key := w.o.SigningKey
	if len(key) == 0 {
		key = []byte("ahead tombstone")
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(cus))
	return hex.EncodeToString(m.Sum(nil))[:32]
}

// erased returns the customers among cs that were erased.
func (w *Engine) erased(ctx context.Context, cs []string) (map[string]bool, error) {
	if len(cs) == 0 {
		return nil, nil
	}
	hashes := make([]string, len(cs))
	for i, c := range cs {
		hashes[i] = w.tomb(c)
	}
	buried, err := w.o.Store.Buried(ctx, hashes)
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for i, b := range buried {
		if b {
			out[cs[i]] = true
		}
	}
	return out, nil
}

// isErased reports whether cus was erased.
func (w *Engine) isErased(ctx context.Context, cus string) (bool, error) {
	e, err := w.erased(ctx, []string{cus})
	return e[cus], err
}
