package main

import (
	"fmt"

	"github.com/aheadhq/ahead/internal/api"
	"github.com/aheadhq/ahead/internal/config"
	"github.com/aheadhq/ahead/sources/stripe"
)

// stripeSource returns what POST /v1/sources/stripe needs, with the
// mapping file read and checked; nil while sources.stripe.secret is empty.
func stripeSource(cfg config.Stripe) (*api.Stripe, error) {
	if cfg.Secret == "" {
		return nil, nil
	}
	m := stripe.Default()
	if cfg.Mapping != "" {
		var err error
		if m, err = stripe.LoadMapping(cfg.Mapping); err != nil {
			return nil, fmt.Errorf("sources.stripe.mapping:\n%w", err)
		}
	}
	return &api.Stripe{Secret: cfg.Secret, Tolerance: cfg.Tolerance.Duration(), Mapping: m}, nil
}
