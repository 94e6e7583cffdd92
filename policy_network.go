package jukinet

// Operations of the network plumbing.
const (
	// OpIdentityLookup reads identity information (本人確認情報) held by a
	// prefecture or the national server (法30条の10 ff.): by resident code,
	// one or a batch; each lookup is logged with its purpose.
	OpIdentityLookup Operation = "identity.lookup"

	// OpNetworkRefused records the refusals at the network listener of one
	// peer for one reason within one minute, with their count (G2.4).
	OpNetworkRefused Operation = "network.refused"
)

var networkPolicy = map[Operation][]Authority{
	OpIdentityLookup: {AuthorityLookup, AuthoritySystem},
	OpNetworkRefused: {AuthoritySystem},
}
