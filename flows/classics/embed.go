// Package classics holds the experience classics: ready flows for the
// moments that come back in almost every customer journey, with their
// texts (templates/), the callback queues they use (queues.yaml) and a
// sample event for each trigger (events/). See docs/classics.md.
//
// The folder is a flow folder in its own right (ahead dev serves it) and
// is built into the ahead binary as FS, so that `ahead flows init` can copy
// classics into a flow folder of one's own wherever ahead is installed.
package classics

import "embed"

// FS is this folder: the flow files (*.yaml) at its root, templates/ and
// events/.
//
//go:embed *.yaml templates events
var FS embed.FS
