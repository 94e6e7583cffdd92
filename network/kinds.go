// Package network is jukinet's inter-node protocol: message envelopes and their
// canonical binary encoding, batch signatures (one Ed25519 signature over an
// RFC 6962 Merkle root per batch), signed receipts, the deny-by-default firewall
// policy, the network description and the mutual-TLS HTTP transport.
//
// Storage (outbox, inbox, receipts kept as evidence) is not here: the transport
// hands accepted envelopes to an Inbox and returns receipts to its caller.
package network

import (
	"fmt"
	"slices"
)

// Kind is the kind of a message: one per flow of docs/domain.md §3. Its numeric
// value is the wire code, so the list is append-only: never renumber or reuse.
type Kind uint16

// The message kinds. The comment names the flow and who sends it to whom
// (CS = a municipality's Communication Server, pref = prefecture server).
const (
	KindIdentityNotify           Kind = 1  // 本人確認情報通知 (法30条の6), CS → pref
	KindIdentityRelay            Kind = 2  // 本人確認情報通知 forwarded (法30条の7), pref → national; body = the CS's original envelope
	KindMoveInNotice             Kind = 3  // 転入通知 (法9条1項), new CS → previous CS
	KindMoveOutConfirm           Kind = 4  // 転出確定通知 (施行令13条3項), CS → pref (relayed to national)
	KindMoveOutCertificate       Kind = 5  // 転出証明書情報 (法24条の2), previous CS → new CS
	KindCopyRequest              Kind = 6  // 住民票の写しの広域交付 request (法12条の4), issuing CS → residence CS
	KindCopyResponse             Kind = 7  // 住民票の写しの広域交付 response, residence CS → issuing CS
	KindAnnexNotice              Kind = 8  // 戸籍の附票記載事項通知 (法19条1項), residence CS → CS of the 本籍地
	KindMyNumberRequest          Kind = 9  // 個人番号 generation request (番号法8条), CS → national
	KindMyNumberResponse         Kind = 10 // 個人番号 generation response, national → CS
	KindLinkCodeRequest          Kind = 11 // 情報提供用個人識別符号 request (番号法21条の2), CS → national
	KindLinkCodeResponse         Kind = 12 // 情報提供用個人識別符号 response, national → CS
	KindCardStatus               Kind = 13 // 個人番号カード / JPKI status change, CS ↔ national
	KindResidentCodePoolRequest  Kind = 14 // 住民票コード pool request (法30条の2 ff.), CS → national
	KindResidentCodePoolGrant    Kind = 15 // 住民票コード pool grant, national → CS
	KindAnnexIdentityNotify      Kind = 16 // 附票本人確認情報 (法30条の41 ff.), CS → pref (relayed to national)
	KindCheckpointCosignRequest  Kind = 17 // operation-log checkpoint to cosign, CS → its pref (the witness)
	KindCheckpointCosignResponse Kind = 18 // the witness's cosignature, pref → CS
	KindSupportMeasure           Kind = 19 // 支援措置 travelling with a 転出, previous CS → new CS (on its 転入通知)
	KindReconcileRequest         Kind = 26 // CS 整合性確認: the CS's digests of its identity information per bucket, CS → its pref
	KindReconcileDigests         Kind = 27 // CS 整合性確認: the pref's per-person digests of the buckets that differ, pref → CS
	KindResidentCodeReportAsk    Kind = 30 // a restored national server asks each CS for the 住民票コード it holds, national → CS
	KindResidentCodeReport       Kind = 31 // the CS's answer: its unused pool and every code it notified, CS → national
	KindIdentityResyncAsk        Kind = 32 // a restored national server asks each CS for its current 本人確認情報 changed since the backup, national → CS
	KindIdentityResync           Kind = 33 // the CS's answer: the current notice of each such person, CS → national
	KindResidentCodeTally        Kind = 34 // how many 住民票コード grants the CS holds, CS → national (at its start, or asked)
	KindResidentCodeTallyAnswer  Kind = 35 // how many grants the national server made to the CS, national → CS
	KindResidentCodeTallyAsk     Kind = 36 // the national server asks each CS for its tally as it starts, national → CS
)

var kindNames = map[Kind]string{
	KindIdentityNotify:           "identity.notify",
	KindIdentityRelay:            "identity.relay",
	KindMoveInNotice:             "movein.notice",
	KindMoveOutConfirm:           "moveout.confirm",
	KindMoveOutCertificate:       "moveout.certificate",
	KindCopyRequest:              "copy.request",
	KindCopyResponse:             "copy.response",
	KindAnnexNotice:              "annex.notice",
	KindMyNumberRequest:          "mynumber.request",
	KindMyNumberResponse:         "mynumber.response",
	KindLinkCodeRequest:          "linkcode.request",
	KindLinkCodeResponse:         "linkcode.response",
	KindCardStatus:               "card.status",
	KindResidentCodePoolRequest:  "rescode.pool.request",
	KindResidentCodePoolGrant:    "rescode.pool.grant",
	KindAnnexIdentityNotify:      "annexid.notify",
	KindCheckpointCosignRequest:  "checkpoint.cosign.request",
	KindCheckpointCosignResponse: "checkpoint.cosign.response",
	KindSupportMeasure:           "support.measure",
	KindReconcileRequest:         "reconcile.request",
	KindReconcileDigests:         "reconcile.digests",
	KindResidentCodeReportAsk:    "rescode.report.request",
	KindResidentCodeReport:       "rescode.report",
	KindIdentityResyncAsk:        "identity.resync.request",
	KindIdentityResync:           "identity.resync",
	KindResidentCodeTally:        "rescode.tally",
	KindResidentCodeTallyAnswer:  "rescode.tally.answer",
	KindResidentCodeTallyAsk:     "rescode.tally.request",
}

