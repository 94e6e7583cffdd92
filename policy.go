package jukinet

import (
	"crypto/sha256"
	"encoding/hex"
	"sort"
	"strings"
)

// Authority is the type of a 操作者ID (G2.8): what an operator acting under it
// may do. The operation → authorities table below is the one place that says so
// (deny by default, docs/design.md §1.3).
type Authority string

// The authority types of 操作者ID (G13.3 decides who holds which).
const (
	AuthorityLookup          Authority = "lookup"           // 照会
	AuthorityRecord          Authority = "record"           // 記録: register changes
	AuthorityIssue           Authority = "issue"            // 交付: wide-area issuance
	AuthoritySpecialMoveIn   Authority = "special_move_in"  // 特例転入
	AuthorityNumber          Authority = "number"           // 番号: My Number work
	AuthorityAccessAdmin     Authority = "access_admin"     // アクセス管理
	AuthorityAudit           Authority = "audit"            // 監査: log review
	AuthoritySystemAdmin     Authority = "system_admin"     // システム管理
	AuthoritySystem          Authority = "system"           // the system itself; never assigned to an operator
	AuthorityGovernance      Authority = "governance"       // 運用管理: role holders' acts (council, rooms, assets, outsourcing)
	AuthorityIdentityManager Authority = "identity_manager" // 本人確認情報管理: designations of who may handle identity information
)

// Authorities lists every authority an operator can hold (not AuthoritySystem).
func Authorities() []Authority {
	return []Authority{AuthorityLookup, AuthorityRecord, AuthorityIssue, AuthoritySpecialMoveIn, AuthorityNumber,
		AuthorityAccessAdmin, AuthorityAudit, AuthoritySystemAdmin, AuthorityGovernance, AuthorityIdentityManager}
}

// Japanese is the authority's name on screens and registers.
func (a Authority) Japanese() string {
	switch a {
	case AuthorityLookup:
		return "照会"
	case AuthorityRecord:
		return "記録"
	case AuthorityIssue:
		return "交付"
	case AuthoritySpecialMoveIn:
		return "特例転入"
	case AuthorityNumber:
		return "番号"
	case AuthorityAccessAdmin:
		return "アクセス管理"
	case AuthorityAudit:
		return "監査"
	case AuthoritySystemAdmin:
		return "システム管理"
	case AuthoritySystem:
		return "システム"
	case AuthorityGovernance:
		return "運用管理"
	case AuthorityIdentityManager:
		return "本人確認情報管理"
	}
	return string(a)
}

// Valid reports whether a is a known authority.
func (a Authority) Valid() bool {
	if a == AuthoritySystem {
		return true
	}
	for _, x := range Authorities() {
		if x == a {
			return true
		}
	}
	return false
}

// Operation names an act of the system; it is what the operation log records
// and what the policy table authorizes.
type Operation string

// Register operations (the municipal resident register).
const (
	OpBirth                 Operation = "register.birth"
	OpMoveInDomestic        Operation = "register.move_in_domestic"
	OpMoveInFromAbroad      Operation = "register.move_in_from_abroad"
	OpMoveOut               Operation = "register.move_out"
	OpMoveWithin            Operation = "register.move_within"
	OpDeath                 Operation = "register.death"
	OpNameChange            Operation = "register.name_change"
	OpFormerSurname         Operation = "register.former_surname"
	OpAlias                 Operation = "register.alias"
	OpHouseholdSplit        Operation = "register.household_split"
	OpHouseholdMerge        Operation = "register.household_merge"
	OpHouseholdChange       Operation = "register.household_change"
	OpHouseholderChange     Operation = "register.householder_change"
	OpExOfficioAdd          Operation = "register.ex_officio_add"
	OpExOfficioRemove       Operation = "register.ex_officio_remove"
	OpExOfficioCorrect      Operation = "register.ex_officio_correct"
	OpClericalCorrection    Operation = "register.clerical_correction"
	OpIndividualNumberSet   Operation = "register.individual_number"
	OpResidentCodeChange    Operation = "register.resident_code_change"
	OpSupportMeasureSet     Operation = "register.support_measure_set"  // 支援措置: restrict disclosure to third parties
	OpSupportMeasureLift    Operation = "register.support_measure_lift" // end a 支援措置
	OpResidentRead          Operation = "resident.read"                 // viewing a 住民票: needs a purpose, logged
	OpResidentSearch        Operation = "resident.search"               // search results show personal data: logged
	OpResidentImport        Operation = "resident.import"
	OpResidentExport        Operation = "resident.export"
	OpNetworkReceive        Operation = "network.receive"
	OpNetworkSend           Operation = "network.send"
	OpNetworkDeliveryResult Operation = "network.delivery_result"
)

// policyTable maps each operation to the authorities allowed to perform it.
// Anything absent is denied. Its hash is the policy version recorded in every
// operation-log record (G11.2, G13.3). Each area keeps its part in its own
// file (policy_<area>.go); mergePolicies refuses an operation defined twice.
var policyTable = mergePolicies(registerPolicy, accessPolicy, networkPolicy, flowsPolicy, oplogPolicy, governancePolicy, webPolicy, witnessPolicy)

