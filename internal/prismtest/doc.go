// Package prismtest runs Stoplight Prism as a validating mock of an OpenAPI
// contract, so tests can send real client requests to it. Prism answers a
// request that keeps the contract with an example from the contract, and
// one that breaks it with a 4xx error.
//
// The contracts (Twilio's OpenAPI files) are read from the folder named by
// AHEAD_TWILIO_OPENAPI_DIR, by default ../shared/contracts beside the
// repository. Without the folder, and without Prism (installed in
// e2e/node_modules by make deps), a test that needs it is skipped with a
// message saying so; when CI=true or AHEAD_REQUIRE_CONTRACTS=1 it fails
// instead. make test finds the folder first (scripts/contracts.sh), fails
// when it is not there, and sets AHEAD_REQUIRE_CONTRACTS=1, so a contract
// test never skips there.
//
// Each contract gets one Prism per test binary, started by the first test
// that asks; Stop, called from TestMain, ends them. The package is for
// tests only: it must not be imported by production code.
package prismtest
