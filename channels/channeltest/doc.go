// Package channeltest is the conformance suite every channel must pass.
//
// A channel's own tests wire it to a real or contract-faithful test backend
// through a Harness and call Run. Run checks what the channels.Channel
// contract promises: a message is delivered; sending the same message again
// is safe; a transient failure is not permanent and a later try goes
// through; a permanent failure wraps asynq.SkipRetry; a cancelled context is
// a transient failure that delivers nothing; a message without a contact
// point is a permanent ErrNoContact.
//
// The package is for tests only. It knows the contract, not any provider:
// it must not import a channel implementation or a test backend.
package channeltest
