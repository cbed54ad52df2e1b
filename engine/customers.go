package engine

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/aheadhq/ahead/flows"
	"github.com/aheadhq/ahead/internal/store"
)

// ErrNotFound reports a customer, intervention or timeline that is not stored.
var ErrNotFound = store.ErrNotFound

// Invalid is input the engine refuses, one problem per field.
type Invalid struct {
	What     string
	Problems []string
}

func (e *Invalid) Error() string { return e.What + ": " + strings.Join(e.Problems, "; ") }

// Timeline is a customer's journal, newest first, and the current state of
// every intervention, latest due first.
type Timeline struct {
	Customer      string                `json:"customer_id"`
	Entries       []store.Entry         `json:"entries"`
	Interventions []*store.Intervention `json:"interventions"`
}

// Timeline returns up to limit journal entries of cus and its
// interventions; ErrNotFound when there are none.
func (w *Engine) Timeline(ctx context.Context, cus string, limit int) (*Timeline, error) {
	// Interventions first: a state and its journal entry are written
	// together, so the journal read after them holds every state they show.
	ivs, err := w.o.Store.Interventions(ctx, cus)
	if err != nil {
		return nil, err
	}
	entries, err := w.o.Store.Timeline(ctx, cus, limit)
	if err != nil {
		return nil, err
	}
	sort.Slice(ivs, func(i, j int) bool { return ivs[i].Due.After(ivs[j].Due) })
	if len(entries) == 0 && len(ivs) == 0 {
		return nil, ErrNotFound
	}
	return &Timeline{Customer: cus, Entries: entries, Interventions: ivs}, nil
}

// Profile returns the stored profile of cus, or ErrNotFound.
func (w *Engine) Profile(ctx context.Context, cus string) (store.Profile, error) {
	return w.o.Store.Profile(ctx, cus)
}

// PutProfile replaces the profile of cus with c, checked with the rules of
// an event's customer block. Consent and opt-outs are the customer's own
// word, and what ahead learnt (the last inbound message, a wrong number)
// is not the producer's to overwrite: a profile update keeps them. It
// returns the profile as stored.
func (w *Engine) PutProfile(ctx context.Context, cus string, c *flows.Customer) (store.Profile, error) {
	if c.ID != "" && c.ID != cus {
		return nil, &Invalid{What: "invalid customer", Problems: []string{"id: does not match the id in the path"}}
	}
	if gone, err := w.isErased(ctx, cus); err != nil || gone {
		if gone {
			err = fmt.Errorf("store profile of %s: %w", cus, ErrErased)
		}
		return nil, err
	}
	probe := &flows.Event{ID: "profile", Type: "customer.updated", CustomerID: cus, Customer: c}
	var problems []string
	for _, fe := range flows.ValidateEvent(probe) {
		f := fe.Error()
		if rest, ok := strings.CutPrefix(f, "customer."); ok {
			f = rest
		}
		problems = append(problems, f)
	}
	if len(problems) > 0 {
		return nil, &Invalid{What: "invalid customer", Problems: problems}
	}
	old, err := w.o.Store.Profile(ctx, cus)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	p := ProfileFields(c)
	for k, v := range old {
		if _, base := p[k]; !base {
			p[k] = v
		}
	}
	if err := w.o.Store.ReplaceProfile(ctx, cus, p); err != nil {
		return nil, err
	}
	now := w.o.Clock.Now().UTC()
	if err := w.o.Store.SetConsent(ctx, cus, ConsentOf(c), now); err != nil {
		return nil, err
	}
	for key, v := range c.Consent {
		e := store.Entry{At: now, Kind: store.KindProfile, State: "consent_" + v, Channel: key, Reason: "consent set through the API"}
		if ch, ok := strings.CutPrefix(key, flows.MarketingPrefix); ok {
			e.Channel, e.Reason = ch, "marketing consent set through the API"
		}
		_ = w.o.Store.Journal(ctx, cus, e)
	}
	_ = w.o.Store.Journal(ctx, cus, store.Entry{At: w.o.Clock.Now().UTC(), Kind: store.KindProfile, State: "updated"})
	return w.o.Store.Profile(ctx, cus)
}

// Unsubscribe records the opt-out that a one-click unsubscribe link asked
// for. word is what the link names: a channel ("email", from a service
// message: an opt-out from every message over it) or a marketing word
// ("marketing.email", from a marketing message: an opt-out from marketing
// over it only).
func (w *Engine) Unsubscribe(ctx context.Context, cus, word string) error {
	// A link from a message sent before the customer was erased brings
	// nothing back.
	if gone, err := w.isErased(ctx, cus); err != nil || gone {
		return err
	}
	now := w.o.Clock.Now().UTC()
	if err := w.o.Store.SetConsent(ctx, cus, map[string]bool{word: false}, now); err != nil {
		return err
	}
	e := store.Entry{At: now, Kind: store.KindProfile, State: "opted_out", Channel: word, Reason: "one-click unsubscribe"}
	if ch, ok := strings.CutPrefix(word, flows.MarketingPrefix); ok {
		e.State, e.Channel, e.Reason = "opted_out_marketing", ch, "one-click unsubscribe from marketing"
	}
	_ = w.o.Store.Journal(ctx, cus, e)
	return nil
}

// unsubscribeWord is what the unsubscribe link of a message of flow f over
// channel opts out of: marketing over the channel for a marketing flow,
// else every message over the channel.
func unsubscribeWord(f *flows.Flow, channel string) string {
	if f.Purpose == flows.PurposeMarketing {
		return flows.MarketingConsent(channel)
	}
	return channel
}

// Cancel cancels the pending interventions of cus: all of them, or those
// of flow. reason, when set, is journaled after "cancelled through the
// API". It returns the ids it cancelled, sorted.
func (w *Engine) Cancel(ctx context.Context, cus, flow, reason string) ([]string, error) {
	var problems []string
	if flow != "" && w.Catalog().Flows.Get(flow) == nil {
		problems = append(problems, fmt.Sprintf("flow: unknown flow %q", flow))
	}
	if len(reason) > 500 {
		problems = append(problems, "reason: longer than 500 characters")
	}
	if len(problems) > 0 {
		return nil, &Invalid{What: "invalid cancel request", Problems: problems}
	}
	pending, err := w.o.Store.PendingOf(ctx, cus)
	if err != nil {
		return nil, err
	}
	var ids []string
	for id, p := range pending {
		if flow == "" || p.Flow == flow {
			ids = append(ids, id)
		}
	}
	why := "cancelled through the API"
	if reason != "" {
		why += ": " + reason
	}
	done, err := w.CancelPending(ctx, cus, ids, pending, store.Entry{At: w.o.Clock.Now().UTC(), Cause: "api", Reason: why})
	if err != nil {
		return nil, err
	}
	sort.Strings(done)
	if done == nil {
		done = []string{}
	}
	return done, nil
}

// Voice returns the locale and formality to address cus in: the
// profile's, else the defaults. An unknown or erased customer gets the
// defaults.
func (w *Engine) Voice(ctx context.Context, cus string) (locale, formality string, err error) {
	locale, formality = w.o.Locale, w.o.Formality
	p, err := w.o.Store.Profile(ctx, cus)
	if errors.Is(err, store.ErrNotFound) {
		return locale, formality, nil
	}
	if err != nil {
		return "", "", err
	}
	if v := p[store.FieldLocale]; v != "" {
		locale = v
	}
	if v := p[store.FieldFormality]; v != "" {
		formality = v
	}
	return locale, formality, nil
}
