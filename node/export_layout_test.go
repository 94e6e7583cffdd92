package node

// The PostgreSQL batch lookup and the holder-first order, for the layout
// test's EXPLAIN.
const (
	LookupPostgres = lookupPostgres
	CurrentFirst   = currentFirst
)
