package store_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/aheadhq/ahead/internal/store"
)

func TestSetConsent(t *testing.T) {
	t.Parallel()
	st, rdb := setup(t)
	ctx := context.Background()

	// Nothing to record stores nothing.
	if err := st.SetConsent(ctx, "cus_1", nil, t0); err != nil {
		t.Fatal(err)
	}
	if n := rdb.DBSize(ctx).Val(); n != 0 {
		t.Fatalf("empty consent stored %d keys", n)
	}

	if err := st.SetConsent(ctx, "cus_1", map[string]bool{"sms": true, "email": false}, t0); err != nil {
		t.Fatal(err)
	}
	stamp := t0.Format(time.RFC3339)
	want := store.Profile{"id": "cus_1", "consent_sms": stamp, "optout_email": stamp}
	if got, _ := st.Profile(ctx, "cus_1"); !equalProfiles(got, want) {
		t.Fatalf("profile %v, want %v", got, want)
	}

	// Each replaces the other for its channel; other channels stay.
	later := t0.Add(time.Hour)
	if err := st.SetConsent(ctx, "cus_1", map[string]bool{"sms": false, "email": true}, later.In(time.FixedZone("CET", 3600))); err != nil {
		t.Fatal(err)
	}
	stamp2 := later.UTC().Format(time.RFC3339)
	want = store.Profile{"id": "cus_1", "optout_sms": stamp2, "consent_email": stamp2}
	if got, _ := st.Profile(ctx, "cus_1"); !equalProfiles(got, want) {
		t.Fatalf("after the swap: %v, want %v (times in UTC)", got, want)
	}
	if err := st.SetConsent(ctx, "cus_1", map[string]bool{"whatsapp": true}, later); err != nil {
		t.Fatal(err)
	}
	if got, _ := st.Profile(ctx, "cus_1"); got["optout_sms"] != stamp2 || got["consent_email"] != stamp2 || got["consent_whatsapp"] != stamp2 {
		t.Fatalf("consent for whatsapp changed the other channels: %v", got)
	}
}

