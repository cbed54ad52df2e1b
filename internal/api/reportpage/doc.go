// Package reportpage is the report page at /reports: server-rendered
// HTML, one card per measured flow, that says for each whether it works.
// A card shows the goal, the holdout and the report period, both arms'
// entrants and goal rates, the difference treatment − control with its
// 95% interval and its always-valid interval drawn as bars around zero,
// the contacts avoided per 1,000 entrants, the verdict in a sentence, a
// warning when the sample-ratio check alerts, the smallest detectable
// difference and the entrants still needed, and, apart, the runs whose
// goal window is still open.
//
// Reports are admin data: when the server checks tokens, the page asks
// for a token with the admin scope once and keeps a signed, expiring
// session cookie that only /reports gets. It speaks Dutch or English, by
// the browser's language, needs no JavaScript and shares the agent
// desk's look (package web). It reads the flows and their reports
// through the Reports interface, which the engine implements, and must
// not import the store, the task layer or asynq.
package reportpage
