// Package metrics declares ahead's Prometheus metrics in one place, so
// that the API, the worker and the channels count the same things under the
// same names. /metrics serves them.
package metrics
