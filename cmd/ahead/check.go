package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/aheadhq/ahead/engine"
	"github.com/aheadhq/ahead/internal/config"
)

// checkChannels holds the flows in force against the configuration: a
// step none of whose channels the configuration turns on is an error
// (nothing could ever be sent), a step that must fall back past a channel
// that is off is a warning. Each names the flow file, line and field.
func checkChannels(cfg *config.Config, cat *engine.Catalog) (warnings []string, err error) {
	var errs []error
	for _, f := range cat.Flows.Flows() {
		for i, s := range f.Steps {
			var off, on []string
			for _, ch := range s.Channels {
				why := cfg.ChannelOffFor(ch, f.Name)
				switch {
				case why == "":
					on = append(on, ch)
				case ch == "webhook":
					off = append(off, why)
				default:
					off = append(off, fmt.Sprintf("%s is not configured (%s)", ch, why))
				}
			}
			if len(off) == 0 {
				continue
			}
			key, line := f.StepKey(i, "channels", "channel")
			if key == "" {
				key = "channels"
			}
			at := fmt.Sprintf("%s:%d: steps[%d].%s", f.File, line, i, key)
			if len(on) == 0 {
				errs = append(errs, fmt.Errorf("%s: %s", at, strings.Join(off, "; ")))
				continue
			}
			warnings = append(warnings, fmt.Sprintf("%s: %s; the step goes out over %s", at, strings.Join(off, "; "), strings.Join(on, ", ")))
		}
	}
	return warnings, errors.Join(errs...)
}
