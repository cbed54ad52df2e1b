// Package layers holds the test that keeps ahead's packages in their
// layers: flows, templates and stats stay pure, the engine never names
// the task queue's technology, and the HTTP API reaches Redis only
// through the engine. It has no code of its own and nothing imports it.
package layers
