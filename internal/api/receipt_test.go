package api_test

import (
	"net/http"
	"testing"

	"github.com/aheadhq/ahead/channels"
	"github.com/aheadhq/ahead/internal/store"
)

// A signed status whose MessageSid is not the step's own receipt says
// nothing about that step: it is answered, and neither journaled nor
// recorded; the step's own message still counts.
func TestTwilioStatusOfAnotherMessageIsIgnored(t *testing.T) {
	t.Parallel()
	h := setupHooks(t)
	id, sid := h.sentApology("cus_1")
	path := statusPath("cus_1", id, channels.SMS)
	before := h.dump()
	for _, status := range []string{"delivered", "undelivered", "failed"} {
		if r := h.signed(path, statusForm("SM00000000000000000000000000000099", status, "30003")); r.code != http.StatusNoContent {
			t.Fatalf("%s of another message: %s, want 204", status, r)
		}
	}
	if after := h.dump(); !equalMaps(after, before) {
		t.Fatalf("a status of another message changed Redis:\nbefore %v\n after %v", before, after)
	}
	if r := h.signed(path, statusForm(sid, "delivered", "")); r.code != http.StatusNoContent {
		t.Fatal(r)
	}
	es := h.entries("cus_1", "delivery")
	if len(es) != 1 || es[0].ProviderID != sid || es[0].State != "delivered" {
		t.Fatalf("delivery entries %+v, want the step's own message delivered", es)
	}
	if iv := h.state("cus_1", id); iv.State != store.Sent {
		t.Fatalf("intervention %s, want sent", iv.State)
	}
}
