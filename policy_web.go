package jukinet

// Operations of the terminal's admin console not covered by another
// area's table.
const (
	// OpNetworkStatusView reads the node's queue status (outbox, inbox,
	// dead letters, receipts): metadata only, no personal data.
	OpNetworkStatusView Operation = "web.network_status"
)

var webPolicy = map[Operation][]Authority{
	OpNetworkStatusView: {AuthoritySystemAdmin, AuthorityAudit, AuthorityAccessAdmin},
}
