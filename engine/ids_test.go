package engine

import (
	"strings"
	"testing"
)

func TestIDsAreDeterministicAndDistinct(t *testing.T) {
	t.Parallel()
	a := InterventionID("cus_1", "evt_1", "welcome", "invoice")
	if a != InterventionID("cus_1", "evt_1", "welcome", "invoice") {
		t.Fatal("InterventionID differs between calls")
	}
	if !strings.HasPrefix(a, "iv_") || len(a) != len("iv_")+24 {
		t.Errorf("InterventionID %q, want iv_ and 24 hex digits", a)
	}
	seen := map[string]string{a: "base"}
	for name, id := range map[string]string{
		"customer": InterventionID("cus_2", "evt_1", "welcome", "invoice"),
		"event":    InterventionID("cus_1", "evt_2", "welcome", "invoice"),
		"flow":     InterventionID("cus_1", "evt_1", "welcome2", "invoice"),
		"step":     InterventionID("cus_1", "evt_1", "welcome", "reassurance"),
		// Parts are separated, so shifting text between them changes the id.
		"shifted": InterventionID("cus_1", "evt_1", "welcomei", "nvoice"),
	} {
		if prev, ok := seen[id]; ok {
			t.Errorf("%s gives the same id as %s", name, prev)
		}
		seen[id] = name
	}
	if RunID("cus_1", "evt_1", "welcome") == RunID("cus_1", "evt_1", "other") {
		t.Error("RunID ignores the flow")
	}
	if RouteTaskID("cus_1", "evt_1") == RouteTaskID("cus_2", "evt_1") {
		t.Error("RouteTaskID ignores the customer")
	}
}
