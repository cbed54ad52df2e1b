package tasks

import (
	"strings"
	"testing"
	"time"

	"github.com/aheadhq/ahead/channels"
	"github.com/aheadhq/ahead/engine"
	"github.com/aheadhq/ahead/internal/signed"
	"github.com/aheadhq/ahead/internal/store"
)

// The one-click unsubscribe link of a marketing message opts out of
// marketing on its channel; service messages still go out over it. The
// link of a service message opts out of the channel.
func TestUnsubscribePerPurpose(t *testing.T) {
	t.Parallel()
	key := []byte("test signing key")
	b := setup(t, func(o *Options) { o.PublicURL, o.SigningKey = "https://ahead.example.com", key })
	cat, err := engine.Load("testdata/consent")
	if err != nil {
		t.Fatal(err)
	}
	b.w.SetCatalog(cat)
	if err := b.store.SetConsent(b.ctx, "cus_1", map[string]bool{channels.SMS: true}, start.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	word := func(m *channels.Message) string {
		t.Helper()
		tok, _ := strings.CutPrefix(m.Unsubscribe, "https://ahead.example.com/v1/unsubscribe/")
		cus, w, err := signed.Parse(key, tok)
		if err != nil || cus != "cus_1" {
			t.Fatalf("link %q: %s %v", m.Unsubscribe, cus, err)
		}
		return w
	}
	if iv, _ := b.runFlow(t, "evt_1", "offer.started", "cus_1", "offer", "offer"); iv.State != store.Sent {
		t.Fatalf("offer: %s %s", iv.State, iv.Reason)
	}
	if iv, _ := b.runFlow(t, "evt_2", "account.changed", "cus_1", "notice", "notice"); iv.State != store.Sent {
		t.Fatalf("notice: %s %s", iv.State, iv.Reason)
	}
	msgs := b.sms.messages()
	if len(msgs) != 2 || word(msgs[0]) != "marketing.sms" || word(msgs[1]) != "sms" {
		t.Fatalf("links name %v, want marketing.sms for the offer and sms for the notice", msgs)
	}

	// The customer follows the offer's link.
	if err := b.w.Unsubscribe(b.ctx, "cus_1", word(msgs[0])); err != nil {
		t.Fatal(err)
	}
	p, _ := b.store.Profile(b.ctx, "cus_1")
	if p["optout_marketing_sms"] == "" || p["optout_sms"] != "" || p["consent_sms"] != "" {
		t.Fatalf("profile %v, want a marketing opt-out on sms only", p)
	}
	iv, entries := b.runFlow(t, "evt_3", "offer.started", "cus_1", "offer", "offer")
	if iv.State != store.Skipped || entries != "fallback:sms:opted_out skipped::no_consent" {
		t.Errorf("offer after the opt-out: %s %q", iv.State, entries)
	}
	if iv, _ := b.runFlow(t, "evt_4", "account.changed", "cus_1", "notice", "notice"); iv.State != store.Sent || iv.Channel != channels.SMS {
		t.Errorf("notice after the marketing opt-out: %s via %s (%s), want sent via sms", iv.State, iv.Channel, iv.Reason)
	}
	last := b.journal(t, "cus_1")
	found := false
	for _, e := range last {
		if e.Kind == store.KindProfile && e.State == "opted_out_marketing" && e.Channel == channels.SMS {
			found = true
		}
	}
	if !found {
		t.Errorf("journal %+v lacks the marketing opt-out", last)
	}
	// The customer's word as expressions and templates see it.
	c := engine.ProfileOf("cus_1", p)
	if c.Consent["marketing.sms"] != "revoked" || c.Consent["sms"] != "" {
		t.Errorf("consent %v, want marketing.sms revoked and nothing on sms", c.Consent)
	}

	// Then the service notice's link: sms is closed to every flow.
	if err := b.w.Unsubscribe(b.ctx, "cus_1", channels.SMS); err != nil {
		t.Fatal(err)
	}
	if iv, entries := b.runFlow(t, "evt_5", "account.changed", "cus_1", "notice", "notice"); iv.Channel != channels.Email || entries != "fallback:sms:opted_out" {
		t.Errorf("notice after the sms opt-out: via %s, %q; want email after sms opted out", iv.Channel, entries)
	}
}
