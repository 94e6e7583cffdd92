package jukinet

// Operation-history operations (操作履歴の管理, G15, G11.2): reading, proving,
// analysing, sealing and purging the operation log are themselves logged.
const (
	OpOplogQuery  Operation = "oplog.query"  // search the log (by operator, resident, …)
	OpOplogProve  Operation = "oplog.prove"  // export one record with its inclusion proof
	OpOplogExport Operation = "oplog.export" // export every committed record for an outside auditor
	OpOplogReport Operation = "oplog.report" // the periodic misuse analysis
	OpOplogSeal   Operation = "oplog.seal"   // write a monthly sealed archive
	OpOplogPurge  Operation = "oplog.purge"  // delete sealed months older than 7 years
)

var oplogPolicy = map[Operation][]Authority{
	OpOplogQuery:  {AuthorityAudit, AuthorityAccessAdmin},
	OpOplogProve:  {AuthorityAudit, AuthorityAccessAdmin},
	OpOplogExport: {AuthorityAudit, AuthorityAccessAdmin},
	OpOplogReport: {AuthorityAudit, AuthorityAccessAdmin, AuthoritySystem},
	OpOplogSeal:   {AuthorityAudit, AuthoritySystemAdmin, AuthoritySystem},
	// Only the access administrator may purge, and only what retention allows.
	OpOplogPurge: {AuthorityAccessAdmin},
}
