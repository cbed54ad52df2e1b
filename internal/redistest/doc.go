// Package redistest gives tests a real, empty Redis database.
//
// Tests run against the redis-server named by REDIS_URL (make test starts
// one on a free port). Without REDIS_URL, Main starts a throwaway
// redis-server for the test binary. Each call to New hands out a database
// of its own and flushes it, so tests that run at the same time, in one
// package or in several, do not see each other's keys.
//
// Cluster tests use the Redis Cluster named by REDIS_CLUSTER (make
// test-cluster starts a 3-master cluster and sets it); without it they are
// skipped. StartServer runs a redis-server that a test can stop and start
// again, to check what survives a restart.
//
// This package is for tests only.
package redistest
