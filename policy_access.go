package jukinet

// Access-control operations (G11–G14): operators, 照合情報, 操作者ID,
// terminals, sessions, the watch list and the OS password policy record.
// AuthoritySystem appears only where the node bootstraps itself (the first
// アクセス管理責任者 and the demo seed) or where the login machinery records
// what happened before anyone is authenticated.
const (
	OpAccessOperatorCreate = Operation("access.operator_create") // a 照合ID is issued (G13.1)
	OpAccessOperatorChange = Operation("access.operator_change") // status / department change (retired, transferred)
	OpAccessEnroll         = Operation("access.enroll")          // 照合情報 registered (G13.2)
	OpAccessRenew          = Operation("access.renew")           // 照合情報 re-enrolled under a new node key version
	OpAccessRevoke         = Operation("access.revoke")          // 照合情報 deleted (G13.2)
	OpAccessAssign         = Operation("access.assign")          // 操作者ID assigned, decided with the セキュリティ責任者 (G13.3)
	OpAccessWithdraw       = Operation("access.withdraw")        // 操作者ID withdrawn
	OpAccessTerminal       = Operation("access.terminal")        // 統合端末 registered or its status changed (G2.5)
	OpAccessLoginFailure   = Operation("access.login_failure")   // a refused login attempt (no reading is ever logged)
	OpAccessVerified       = Operation("access.verified")        // 照合 succeeded; the operator is choosing a 操作者ID
	OpAccessLockout        = Operation("access.lockout")         // too many consecutive failures
	OpAccessLogin          = Operation("access.login")           // a session opened under a 操作者ID
	OpAccessLogout         = Operation("access.logout")          // a session ended by the operator
	OpAccessSessionEnd     = Operation("access.session_end")     // a session ended by the system (idle, absolute limit, refusal)
	OpAccessUnlock         = Operation("access.unlock")          // a locked 照合ID unlocked
	OpAccessRegisterRead   = Operation("access.register")        // the 管理簿 of 照合ID and 操作者ID read (G13.4)
	OpAccessWatch          = Operation("access.watch")           // watch-list change (docs/domain.md §6)
	OpAccessPasswordPolicy = Operation("access.password_policy") // the OS password policy record (G12.2)
	OpAccessReenroll       = Operation("access.reenroll")        // 照合情報 replaced: the operator's current reading, or a second admin and the セキュリティ責任者's decision (G13.2)
	OpAccessRefused        = Operation("access.refused")         // an access act refused after authorization (self-approval, no decision…)
	OpAccessConsoleToken   = Operation("access.console_token")   // a single-use console token issued or redeemed
)

var accessPolicy = map[Operation][]Authority{
	OpAccessOperatorCreate: {AuthorityAccessAdmin, AuthoritySystem},
	OpAccessOperatorChange: {AuthorityAccessAdmin},
	OpAccessEnroll:         {AuthorityAccessAdmin, AuthoritySystem},
	OpAccessRenew:          {AuthorityAccessAdmin, AuthoritySystem},
	OpAccessRevoke:         {AuthorityAccessAdmin},
	OpAccessAssign:         {AuthorityAccessAdmin, AuthoritySystem},
	OpAccessWithdraw:       {AuthorityAccessAdmin},
	OpAccessTerminal:       {AuthorityAccessAdmin, AuthoritySystem},
	OpAccessLoginFailure:   {AuthoritySystem},
	OpAccessVerified:       {AuthoritySystem},
	OpAccessLockout:        {AuthoritySystem},
	OpAccessLogin: {AuthorityLookup, AuthorityRecord, AuthorityIssue, AuthoritySpecialMoveIn, AuthorityNumber,
		AuthorityAccessAdmin, AuthorityAudit, AuthoritySystemAdmin, AuthorityGovernance, AuthorityIdentityManager},
	OpAccessLogout: {AuthorityLookup, AuthorityRecord, AuthorityIssue, AuthoritySpecialMoveIn, AuthorityNumber,
		AuthorityAccessAdmin, AuthorityAudit, AuthoritySystemAdmin, AuthorityGovernance, AuthorityIdentityManager},
	OpAccessSessionEnd:     {AuthoritySystem},
	OpAccessUnlock:         {AuthorityAccessAdmin},
	OpAccessRegisterRead:   {AuthorityAccessAdmin, AuthorityAudit},
	OpAccessWatch:          {AuthorityAccessAdmin, AuthorityAudit},
	OpAccessPasswordPolicy: {AuthorityAccessAdmin, AuthoritySystemAdmin},
	OpAccessReenroll:       {AuthorityAccessAdmin},
	// A refusal after authorization is logged under this operation by the
	// same actor (or the system for login-time refusals).
	OpAccessRefused: append([]Authority{AuthoritySystem}, operatorAuthorities...),
	// Any operator logged in at a terminal may hand their own session to
	// the command line; the system redeems it.
	OpAccessConsoleToken: append([]Authority{AuthoritySystem}, operatorAuthorities...),
}
