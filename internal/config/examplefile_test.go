package config

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

const examplePath = "../../ahead.example.yaml"

func TestExampleConfig(t *testing.T) {
	t.Parallel()
	c, err := Load(examplePath, noEnv)
	if err != nil {
		t.Fatalf("the example does not load:\n%v", err)
	}
	// Its Twilio credentials are placeholders: serve refuses them, naming
	// each key and its line, until they are replaced.
	want := fmt.Sprintf("%s:%d: twilio.account_sid: not an account SID (AC followed by 32 hexadecimal digits)\n", examplePath, lineOf(t, "account_sid: \"ACchange-me")) +
		fmt.Sprintf("%s:%d: twilio.auth_token: may hold only letters and digits", examplePath, lineOf(t, "auth_token: \"change-me-twilio"))
	if err := c.Requires("serve"); err == nil || err.Error() != want {
		t.Fatalf("ahead serve on the example:\n got %v\nwant %s", err, want)
	}
	c.Twilio.AccountSID, c.Twilio.AuthToken = "AC0123456789abcdef0123456789abcdef", "0123456789abcdef0123456789abcdef"
	if err := c.Requires("serve"); err != nil {
		t.Fatalf("the example with real credentials is not enough for ahead serve:\n%v", err)
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

// lineOf returns the line of the example that holds text.
func lineOf(t *testing.T, text string) int {
	t.Helper()
	b, err := os.ReadFile(examplePath)
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range strings.Split(string(b), "\n") {
		if strings.Contains(l, text) {
			return i + 1
		}
	}
	t.Fatalf("%s has no line with %q", examplePath, text)
	return 0
}