// String returns the kind's name, e.g. "identity.notify".
func (k Kind) String() string {
	if n, ok := kindNames[k]; ok {
		return n
	}
	return fmt.Sprintf("kind(%d)", uint16(k))
}

// Valid reports whether k is a known kind.
func (k Kind) Valid() bool {
	_, ok := kindNames[k]
	return ok
}

// ParseKind returns the kind with the given name.
func ParseKind(name string) (Kind, bool) {
	for k, n := range kindNames {
		if n == name {
			return k, true
		}
	}
	return 0, false
}

// Kinds returns every known kind in wire-code order.
func Kinds() []Kind {
	ks := make([]Kind, 0, len(kindNames))
	for k := range kindNames {
		ks = append(ks, k)
	}
	// The codes have gaps (kinds are added in ranges), so sort rather than count.
	slices.Sort(ks)
	return ks
}

// Relayable reports whether a prefecture forwards messages of kind k to the
// national server inside an identity.relay envelope (法30条の7: the prefecture
// forwards what the municipality notified; the CS's signature travels inside).
func (k Kind) Relayable() bool {
	switch k {
	case KindIdentityNotify, KindMoveOutConfirm, KindAnnexIdentityNotify:
		return true
	}
	return false
}

// Role is what a node is in the network.
type Role string

// The node roles.
const (
	RoleMunicipality Role = "municipality" // a municipality's CS (市町村 / 特別区)
	RolePrefecture   Role = "prefecture"   // 都道府県サーバ
	RoleNational     Role = "national"     // 全国サーバ of J-LIS
)

// Valid reports whether r is a known role.
func (r Role) Valid() bool {
	return r == RoleMunicipality || r == RolePrefecture || r == RoleNational
}

// Route says that nodes of role From may send messages of Kind to nodes of
// role To. SamePrefecture further requires the municipality and the
// prefecture of the route to belong together (a CS talks only to its own
// prefecture).
type Route struct {
	Kind           Kind
	From, To       Role
	SamePrefecture bool
}

// defaultRoutes is the one table of which role may send which kind to which
// role: the default firewall policy (deny by default: anything not listed is
// refused). docs/domain.md §3.
var defaultRoutes = []Route{
	{KindIdentityNotify, RoleMunicipality, RolePrefecture, true},
	{KindIdentityRelay, RolePrefecture, RoleNational, false},
	{KindMoveInNotice, RoleMunicipality, RoleMunicipality, false},
	{KindMoveOutConfirm, RoleMunicipality, RolePrefecture, true},
	{KindMoveOutCertificate, RoleMunicipality, RoleMunicipality, false},
	{KindCopyRequest, RoleMunicipality, RoleMunicipality, false},
	{KindCopyResponse, RoleMunicipality, RoleMunicipality, false},
	{KindAnnexNotice, RoleMunicipality, RoleMunicipality, false},
	{KindMyNumberRequest, RoleMunicipality, RoleNational, false},
	{KindMyNumberResponse, RoleNational, RoleMunicipality, false},
	{KindLinkCodeRequest, RoleMunicipality, RoleNational, false},
	{KindLinkCodeResponse, RoleNational, RoleMunicipality, false},
	{KindCardStatus, RoleMunicipality, RoleNational, false},
	{KindCardStatus, RoleNational, RoleMunicipality, false},
	{KindResidentCodePoolRequest, RoleMunicipality, RoleNational, false},
	{KindResidentCodePoolGrant, RoleNational, RoleMunicipality, false},
	{KindAnnexIdentityNotify, RoleMunicipality, RolePrefecture, true},
	{KindCheckpointCosignRequest, RoleMunicipality, RolePrefecture, true},
	{KindCheckpointCosignResponse, RolePrefecture, RoleMunicipality, true},
	{KindSupportMeasure, RoleMunicipality, RoleMunicipality, false},
	// CS 整合性確認: a CS compares its identity information with its own
	// prefecture's copy only (docs/operations.md).
	{KindReconcileRequest, RoleMunicipality, RolePrefecture, true},
	{KindReconcileDigests, RolePrefecture, RoleMunicipality, true},
	// A restored national server learns the codes granted before the
	// restore from every CS before it grants again (docs/operations.md).
	{KindResidentCodeReportAsk, RoleNational, RoleMunicipality, false},
	{KindResidentCodeReport, RoleMunicipality, RoleNational, false},
	// … and the identity information it received after the backup.
	{KindIdentityResyncAsk, RoleNational, RoleMunicipality, false},
	{KindIdentityResync, RoleMunicipality, RoleNational, false},
	// Each side compares the grants it holds with the other's, at every
	// start, so that a restore nobody marked is found (docs/operations.md).
	{KindResidentCodeTally, RoleMunicipality, RoleNational, false},
	{KindResidentCodeTallyAnswer, RoleNational, RoleMunicipality, false},
	{KindResidentCodeTallyAsk, RoleNational, RoleMunicipality, false},
	// The prefectures' logs are witnessed by the national server, the
	// national server's by a prefecture (docs/oplog.md).
	{KindCheckpointCosignRequest, RolePrefecture, RoleNational, false},
	{KindCheckpointCosignResponse, RoleNational, RolePrefecture, false},
	{KindCheckpointCosignRequest, RoleNational, RolePrefecture, false},
	{KindCheckpointCosignResponse, RolePrefecture, RoleNational, false},
}

// DefaultRoutes returns a copy of the default route table.
func DefaultRoutes() []Route {
	return append([]Route(nil), defaultRoutes...)
}
