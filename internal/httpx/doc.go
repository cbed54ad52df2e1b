// Package httpx holds what every HTTP handler of ahead shares: reading a
// bounded body, strict JSON decoding whose errors name the field, JSON
// answers and errors, and bearer-token authentication by scope.
//
// It knows nothing of ahead's domain: it must not import the engine, the
// store, flows or channels.
package httpx
