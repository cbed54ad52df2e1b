// Package web holds what ahead's server-rendered pages share: the agent
// desk at /agent and the report page at /reports. It owns their look (a
// base style sheet and the icon, served by each page under its own path),
// the signed, expiring session cookie, the security headers of a page,
// and the choice between Dutch and English by the browser's
// Accept-Language with a catalog of messages in both.
//
// It must not import anything of ahead.
package web