// A report of the customer's word that is older than what the profile
// holds for that channel does not undo it: an event that occurred before
// the customer sent STOP cannot grant consent again.
func TestSetConsentKeepsNewerWord(t *testing.T) {
	t.Parallel()
	st, _ := setup(t)
	ctx := context.Background()
	stop := t0.Add(2 * time.Hour)
	if err := st.SetConsent(ctx, "cus_1", map[string]bool{"sms": false}, stop); err != nil {
		t.Fatal(err)
	}
	if err := st.SetConsent(ctx, "cus_1", map[string]bool{"sms": true, "email": true}, t0); err != nil {
		t.Fatal(err)
	}
	got, _ := st.Profile(ctx, "cus_1")
	if got["optout_sms"] != stop.Format(time.RFC3339) || got["consent_sms"] != "" {
		t.Fatalf("an older grant undid a newer opt-out: %v", got)
	}
	if got["consent_email"] != t0.Format(time.RFC3339) {
		t.Fatalf("the grant for another channel was dropped: %v", got)
	}
	// A newer word replaces it, and so does one at the same instant.
	if err := st.SetConsent(ctx, "cus_1", map[string]bool{"sms": true}, stop); err != nil {
		t.Fatal(err)
	}
	got, _ = st.Profile(ctx, "cus_1")
	if got["consent_sms"] != stop.Format(time.RFC3339) || got["optout_sms"] != "" {
		t.Fatalf("a grant as new as the opt-out was dropped: %v", got)
	}
	if err := st.SetConsent(ctx, "cus_1", map[string]bool{"email": false}, t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	got, _ = st.Profile(ctx, "cus_1")
	if got["optout_email"] != t0.Add(time.Minute).Format(time.RFC3339) || got["consent_email"] != "" {
		t.Fatalf("a newer opt-out did not replace the grant: %v", got)
	}
}

func TestClearOptOut(t *testing.T) {
	t.Parallel()
	st, _ := setup(t)
	ctx := context.Background()
	if err := st.UpsertProfile(ctx, "cus_1", store.Profile{"name": "Anna", "consent_email": "2026-11-01T10:00:00Z"}); err != nil {
		t.Fatal(err)
	}
	if err := st.SetConsent(ctx, "cus_1", map[string]bool{"sms": false, "whatsapp": false}, t0); err != nil {
		t.Fatal(err)
	}
	if err := st.ClearOptOut(ctx, "cus_1", "sms"); err != nil {
		t.Fatal(err)
	}
	want := store.Profile{
		"id": "cus_1", "name": "Anna", "consent_email": "2026-11-01T10:00:00Z",
		"optout_whatsapp": t0.Format(time.RFC3339),
	}
	if got, _ := st.Profile(ctx, "cus_1"); !equalProfiles(got, want) {
		t.Fatalf("profile %v, want %v (sms opt-out lifted, no consent granted)", got, want)
	}
	// Lifting an opt-out that is not there is fine.
	if err := st.ClearOptOut(ctx, "cus_1", "sms"); err != nil {
		t.Fatal(err)
	}
}

func TestCustomersByPhone(t *testing.T) {
	t.Parallel()
	st, rdb := setup(t)
	ctx := context.Background()
	lookup := func(number string) []string {
		t.Helper()
		ids, err := st.CustomersByPhone(ctx, number)
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(ids)
		return ids
	}

	if ids := lookup("+31612345678"); len(ids) != 0 {
		t.Fatalf("empty store found %v", ids)
	}
	if n := rdb.DBSize(ctx).Val(); n != 0 {
		t.Fatalf("a lookup stored %d keys", n)
	}

	// Two customers share a phone (a family); one has another WhatsApp number.
	if err := st.UpsertProfile(ctx, "cus_anna", store.Profile{"phone": "+31612345678", "whatsapp": "+31687654321"}); err != nil {
		t.Fatal(err)
	}
	if err := st.UpsertProfile(ctx, "cus_bob", store.Profile{"phone": "+31612345678"}); err != nil {
		t.Fatal(err)
	}
	if err := st.ReplaceProfile(ctx, "cus_carl", store.Profile{"whatsapp": "+31600000001"}); err != nil {
		t.Fatal(err)
	}
	for number, want := range map[string][]string{
		"+31612345678": {"cus_anna", "cus_bob"},
		"+31687654321": {"cus_anna"},
		"+31600000001": {"cus_carl"},
		"+31699999999": nil,
	} {
		if got := lookup(number); !slices.Equal(got, want) {
			t.Errorf("CustomersByPhone(%s) = %v, want %v", number, got, want)
		}
	}

	// Bob moves to a new number: he is found under it and no longer under
	// the old one. Anna changes her WhatsApp number through a replace.
	if err := st.UpsertProfile(ctx, "cus_bob", store.Profile{"phone": "+31611111111"}); err != nil {
		t.Fatal(err)
	}
	if err := st.ReplaceProfile(ctx, "cus_anna", store.Profile{"phone": "+31612345678", "whatsapp": "+31622222222"}); err != nil {
		t.Fatal(err)
	}
	for number, want := range map[string][]string{
		"+31612345678": {"cus_anna"},
		"+31611111111": {"cus_bob"},
		"+31687654321": nil,
		"+31622222222": {"cus_anna"},
	} {
		if got := lookup(number); !slices.Equal(got, want) {
			t.Errorf("after the moves: CustomersByPhone(%s) = %v, want %v", number, got, want)
		}
	}
	// The lookup cleaned the old numbers' index.
	for _, old := range []string{"+31687654321"} {
		if keys := rdb.Keys(ctx, "*"+old+"*").Val(); len(keys) != 0 {
			t.Errorf("the old number %s is still indexed: %v", old, keys)
		}
	}

	// An erased customer is not found any more.
	if err := st.Erase(ctx, "cus_carl"); err != nil {
		t.Fatal(err)
	}
	if got := lookup("+31600000001"); len(got) != 0 {
		t.Errorf("erased customer found: %v", got)
	}
}

// Erasing a customer leaves no trace of the numbers the customer had
// before, not even in the index of numbers.
func TestEraseForgetsFormerNumbers(t *testing.T) {
	t.Parallel()
	st, rdb := setup(t)
	ctx := context.Background()
	if err := st.UpsertProfile(ctx, "cus_1", store.Profile{"phone": "+31612345678", "whatsapp": "+31687654321"}); err != nil {
		t.Fatal(err)
	}
	if err := st.UpsertProfile(ctx, "cus_1", store.Profile{"phone": "+31611111111"}); err != nil {
		t.Fatal(err)
	}
	if err := st.ReplaceProfile(ctx, "cus_1", store.Profile{"phone": "+31622222222"}); err != nil {
		t.Fatal(err)
	}
	if err := st.Erase(ctx, "cus_1"); err != nil {
		t.Fatal(err)
	}
	for key, val := range dump(t, rdb) {
		t.Errorf("key %s left after erase: %s", key, val)
	}
}
