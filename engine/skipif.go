package engine

import (
	"context"
	"fmt"
	"time"

	"github.com/aheadhq/ahead/flows"
	"github.com/aheadhq/ahead/internal/store"
)

// skipIf evaluates the step's skip_if over fresh state.
func (g *guard) skipIf(ctx context.Context, now time.Time, contacts []store.Contact) (bool, error) {
	w, iv := g.w, g.iv
	vars := flows.SkipVars{Event: g.ev, Customer: g.cust, Now: now}
	if err := g.history(ctx, &vars); err != nil {
		return true, w.retry(ctx, iv, err)
	}
	if v := g.prof[store.FieldLastInbound]; v != "" {
		vars.LastInbound, _ = time.Parse(time.RFC3339Nano, v)
	}
	for _, c := range contacts {
		if c.Intervention != iv.ID {
			vars.Contacts = append(vars.Contacts, flows.Contact{At: c.At, Channel: c.Channel, Flow: c.Flow, Step: c.Step})
		}
	}
	details := map[string]string{"expr": g.step.SkipIf}
	skip, err := g.step.Skip(vars)
	if err != nil {
		return true, w.endWith(ctx, iv, store.Failed, "skip_if", fmt.Sprintf("skip_if could not be evaluated, so nothing was sent: %v", err), details)
	}
	if !skip {
		return false, nil
	}
	return true, w.endWith(ctx, iv, store.Skipped, "skip_if", fmt.Sprintf("skip_if is true: %s", g.step.SkipIf), details)
}
