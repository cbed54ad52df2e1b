package store

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// Profile fields that hold a customer's word per channel.
const (
	consentPrefix = "consent_" // explicit consent, with its time
	optOutPrefix  = "optout_"  // an opt-out, with its time
)

// SetConsent records consent per channel: granted (explicit consent) or
// revoked (an opt-out). Each replaces the other for its channel.
func (s *Store) SetConsent(ctx context.Context, cus string, consent map[string]bool, at time.Time) error {
	if len(consent) == 0 {
		return nil
	}
	stamp := at.UTC().Format(time.RFC3339)
	_, err := s.rdb.TxPipelined(ctx, func(tx redis.Pipeliner) error {
		tx.HSet(ctx, profileKey(cus), "id", cus)
		for ch, granted := range consent {
			if granted {
				tx.HSet(ctx, profileKey(cus), consentPrefix+ch, stamp)
				tx.HDel(ctx, profileKey(cus), optOutPrefix+ch)
			} else {
				tx.HSet(ctx, profileKey(cus), optOutPrefix+ch, stamp)
				tx.HDel(ctx, profileKey(cus), consentPrefix+ch)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store consent: %w", err)
	}
	return nil
}

// phoneKey indexes customers by phone or WhatsApp number, so an inbound
// message finds its customer.
func phoneKey(number string) string { return "ahead:{ph:" + number + "}:customers" }

// indexPhones adds the customer under the numbers of profile p.
func indexPhones(ctx context.Context, p redis.Pipeliner, cus string, prof Profile) {
	for _, f := range []string{"phone", "whatsapp"} {
		if n := prof[f]; n != "" {
			p.SAdd(ctx, phoneKey(n), cus)
		}
	}
}

// CustomersByPhone returns the customers whose profile has number as phone
// or WhatsApp number.
func (s *Store) CustomersByPhone(ctx context.Context, number string) ([]string, error) {
	ids, err := s.rdb.SMembers(ctx, phoneKey(number)).Result()
	if err != nil {
		return nil, fmt.Errorf("look up number: %w", err)
	}
	var out []string
	for _, id := range ids {
		prof, err := s.rdb.HMGet(ctx, profileKey(id), "phone", "whatsapp").Result()
		if err != nil {
			return nil, fmt.Errorf("look up number: %w", err)
		}
		if prof[0] == number || prof[1] == number {
			out = append(out, id)
		} else {
			s.rdb.SRem(ctx, phoneKey(number), id) // the profile changed its number
		}
	}
	return out, nil
}

// ClearOptOut lifts an opt-out from channel (the customer sent START). It
// grants no marketing consent.
func (s *Store) ClearOptOut(ctx context.Context, cus, channel string) error {
	if err := s.rdb.HDel(ctx, profileKey(cus), optOutPrefix+channel).Err(); err != nil {
		return fmt.Errorf("clear opt-out: %w", err)
	}
	return nil
}
