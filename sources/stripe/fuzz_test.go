package stripe

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse checks that no mapping file makes the loader panic, and that a
// file it accepts maps any payload without panicking.
func FuzzParse(f *testing.F) {
	f.Add(defaultYAML, []byte(`{"id":"evt_1","type":"invoice.paid","created":1,"data":{"object":{"customer":"cus_1"}}}`))
	files, _ := filepath.Glob("testdata/*.yaml")
	invalid, _ := filepath.Glob("testdata/invalid/*.yaml")
	for _, file := range append(files, invalid...) {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, []byte(`{"id":"evt_2","type":"charge.refunded","created":2,"data":{"object":{"customer":{"id":"cus_2"},"amount_refunded":5}}}`))
	}
	f.Fuzz(func(t *testing.T, file, payload []byte) {
		m, err := parse("fuzz.yaml", file)
		if err != nil {
			return
		}
		_, _ = m.Event(payload)
		_ = m.Types()
	})
}
