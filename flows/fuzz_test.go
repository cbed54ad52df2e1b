package flows

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// FuzzParse checks that Parse never panics and that whatever it accepts can
// be simulated.
func FuzzParse(f *testing.F) {
	for _, pattern := range []string{"testdata/valid/*.yaml", "testdata/invalid/*.yaml"} {
		files, err := filepath.Glob(pattern)
		if err != nil {
			f.Fatal(err)
		}
		for _, file := range files {
			data, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	now := time.Date(2026, 3, 29, 1, 30, 0, 0, time.UTC)
	ams, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse("fuzz.yaml", data, testTemplates)
		if err != nil {
			if _, ok := err.(Errors); !ok {
				t.Fatalf("error %T is not Errors: %v", err, err)
			}
			return
		}
		for _, fl := range s.Flows() {
			ev := &Event{ID: "e", Type: fl.Trigger.Event, CustomerID: "c", OccurredAt: now}
			_, _ = s.Triggered(ev, nil)
			_, _ = s.Cancels(ev, nil)
			for _, st := range fl.Steps {
				p := st.Due(now, now, ams, fl.StepLateLimit(st))
				if !p.Late && p.At.Before(now) {
					t.Fatalf("step %s due %s before now", st.ID, p.At)
				}
			}
		}
	})
}
