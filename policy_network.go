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

	// OpNetworkReconcile starts a CS 整合性確認: the CS sends its prefecture
	// digests of its current identity information and resends what the
	// prefecture's copy lacks or holds differently (法30条の6: the
	// prefecture's copy must match the register). Digests only pass; no
	// personal data is shown to whoever starts it.
	OpNetworkReconcile Operation = "network.reconcile"
)

var networkPolicy = map[Operation][]Authority{
	OpIdentityLookup:   {AuthorityLookup, AuthoritySystem},
	OpNetworkRefused:   {AuthoritySystem},
	OpNetworkReconcile: {AuthoritySystemAdmin, AuthoritySystem},
}
