package main

import (
	"context"
	"fmt"
	"io"
)

// bench runs `ahead bench`. The measured comparison with raw asynq is not
// built yet; it says so rather than print figures it did not measure.
func bench(_ context.Context, _ []string, stdout io.Writer) error {
	fmt.Fprintln(stdout, "ahead bench: not yet: the benchmark beside raw asynq is not implemented in this version")
	return nil
}
