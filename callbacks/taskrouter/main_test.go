package taskrouter_test

import (
	"os"
	"testing"

	"github.com/aheadhq/ahead/internal/prismtest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	prismtest.Stop()
	os.Exit(code)
}
