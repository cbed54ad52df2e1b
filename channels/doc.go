// Package channels defines how ahead reaches a customer: the Channel
// contract, the Message a step hands to a channel, and the classification of
// failures into transient (retry with backoff) and permanent (no retry; the
// step falls back to its next channel).
//
// A channel that knows its point of no return, the moment after which the
// provider may have the message, is a Committer: it calls
// Message.PointOfNoReturn right before it, and sends nothing when that
// fails. A send stopped before that point can be tried again without
// reaching the customer twice.
//
// Each provider lives in its own subpackage with its configuration beside it
// (email, callback, outbox). This package must not import any of them, nor
// Redis, asynq task code or flows.
package channels
