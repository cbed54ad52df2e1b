package api

import (
	"errors"
	"net/http"
	"time"

	"github.com/aheadhq/ahead/flows"
	"github.com/aheadhq/ahead/internal/metrics"
	"github.com/aheadhq/ahead/sources/stripe"
)

// Stripe configures POST /v1/sources/stripe.
type Stripe struct {
	// Secret is the endpoint's signing secret (sources.stripe.secret).
	Secret string
	// Tolerance is how far a signature's timestamp may lie from Now; 0
	// means stripe.DefaultTolerance.
	Tolerance time.Duration
	// Mapping turns Stripe events into ahead events.
	Mapping stripe.Mapping
	// Now tells the real time that signatures are checked against, also
	// when the engine runs on a faster clock; nil means time.Now.
	Now func() time.Time
}

// stripeEvent takes one Stripe webhook event in: it checks the
// Stripe-Signature header against the raw body, maps the event and
// ingests it as POST /v1/events would. The signature is the
// authentication; the route takes no bearer token.
//
// Answers: 202 {"accepted": n, "duplicates": n} once ingested (a retry of
// the same Stripe event is a duplicate); 200 {"ignored": 1} for an event
// that is not for ahead; 400 for a bad signature or an event that does not
// fit its rule; 404 while no secret is configured; 503 when the store is
// down, so that Stripe sends it again.
func (s *server) stripeEvent(w http.ResponseWriter, r *http.Request) {
	cfg := s.o.Stripe
	if cfg == nil || cfg.Secret == "" {
		writeError(w, http.StatusNotFound, "the stripe source is not configured (sources.stripe.secret)")
		return
	}
	count := func(result string, n int) {
		metrics.SourceEvents.WithLabelValues("stripe", result).Add(float64(n))
	}
	body := s.readBody(w, r)
	if body == nil {
		count("invalid", 1)
		return
	}
	now := time.Now
	if cfg.Now != nil {
		now = cfg.Now
	}
	if err := stripe.Verify(body, r.Header.Get(stripe.SignatureHeader), cfg.Secret, cfg.Tolerance, now()); err != nil {
		count("invalid", 1)
		writeError(w, http.StatusBadRequest, "not a valid Stripe request; nothing was accepted", err.Error())
		return
	}
	ev, err := cfg.Mapping.Event(body)
	switch {
	case errors.Is(err, stripe.ErrIgnored):
		count("ignored", 1)
		s.o.Log.Debug("stripe event ignored", "reason", err.Error())
		writeJSON(w, http.StatusOK, map[string]int{"ignored": 1})
		return
	case err != nil:
		count("invalid", 1)
		writeError(w, http.StatusBadRequest, "the Stripe event does not map to an ahead event; nothing was accepted", err.Error())
		return
	}
	accepted, dups, err := s.o.Engine.Ingest(r.Context(), []*flows.Event{ev})
	if err != nil {
		count("failed", 1)
		s.internal(w, r, err)
		return
	}
	count("accepted", accepted)
	count("duplicate", dups)
	writeJSON(w, http.StatusAccepted, map[string]int{"accepted": accepted, "duplicates": dups})
}
