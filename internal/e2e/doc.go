// Package e2e runs ahead the way its users do: the ahead binary, built
// once per test run, in separate processes for the API and the workers,
// against a real Redis (one server, a 3-master Redis Cluster, a server
// restarted on its append-only file) and a real SMTP server that counts
// every message it receives, by intervention id.
//
// It holds tests only: several workers sending each intervention once, a
// worker killed in the middle of sending, Redis restarted with scheduled
// work, and the end-to-end flow on a Redis Cluster (make test-cluster).
package e2e
