package store

// Names the tests need from inside the package.
const (
	JournalCap = journalCap
	OutboxList = outboxKey
	OutboxByID = outboxByID
)
