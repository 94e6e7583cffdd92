package jukinet

// Operations of the operation-log witness over the network (G15): a node
// asks its witness to cosign a checkpoint of its log.
const (
	OpOplogCosignRequest Operation = "oplog.cosign_request" // queue checkpoint.cosign.request to the node's witness
)

var witnessPolicy = map[Operation][]Authority{
	OpOplogCosignRequest: {AuthoritySystem},
}
