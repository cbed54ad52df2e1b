// Package desk is the agent desk at /agent: server-rendered pages where a
// contact-centre agent signs in, sees the callback queues, claims the next
// callable callback, reads the customer's timeline and talking points, and
// records the call's outcome. It works only through the callbacks
// package's Queues and is mounted by the HTTP API as an http.Handler.
//
// It speaks Dutch or English, by the agent's browser language. It needs
// no JavaScript (a few lines add keyboard shortcuts), posts plain forms
// protected against cross-site requests, and must not import the engine,
// the task layer or asynq.
package desk
