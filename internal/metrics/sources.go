package metrics

import "github.com/prometheus/client_golang/prometheus"

// SourceEvents counts the provider events posted to /v1/sources/…, by
// source (stripe) and result: accepted, duplicate, ignored (not for
// ahead: a type the mapping does not map, or no customer), invalid (a bad
// signature or an event that does not fit its rule) and failed (the
// store was down; the provider sends it again).
var SourceEvents = prometheus.NewCounterVec(prometheus.CounterOpts{
	Name: "ahead_source_events_total", Help: "Provider events posted to /v1/sources/..., by source and result (accepted, duplicate, ignored, invalid, failed).",
}, []string{"source", "result"})

func init() { Registry.MustRegister(SourceEvents) }
