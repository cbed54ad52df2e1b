package config

import (
	"encoding/json"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

func TestParseDuration(t *testing.T) {
	t.Parallel()
	const day = 24 * time.Hour
	good := map[string]time.Duration{
		"0":       0,
		"30s":     30 * time.Second,
		"1.5h":    90 * time.Minute,
		"24h":     day,
		"2d":      2 * day,
		"1d12h":   36 * time.Hour,
		"1d30m":   day + 30*time.Minute,
		"0d":      0,
		" 3d ":    3 * day,
		"-1d":     -day,
		"+2d":     2 * day,
		"-1h":     -time.Hour,
		"106751d": 106751 * day,
	}
	for in, want := range good {
		got, err := ParseDuration(in)
		if err != nil || got.Duration() != want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "d", "30", "1 week", "1.5d", "d2", "2dd", "1d-1h", "1d+1h", "2d2d", "--1d", "-d", "99999999999999d", "106752d", "1e3d", "1w"} {
		if got, err := ParseDuration(in); err == nil {
			t.Errorf("ParseDuration(%q) = %v, want an error", in, got)
		}
	}
}

func TestDurationText(t *testing.T) {
	t.Parallel()
	var s struct {
		D Duration `yaml:"d" json:"d"`
	}
	if err := yaml.Unmarshal([]byte("d: 2d\n"), &s); err != nil || s.D.Duration() != 48*time.Hour {
		t.Fatalf("yaml 2d = %v, %v", s.D, err)
	}
	out, err := yaml.Marshal(s)
	if err != nil || string(out) != "d: 48h0m0s\n" {
		t.Errorf("yaml.Marshal = %q, %v", out, err)
	}
	js, err := json.Marshal(s)
	if err != nil || string(js) != `{"d":"48h0m0s"}` {
		t.Errorf("json.Marshal = %s, %v", js, err)
	}
	if err := json.Unmarshal([]byte(`{"d":"soon"}`), &s); err == nil {
		t.Error("json accepted a bad duration")
	}
}
