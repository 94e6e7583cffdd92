package oplog

// SetRowsChunk makes SQLLog.Rows read chunks of n indices (0: one query),
// so small test logs take the parallel path.
func SetRowsChunk(l *SQLLog, n uint64) { l.chunk = n }

// The statements Query and Analyse run, for the tests that EXPLAIN them
// (the index each uses).
var (
	QuerySQL        = querySQL
	QueryByIndexSQL = queryByIndexSQL
	ResidentRunsSQL = residentRunsSQL
)

const (
	HoldingRowSQL = holdingRowSQL
	ReportSQL     = reportSQL
)

// FedLen is how many handed-over hashes c keeps for its next checkpoint.
func FedLen(c *Checkpointer) int {
	c.fedMu.Lock()
	defer c.fedMu.Unlock()
	return c.fedLen
}
