package config

import (
	"testing"
)

const examplePath = "../../ahead.example.yaml"

func TestExampleConfig(t *testing.T) {
	t.Parallel()
	c, err := Load(examplePath, noEnv)
	if err != nil {
		t.Fatalf("the example does not load:\n%v", err)
	}
	if err := c.Requires("serve"); err != nil {
		t.Fatalf("the example is not enough for ahead serve:\n%v", err)
	}
	if c.API.InsecureNoAuth {
		t.Error("the example runs without authentication")
	}
	has := map[string]bool{}
	for _, tok := range c.API.Tokens {
		for _, s := range tok.Scopes {
			has[s] = true
		}
	}
	for _, s := range []string{ScopeEvents, ScopeAgent, ScopeAdmin} {
		if !has[s] {
			t.Errorf("the example has no token with scope %s", s)
		}
	}
}

// TestExampleIsComplete checks that the example sets every key, so it stays
// complete as settings are added.
func TestExampleIsComplete(t *testing.T) {
	t.Parallel()
	c, err := Load(examplePath, noEnv)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range Keys() {
		if _, ok := c.src[key]; !ok {
			t.Errorf("%s lacks %s", examplePath, key)
		}
	}
}
