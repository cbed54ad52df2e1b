package main

import (
	"fmt"
	"slices"

	"github.com/aheadhq/ahead/channels"
	"github.com/aheadhq/ahead/channels/webhook"
	"github.com/aheadhq/ahead/engine"
	"github.com/aheadhq/ahead/flows"
)

// checkFlows checks, on a process that runs steps, that the flows of cat
// can be sent over the channels this process has.
func (n *node) checkFlows(cat *engine.Catalog) error {
	if !n.sends || n.devMode {
		return nil
	}
	return checkWebhook(cat, n.webhook)
}

// checkWebhook reports every step of cat that uses the webhook channel in
// a flow the channel has no URL for (wh nil: the webhook section is
// empty), one problem a line, naming file, line and field. Such a step
// could never be sent over it.
func checkWebhook(cat *engine.Catalog, wh *webhook.Channel) error {
	var errs flows.Errors
	for _, f := range cat.Flows.Flows() {
		if wh != nil && wh.URL(f.Name) != "" {
			continue
		}
		for i, st := range f.Steps {
			if !slices.Contains(st.Channels, channels.Webhook) {
				continue
			}
			key, line := f.StepKey(i, "channels", "channel")
			if key == "" {
				key = "channels"
			}
			msg := fmt.Sprintf("the webhook channel has no URL for flow %q: set webhook.url, or add {flow: %s, url: …} to webhook.flows", f.Name, f.Name)
			if wh == nil {
				msg = fmt.Sprintf("the webhook channel is not configured: set webhook.url and webhook.secret, or add {flow: %s, url: …} to webhook.flows", f.Name)
			}
			errs = append(errs, &flows.Error{File: f.File, Line: line, Field: fmt.Sprintf("steps[%d].%s", i, key), Msg: msg})
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return errs
}
