package jukinet

// Operations of the inter-node flows (docs/domain.md §3) started by an operator or
// by the system, and of the national server's provision to agencies.
const (
	OpCopyRequest     Operation = "flows.copy_request"     // 住民票の写しの広域交付: ask the residence CS (法12条の4)
	OpCopyReceive     Operation = "flows.copy_receive"     // take the answered copy for printing (erases the held data)
	OpSpecialMoveIn   Operation = "flows.special_move_in"  // 転入届の特例 (法24条の2)
	OpCardIssue       Operation = "flows.card_issue"       // record the issue of a 個人番号カード
	OpCardStatus      Operation = "flows.card_status"      // card / JPKI certificate status change
	OpLinkCodeRequest Operation = "flows.linkcode_request" // 情報提供用個人識別符号 (番号法21条の2)
	OpCodePoolRequest Operation = "flows.code_pool_request"
	OpFlowsRead       Operation = "flows.read"               // read what a prefecture/national server holds about a person
	OpNationalProvide Operation = "national.provide"         // provision to agencies (法30条の9)
	OpSelfDisclosure  Operation = "national.self_disclosure" // 法30条の32: who received what about me
	OpNetworkRelay    Operation = "network.relay"            // prefecture relays to national (法30条の7)
	OpNumberGenerate  Operation = "national.number_generate" // 番号法8条
	// OpIdentityLoad loads a prefecture's or the national server's identity
	// information in bulk (a migration or a rebuild from the municipalities'
	// reports, 法30条の6/30条の7).
	OpIdentityLoad Operation = "flows.identity_load"
)

var flowsPolicy = map[Operation][]Authority{
	OpCopyRequest:     {AuthorityIssue},
	OpCopyReceive:     {AuthorityIssue},
	OpSpecialMoveIn:   {AuthoritySpecialMoveIn},
	OpCardIssue:       {AuthorityNumber},
	OpCardStatus:      {AuthorityNumber, AuthoritySystem},
	OpLinkCodeRequest: {AuthorityNumber, AuthoritySystem},
	OpCodePoolRequest: {AuthoritySystemAdmin, AuthoritySystem},
	OpFlowsRead:       {AuthorityLookup, AuthorityAudit, AuthoritySystem},
	OpNationalProvide: {AuthoritySystem},
	OpSelfDisclosure:  {AuthorityLookup, AuthoritySystem},
	OpNetworkRelay:    {AuthoritySystem},
	OpNumberGenerate:  {AuthoritySystem},
	OpIdentityLoad:    {AuthoritySystemAdmin, AuthoritySystem},
}
