package store

// Key layout. A customer's keys share the hash tag {customer id}.
func custKey(cus, suffix string) string { return "ahead:{" + cus + "}:" + suffix }

func profileKey(cus string) string      { return custKey(cus, "profile") }
func journalKey(cus string) string      { return custKey(cus, "journal") }
func pendingKey(cus string) string      { return custKey(cus, "pending") }
func indexKey(cus string) string        { return custKey(cus, "keys") }
func ivKey(cus, id string) string       { return custKey(cus, "iv:"+id) }
func eventKey(cus, id string) string    { return custKey(cus, "evt:"+id) }
func callbackRefsKey(cus string) string { return custKey(cus, "callbacks") }

// legacyIndexKey is the set of a customer's keys that earlier versions
// kept; indexKey, a hash from key name to "", replaced it because Redis
// stores a small hash compactly. Both are read and erased.
func legacyIndexKey(cus string) string { return custKey(cus, "index") }

// Callback queues have a tag of their own so that a claim is one script.
func queueKey(q string) string        { return "ahead:{cbq:" + q + "}:queue" }
func callbackKey(q, id string) string { return "ahead:{cbq:" + q + "}:cb:" + id }
func queuesKey() string               { return "ahead:{cbq}:names" }

const outboxKey = "ahead:{outbox}:items"
