// Package clock provides the time source every part of ahead reads.
//
// Production uses the wall clock. `ahead dev --time-scale N` uses a scaled
// clock that starts at the real time and runs N times faster, and unit tests
// use a fake clock they move by hand. Code never calls time.Now directly for
// anything a customer can observe; it asks a Clock.
//
// The package must not know about Redis, flows or channels.
package clock
