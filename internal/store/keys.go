package store

// Every Redis key ahead writes is named in this file, with its hash tag.
// Keys that must change together in one script share a tag, so that they
// live in one Redis Cluster slot.

// Key layout. A customer's keys share the hash tag {customer id}.
func custKey(cus, suffix string) string { return "ahead:{" + cus + "}:" + suffix }

func profileKey(cus string) string      { return custKey(cus, "profile") }
func journalKey(cus string) string      { return custKey(cus, "journal") }
func callbackRefsKey(cus string) string { return custKey(cus, "callbacks") }

// ivsKey is the hash of the customer's interventions: id to its record
// (see record.go).
func ivsKey(cus string) string { return custKey(cus, "ivs") }

// eventsKey is the hash of the customer's stored events: id to the
// event's expiry and JSON, with a few marks of their own (see events.go).
func eventsKey(cus string) string { return custKey(cus, "evts") }

// unroutedKey marks the customer's events that were accepted but are not
// routed yet; it is empty, and so absent, most of the time.
func unroutedKey(cus string) string { return custKey(cus, "unrouted") }

// goalsKey holds the customer's open goal windows: one mark per run of a
// measured flow, with its arm and count (see effect.go).
func goalsKey(cus string) string { return custKey(cus, "goals") }

// Earlier versions kept each event and each intervention in a key of its
// own, and an index of those keys per customer for erasure: a hash
// (indexKey) or, before it, a set (legacyIndexKey). Migrate (see
// layout.go) folds them into ivsKey and eventsKey; Erase still deletes
// what an index names.
func indexKey(cus string) string       { return custKey(cus, "keys") }
func legacyIndexKey(cus string) string { return custKey(cus, "index") }
func ivKey(cus, id string) string      { return custKey(cus, "iv:"+id) }
func eventKey(cus, id string) string   { return custKey(cus, "evt:"+id) }

// pendingKey is the index of pending interventions earlier versions kept;
// the records hold what it held.
func pendingKey(cus string) string { return custKey(cus, "pending") }

// LayoutKey holds the version of the store's layout (see layout.go).
const LayoutKey = "ahead:layout"

// DueKey is the due index of a step queue: a sorted set of the step
// tasks that wait for their time, scored by due time in Unix
// milliseconds. It shares asynq's hash tag for the queue ({queue}), so
// that moving a due member into the queue's pending list is one script
// in one Redis Cluster slot.
func DueKey(queue string) string { return "ahead:{" + queue + "}:due" }

// Callback queues have a tag of their own so that a claim is one script.
func queueKey(q string) string        { return "ahead:{cbq:" + q + "}:queue" }
func callbackKey(q, id string) string { return "ahead:{cbq:" + q + "}:cb:" + id }
func queuesKey() string               { return "ahead:{cbq}:names" }
func statsKey(q string) string        { return "ahead:{cbq:" + q + "}:stats" }
func sweepKey(q string) string        { return "ahead:{cbq:" + q + "}:sweep" }
func taskCloseKey(q string) string    { return "ahead:{cbq:" + q + "}:tasks-to-close" }

// A flow's effect counters carry no personal data: entrants, goal hits
// and sums per arm, by the day goal windows close. They have a tag per
// flow, so that one flow's counters live in one slot.
func effectKey(flow, period string) string { return "ahead:{effect:" + flow + "}:counts:" + period }
func periodsKey(flow string) string        { return "ahead:{effect:" + flow + "}:periods" }

// phoneKey indexes customers by phone or WhatsApp number, so an inbound
// message finds its customer.
func phoneKey(number string) string { return "ahead:{ph:" + number + "}:customers" }

// flowSourceKey keeps the source of a flow version that runs started on.
func flowSourceKey(version string) string { return "ahead:flowsrc:" + version }

// The outbox channel's messages, newest first, and their ids.
const (
	outboxKey  = "ahead:{outbox}:items"
	outboxByID = "ahead:{outbox}:byid"
)

// RateLimitKey is the key of a channel's send-rate window, shared by every
// worker that sends over it.
func RateLimitKey(channel string) string { return "ahead:{ratelimit}:" + channel + ":window" }

// tombKey marks an erased customer by a keyed hash of the id, never the
// id itself; its hash tag is that hash.
func tombKey(hash string) string { return "ahead:{tomb:" + hash + "}" }
