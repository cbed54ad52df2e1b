package config_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/aheadhq/ahead/internal/config"
)

func ExampleLoad() {
	dir, _ := os.MkdirTemp("", "ahead")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "ahead.yaml")
	_ = os.WriteFile(path, []byte("smtp:\n  port: 25\nworker:\n  shards: 8\n"), 0o600)

	env := map[string]string{"AHEAD_SMTP_PORT": "2525", "AHEAD_DEFAULTS_LATE_LIMIT": "2d"}
	c, err := config.Load(path, func(k string) string { return env[k] })
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(c.SMTP.Port, c.Worker.Shards, c.Defaults.LateLimit, c.Defaults.Timezone)
	// Output: 2525 8 48h0m0s Europe/Amsterdam
}

func ExampleConfig_Validate() {
	c := config.Default()
	c.SMTP.Port = 0
	c.Defaults.Formality = "polite"
	fmt.Println(c.Validate())
	// Output:
	// defaults.formality: must be one of informal, formal, got "polite"
	// smtp.port: must be 1-65535, got 0
}

func ExampleConfig_Authorize() {
	c := config.Default()
	c.API.Tokens = []config.Token{
		{Name: "crm", Token: "0123456789abcdef", Scopes: []string{config.ScopeEvents}},
		{Name: "ops", Token: "fedcba9876543210", Scopes: []string{config.ScopeAdmin}},
	}
	fmt.Println(c.Authorize("0123456789abcdef", config.ScopeEvents))
	fmt.Println(c.Authorize("0123456789abcdef", config.ScopeAgent))
	fmt.Println(c.Authorize("fedcba9876543210", config.ScopeAgent))
	// Output:
	// true
	// false
	// true
}
