package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/aheadhq/ahead/internal/store"
)

// A word on marketing ("marketing.email") changes the marketing fields
// only; a word on the channel ("email") is about every message.
func TestSetConsentPerPurpose(t *testing.T) {
	t.Parallel()
	st, _ := setup(t)
	ctx := context.Background()
	at := func(h int) time.Time { return t0.Add(time.Duration(h) * time.Hour) }
	steps := []struct {
		hour    int
		consent map[string]bool
		want    map[string]int // field: the hour of its stamp
	}{
		{0, map[string]bool{"email": true}, map[string]int{"consent_email": 0}},
		// A marketing opt-out withdraws marketing consent and keeps the channel open.
		{1, map[string]bool{"marketing.email": false}, map[string]int{"optout_marketing_email": 1}},
		// Marketing consent again lifts the marketing opt-out.
		{2, map[string]bool{"marketing.email": true}, map[string]int{"consent_email": 2}},
		// An opt-out from the channel stands beside a marketing word.
		{3, map[string]bool{"email": false, "marketing.sms": false}, map[string]int{"optout_email": 3, "optout_marketing_sms": 3}},
		// Marketing consent does not lift an opt-out from the channel.
		{4, map[string]bool{"marketing.email": true}, map[string]int{"optout_email": 3, "consent_email": 4, "optout_marketing_sms": 3}},
		// A grant on the channel lifts both opt-outs of that channel.
		{5, map[string]bool{"sms": true}, map[string]int{"optout_email": 3, "consent_email": 4, "consent_sms": 5}},
	}
	for _, s := range steps {
		if err := st.SetConsent(ctx, "cus_1", s.consent, at(s.hour)); err != nil {
			t.Fatal(err)
		}
		want := store.Profile{"id": "cus_1"}
		for k, h := range s.want {
			want[k] = at(h).Format(time.RFC3339)
		}
		if got, _ := st.Profile(ctx, "cus_1"); !equalProfiles(got, want) {
			t.Fatalf("after hour %d %v: %v, want %v", s.hour, s.consent, got, want)
		}
	}

	// An older word does not undo a newer one, per purpose too: a marketing
	// grant that happened before the marketing opt-out stays undone.
	stamp8 := at(8).Format(time.RFC3339)
	if err := st.SetConsent(ctx, "cus_2", map[string]bool{"marketing.sms": false}, at(8)); err != nil {
		t.Fatal(err)
	}
	if err := st.SetConsent(ctx, "cus_2", map[string]bool{"marketing.sms": true, "sms": true}, t0); err != nil {
		t.Fatal(err)
	}
	if got, _ := st.Profile(ctx, "cus_2"); !equalProfiles(got, store.Profile{"id": "cus_2", "optout_marketing_sms": stamp8}) {
		t.Fatalf("older grants undid a newer marketing opt-out: %v", got)
	}
}
