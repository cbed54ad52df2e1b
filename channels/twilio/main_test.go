package twilio_test

import (
	"os"
	"testing"

	"github.com/aheadhq/ahead/internal/prismtest"
	"github.com/aheadhq/ahead/internal/redistest"
)

func TestMain(m *testing.M) {
	code := redistest.Main(m)
	prismtest.Stop()
	os.Exit(code)
}
