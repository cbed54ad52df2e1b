package stripe_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/aheadhq/ahead/flows"
	"github.com/aheadhq/ahead/sources/stripe"
)

func TestLoadMapping(t *testing.T) {
	t.Parallel()
	m, err := stripe.LoadMapping("testdata/mapping.yaml")
	if err != nil {
		t.Fatalf("LoadMapping: %v", err)
	}
	want := []string{
		"charge.refunded", "customer.subscription.created", "customer.subscription.deleted",
		"invoice.paid", "invoice.payment_failed", "invoice.upcoming",
	}
	if got := m.Types(); !reflect.DeepEqual(got, want) {
		t.Errorf("Types = %v, want %v", got, want)
	}

	tests := []struct {
		name    string
		payload string
		want    flows.Event
	}{
		{"added type, expanded customer, three-decimal currency", chargeRefunded, flows.Event{
			ID: "stripe_evt_1Refund", Type: "payment.refunded", CustomerID: "cus_123", OccurredAt: created, Subject: "ch_77",
			Data: map[string]any{"amount": "1.250", "currency": "kwd", "reason": "requested_by_customer"},
		}},
		{"replaced default, customer path by default", invoicePaid, flows.Event{
			ID: "stripe_evt_1InvPaid", Type: "invoice.settled", CustomerID: "cus_123", OccurredAt: created, Subject: "in_556",
			Data: map[string]any{"subscription": "sub_987"},
		}},
		{"kept default", invoicePaymentFailed, paymentFailed},
	}
	for _, tt := range tests {
		got, err := receive(t, m, tt.payload)
		if err != nil {
			t.Errorf("%s: Event: %v", tt.name, err)
			continue
		}
		if !reflect.DeepEqual(*got, tt.want) {
			t.Errorf("%s:\n got %s\nwant %s", tt.name, show(got), show(&tt.want))
		}
	}

	livemode := strings.Replace(invoicePaid, `"type": "invoice.paid",`, `"type": "invoice.paid", "livemode": true,`, 1)
	if got, err := m.Event([]byte(livemode)); err != nil || got.Data["livemode"] != true {
		t.Errorf("livemode: %v, %v; want data.livemode true", got, err)
	}
	_, err = m.Event([]byte(sourceExpiring))
	if want := "map stripe event evt_1CardExpiring (customer.source.expiring): the mapping says ignore: ignored"; !errors.Is(err, stripe.ErrIgnored) || err.Error() != want {
		t.Errorf("ignored type: %v, want %q", err, want)
	}
	// The default is not changed by a file.
	if ev, err := stripe.Default().Event([]byte(invoicePaid)); err != nil || ev.Type != "invoice.paid" {
		t.Errorf("Default after LoadMapping: %v, %v", ev, err)
	}
}

func TestLoadMappingInvalid(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"unknown_key": `:3: charge.refunded.subjct: unknown key (known: customer, data, event, ignore, subject)`,
		"bad_event":   `:2: charge.refunded.event: bad event type "PaymentRefunded": want lower-case dotted words like subscription.created`,
		"no_event":    `:1: charge.refunded.event: required`,
		"bad_type":    `:1: Charge Refunded: bad Stripe event type "Charge Refunded": want lower-case dotted words like charge.refunded`,
		"bad_path": `:3: charge.refunded.customer: bad path "customer.id": it must start at a field of the Stripe event (account, api_version, context, created, data, id, livemode, object, pending_webhooks, request, type)` +
			"\n" + `testdata/invalid/bad_path.yaml:4: charge.refunded.subject: bad path "data..id": want dotted names and array indexes like data.object.items.data.0.price.id` +
			"\n" + `testdata/invalid/bad_path.yaml:6: charge.refunded.data.amount: unknown function "sum" (known: amount, date, time)` +
			"\n" + `testdata/invalid/bad_path.yaml:7: charge.refunded.data.currency: bad path "data.object.currency |": empty` +
			"\n" + `testdata/invalid/bad_path.yaml:8: charge.refunded.data: bad key "1st": want letters, digits and '_', not starting with a digit`,
		"ignore_with_event": `:3: invoice.paid.event: not allowed with ignore: true`,
		"not_a_rule": `:1: charge.refunded: want a rule (customer, data, event, ignore, subject), got a string` +
			"\n" + `testdata/invalid/not_a_rule.yaml:2: invoice.paid: want a rule with an event, or ignore: true`,
		"data_list":     `:4: charge.refunded.data: want a map from data keys to paths, got a list`,
		"not_a_map":     `:1: want a map from Stripe event types to rules`,
		"syntax":        `:3: invalid YAML: mapping values are not allowed in this context`,
		"two_documents": `:3: more than one YAML document`,
		"duplicate":     `:3: charge.refunded: mapping key "charge.refunded" already defined at line 1`,
	}
	files, _ := filepath.Glob("testdata/invalid/*.yaml")
	if len(files) != len(tests) {
		t.Errorf("%d files in testdata/invalid, %d cases", len(files), len(tests))
	}
	for name, want := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			file := "testdata/invalid/" + name + ".yaml"
			_, err := stripe.LoadMapping(file)
			if err == nil || err.Error() != file+want {
				t.Errorf("LoadMapping:\n got %v\nwant %s", err, file+want)
			}
		})
	}
}

func TestLoadMappingMissingFile(t *testing.T) {
	t.Parallel()
	_, err := stripe.LoadMapping("testdata/nothing.yaml")
	if !errors.Is(err, os.ErrNotExist) || !strings.HasPrefix(err.Error(), "read stripe mapping: ") {
		t.Errorf("LoadMapping = %v", err)
	}
}

func TestLoadMappingEmpty(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "empty.yaml")
	if err := os.WriteFile(file, []byte("# nothing yet\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := stripe.LoadMapping(file)
	if err != nil || !reflect.DeepEqual(m.Types(), stripe.Default().Types()) {
		t.Errorf("LoadMapping of a file without rules: %v, %v; want the default", m.Types(), err)
	}
}

// TestDefaultYAML checks that the default mapping, written to a file,
// loads as the same mapping.
func TestDefaultYAML(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "stripe.yaml")
	if err := os.WriteFile(file, stripe.DefaultYAML(), 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := stripe.LoadMapping(file)
	if err != nil {
		t.Fatalf("LoadMapping(DefaultYAML): %v", err)
	}
	for _, p := range []string{subscriptionCreated, invoiceUpcoming, sourceExpiring} {
		a, errA := m.Event([]byte(p))
		b, errB := stripe.Default().Event([]byte(p))
		if errA != nil || errB != nil || !reflect.DeepEqual(a, b) {
			t.Errorf("the loaded default differs: %v, %v", errA, errB)
		}
	}
	if !bytes.Contains(stripe.DefaultYAML(), []byte("customer.subscription.created:")) {
		t.Error("DefaultYAML lacks customer.subscription.created")
	}
}
