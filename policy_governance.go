package jukinet

// Operation-management (運用管理) operations, G3–G10, G16–G20. The policy
// table admits the authority; governance.Service then checks that the actor
// (by 照合ID) holds the role the article names on the day of the act.
const (
	OpGovRoleAssign         Operation = "governance.role.assign"           // G3–G5, G11-2, G16.2
	OpGovMeetingConvene     Operation = "governance.council.convene"       // G3, G6
	OpGovBoardOpinion       Operation = "governance.council.board_opinion" // G6.4
	OpGovItemDecide         Operation = "governance.council.decide"        // G6.3
	OpGovMinutesRecord      Operation = "governance.council.minutes"       // G6.6
	OpGovInstructionIssue   Operation = "governance.instruction.issue"     // G7, G10
	OpGovInstructionRespond Operation = "governance.instruction.respond"   // G7, G10
	OpGovCaseOpen           Operation = "governance.misuse.open"           // G8.1
	OpGovCaseEvidence       Operation = "governance.misuse.evidence"       // G8.1
	OpGovReportRequest      Operation = "governance.misuse.request_report" // G8.1
	OpGovReportAnswer       Operation = "governance.misuse.report_answer"  // G8.1
	OpGovCaseEntry          Operation = "governance.misuse.entry"          // G8.1–2
	OpGovCaseJudge          Operation = "governance.misuse.judge"          // G8.2
	OpGovCaseClose          Operation = "governance.misuse.close"          // G8.2
	OpGovRoomAuthorize      Operation = "governance.room.authorize"        // G9.1
	OpGovRoomRevoke         Operation = "governance.room.revoke"           // G9.1
	OpGovRoomBadge          Operation = "governance.room.badge"            // G9.2 (door reader)
	OpGovRoomManualEntry    Operation = "governance.room.manual_entry"     // G9.2
	OpGovRoomReport         Operation = "governance.room.report"           // G10
	OpGovAlertAnswer        Operation = "governance.alert.answer"          // G9.2
	OpGovAssetRegister      Operation = "governance.asset.register"        // G16.1, G16-3
	OpGovHandlerDesignate   Operation = "governance.identity_handler.designate"
	OpGovHandlerRevoke      Operation = "governance.identity_handler.revoke"
	OpGovFormRegister       Operation = "governance.form.register"        // G16-2.2
	OpGovFormPrint          Operation = "governance.form.print"           // G16-2.2
	OpGovFormDispose        Operation = "governance.form.dispose"         // G16-2.2
	OpGovOutsourcingRequest Operation = "governance.outsourcing.request"  // G17–18
	OpGovOutsourcingApprove Operation = "governance.outsourcing.approve"  // G18
	OpGovContractCheck      Operation = "governance.outsourcing.check"    // G19
	OpGovContractActivate   Operation = "governance.outsourcing.activate" // G18–19
	OpGovInspectionRecord   Operation = "governance.outsourcing.inspect"  // G20
	OpGovFollowUpDone       Operation = "governance.outsourcing.follow_up"
	OpGovComplianceReport   Operation = "governance.compliance.report"
	OpGovRulesSet           Operation = "governance.rules.set" // G13.1, G13.2
	OpGovRefused            Operation = "governance.refused"   // a governance act refused after authorization (wrong role, bad order…)
	OpGovSeed               Operation = "governance.seed"
	OpGovAccessDecide       Operation = "governance.access.decide" // G13.3: the セキュリティ責任者's decision on a 操作者ID or a re-enrolment
)

var operatorAuthorities = []Authority{AuthorityLookup, AuthorityRecord, AuthorityIssue, AuthoritySpecialMoveIn,
	AuthorityNumber, AuthorityAccessAdmin, AuthorityAudit, AuthoritySystemAdmin, AuthorityGovernance, AuthorityIdentityManager}

var governancePolicy = map[Operation][]Authority{
	// The first セキュリティ統括責任者 is appointed by a system principal at setup.
	OpGovRoleAssign:         {AuthorityGovernance, AuthoritySystem},
	OpGovMeetingConvene:     {AuthorityGovernance},
	OpGovBoardOpinion:       {AuthorityGovernance},
	OpGovItemDecide:         {AuthorityGovernance},
	OpGovMinutesRecord:      {AuthorityGovernance},
	OpGovInstructionIssue:   {AuthorityGovernance},
	OpGovInstructionRespond: {AuthorityGovernance, AuthoritySystemAdmin, AuthorityIdentityManager, AuthorityAccessAdmin},
	OpGovCaseOpen:           {AuthorityGovernance},
	OpGovCaseEvidence:       {AuthorityGovernance},
	OpGovReportRequest:      {AuthorityGovernance},
	OpGovReportAnswer:       {AuthorityGovernance},
	OpGovCaseEntry:          {AuthorityGovernance},
	OpGovCaseJudge:          {AuthorityGovernance},
	OpGovCaseClose:          {AuthorityGovernance},
	OpGovRoomAuthorize:      {AuthoritySystemAdmin},
	OpGovRoomRevoke:         {AuthoritySystemAdmin},
	OpGovRoomBadge:          {AuthoritySystem},
	OpGovRoomManualEntry:    {AuthoritySystemAdmin},
	OpGovRoomReport:         {AuthoritySystemAdmin},
	OpGovAlertAnswer:        {AuthoritySystemAdmin},
	OpGovAssetRegister:      {AuthorityGovernance, AuthoritySystemAdmin, AuthorityIdentityManager},
	OpGovHandlerDesignate:   {AuthorityIdentityManager},
	OpGovHandlerRevoke:      {AuthorityIdentityManager},
	OpGovFormRegister:       {AuthorityIdentityManager},
	OpGovFormPrint:          operatorAuthorities,
	OpGovFormDispose:        operatorAuthorities,
	OpGovOutsourcingRequest: {AuthorityGovernance, AuthoritySystemAdmin},
	OpGovOutsourcingApprove: {AuthorityGovernance},
	OpGovContractCheck:      {AuthorityGovernance, AuthoritySystemAdmin},
	OpGovContractActivate:   {AuthorityGovernance, AuthoritySystemAdmin},
	OpGovInspectionRecord:   {AuthorityGovernance, AuthoritySystemAdmin},
	OpGovFollowUpDone:       {AuthorityGovernance, AuthoritySystemAdmin},
	OpGovComplianceReport:   {AuthorityGovernance, AuthorityAudit, AuthoritySystemAdmin, AuthorityAccessAdmin, AuthorityIdentityManager},
	// A refusal after authorization is logged under this operation, by the
	// same actor; every authority that can reach a governance act may be
	// refused.
	OpGovRefused:      append([]Authority{AuthoritySystem}, operatorAuthorities...),
	OpGovSeed:         {AuthoritySystem},
	OpGovRulesSet:     {AuthorityAccessAdmin},
	OpGovAccessDecide: {AuthorityGovernance},
}
