// Package templates loads and renders the texts ahead sends: one file per
// template, channel, locale and (optionally) formality, kept beside the flows
// in a flow folder's templates/ directory.
//
// A file is named NAME.CHANNEL.LOCALE[.FORMALITY][.html].tmpl, for example
// templates/first-invoice-explainer.email.nl.informal.tmpl. An email template
// starts with a "Subject: …" line and a blank line; an optional .html.tmpl
// twin gives the HTML part. Templates are Go templates over .Customer,
// .Event (the trigger event, with .Event.Data), .Flow and .Step. A missing
// key is an error when a template is rendered, and a field name that cannot
// exist (.Customer.Nmae) is reported by Set.Check, which `ahead flows
// validate` calls for every step.
//
// Render picks the variant for a customer: the exact locale and formality
// first, then the locale without formality, then the same for the language
// alone (en for en-GB), then for the default locale.
//
// The package must not send anything, read the clock, or know about Redis,
// asynq or any channel implementation.
package templates