func mergePolicies(parts ...map[Operation][]Authority) map[Operation][]Authority {
	out := map[Operation][]Authority{}
	for _, p := range parts {
		for op, auths := range p {
			if _, dup := out[op]; dup {
				panic("jukinet: operation " + string(op) + " defined twice in the policy table")
			}
			out[op] = auths
		}
	}
	return out
}

var registerPolicy = map[Operation][]Authority{
	OpBirth:                 {AuthorityRecord},
	OpMoveInDomestic:        {AuthorityRecord},
	OpMoveInFromAbroad:      {AuthorityRecord},
	OpMoveOut:               {AuthorityRecord},
	OpMoveWithin:            {AuthorityRecord},
	OpDeath:                 {AuthorityRecord},
	OpNameChange:            {AuthorityRecord},
	OpFormerSurname:         {AuthorityRecord},
	OpAlias:                 {AuthorityRecord},
	OpHouseholdSplit:        {AuthorityRecord},
	OpHouseholdMerge:        {AuthorityRecord},
	OpHouseholdChange:       {AuthorityRecord},
	OpHouseholderChange:     {AuthorityRecord},
	OpExOfficioAdd:          {AuthorityRecord},
	OpExOfficioRemove:       {AuthorityRecord},
	OpExOfficioCorrect:      {AuthorityRecord},
	OpClericalCorrection:    {AuthorityRecord},
	OpIndividualNumberSet:   {AuthorityNumber, AuthoritySystem},
	OpResidentCodeChange:    {AuthorityRecord},
	OpSupportMeasureSet:     {AuthorityRecord},
	OpSupportMeasureLift:    {AuthorityRecord},
	OpResidentRead:          {AuthorityLookup, AuthorityRecord, AuthorityIssue, AuthoritySpecialMoveIn, AuthorityNumber},
	OpResidentSearch:        {AuthorityLookup, AuthorityRecord, AuthorityIssue, AuthoritySpecialMoveIn, AuthorityNumber},
	OpResidentImport:        {AuthoritySystemAdmin, AuthoritySystem},
	OpResidentExport:        {AuthoritySystemAdmin},
	OpNetworkReceive:        {AuthoritySystem},
	OpNetworkSend:           {AuthoritySystem},
	OpNetworkDeliveryResult: {AuthoritySystem},
}

// HandlesIdentityInfo reports whether op reads or changes residents'
// identity information, which only operators the 本人確認情報管理責任者 has
// designated may do (G16-2.1): every register change and every read,
// search, import and export of residents, and the counter's inter-node work
// on a person (広域交付, 特例転入, cards, link codes, what other nodes hold).
// The store asks its identity guard before such an operation by an operator
// or the console.
func HandlesIdentityInfo(op Operation) bool {
	switch op {
	case OpNetworkReceive, OpNetworkSend, OpNetworkDeliveryResult:
		return false
	case OpCopyRequest, OpCopyReceive, OpSpecialMoveIn, OpCardIssue, OpCardStatus, OpLinkCodeRequest, OpFlowsRead:
		return true
	}
	_, ok := registerPolicy[op]
	return ok
}

// Allowed reports whether an actor holding authority a may perform op.
func Allowed(op Operation, a Authority) bool {
	for _, x := range policyTable[op] {
		if x == a {
			return true
		}
	}
	return false
}

// Authorize checks actor against the policy table: nil, or a KindForbidden
// error that names the operation and the authority.
func Authorize(op Operation, actor Actor) error {
	if actor.IsSystem() != (actor.Authority == AuthoritySystem) {
		return Errorf("authorize", KindForbidden, "", "actor %s: the system authority belongs to system principals only", actor)
	}
	if !Allowed(op, actor.Authority) {
		return Errorf("authorize", KindForbidden, "", "operation %s is not allowed for authority %s", op, actor.Authority)
	}
	return nil
}

// AllowedAuthorities returns the authorities allowed to perform op.
func AllowedAuthorities(op Operation) []Authority {
	return append([]Authority(nil), policyTable[op]...)
}

// Operations lists every operation of the policy table, sorted.
func Operations() []Operation {
	ops := make([]Operation, 0, len(policyTable))
	for op := range policyTable {
		ops = append(ops, op)
	}
	sort.Slice(ops, func(i, j int) bool { return ops[i] < ops[j] })
	return ops
}

var policyVersion = computePolicyVersion()

func computePolicyVersion() string {
	h := sha256.New()
	for _, op := range Operations() {
		auths := make([]string, 0, len(policyTable[op]))
		for _, a := range policyTable[op] {
			auths = append(auths, string(a))
		}
		sort.Strings(auths)
		h.Write([]byte(string(op) + "=" + strings.Join(auths, ",") + "\n"))
	}
	return "p1:" + hex.EncodeToString(h.Sum(nil))[:16]
}

// PolicyVersion is the hash of the policy table, recorded in every operation-log record.
func PolicyVersion() string { return policyVersion }
