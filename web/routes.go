package web

import (
	"github.com/jukinet/jukinet"
)

// OpNetworkStatusView is reading the node's queue status in the admin console.
const OpNetworkStatusView = jukinet.OpNetworkStatusView

// routes is the route table: every page of the terminal with the operation
// it performs. The policy table decides who may use each. Each area keeps
// its part in its own function (governanceRoutes in routes_gov.go).
func routes() []route {
	return append(terminalRoutes(), governanceRoutes()...)
}

func terminalRoutes() []route {
	return []route{
		{"GET /login", "", "login", (*server).loginPage},
		{"POST /login/reading", "", "login_choose", (*server).readerReading},
		{"POST /login/choose", "", "", (*server).choose},
		{"POST /logout", opSession, "", (*server).logout},
		{"GET /{$}", opSession, "home", (*server).home},
		{"GET /console-token", opSession, "console_token", (*server).consoleTokenPage},
		{"POST /console-token", opSession, "console_token", (*server).consoleToken},

		{"GET /residents", jukinet.OpResidentSearch, "search", (*server).search},
		{"GET /residents/{code}", jukinet.OpResidentRead, "resident", (*server).resident},
		{"GET /residents/{code}/move-within", jukinet.OpMoveWithin, "event", (*server).eventForm},
		{"POST /residents/{code}/move-within", jukinet.OpMoveWithin, "event", (*server).eventSubmit},
		{"GET /residents/{code}/move-out", jukinet.OpMoveOut, "event", (*server).eventForm},
		{"POST /residents/{code}/move-out", jukinet.OpMoveOut, "event", (*server).eventSubmit},
		{"GET /residents/{code}/death", jukinet.OpDeath, "event", (*server).eventForm},
		{"POST /residents/{code}/death", jukinet.OpDeath, "event", (*server).eventSubmit},
		{"GET /residents/{code}/name", jukinet.OpNameChange, "event", (*server).eventForm},
		{"POST /residents/{code}/name", jukinet.OpNameChange, "event", (*server).eventSubmit},

		{"GET /residents/{code}/birth", jukinet.OpBirth, "event", (*server).eventForm},
		{"POST /residents/{code}/birth", jukinet.OpBirth, "event", (*server).eventSubmit},
		{"GET /residents/{code}/householder", jukinet.OpHouseholderChange, "event", (*server).eventForm},
		{"POST /residents/{code}/householder", jukinet.OpHouseholderChange, "event", (*server).eventSubmit},
		{"GET /residents/{code}/split", jukinet.OpHouseholdSplit, "event", (*server).eventForm},
		{"POST /residents/{code}/split", jukinet.OpHouseholdSplit, "event", (*server).eventSubmit},
		{"GET /residents/{code}/merge", jukinet.OpHouseholdMerge, "event", (*server).eventForm},
		{"POST /residents/{code}/merge", jukinet.OpHouseholdMerge, "event", (*server).eventSubmit},
		{"GET /residents/{code}/household-change", jukinet.OpHouseholdChange, "event", (*server).eventForm},
		{"POST /residents/{code}/household-change", jukinet.OpHouseholdChange, "event", (*server).eventSubmit},
		{"GET /residents/{code}/former-surname", jukinet.OpFormerSurname, "event", (*server).eventForm},
		{"POST /residents/{code}/former-surname", jukinet.OpFormerSurname, "event", (*server).eventSubmit},
		{"GET /residents/{code}/alias", jukinet.OpAlias, "event", (*server).eventForm},
		{"POST /residents/{code}/alias", jukinet.OpAlias, "event", (*server).eventSubmit},
		{"GET /residents/{code}/remove", jukinet.OpExOfficioRemove, "event", (*server).eventForm},
		{"POST /residents/{code}/remove", jukinet.OpExOfficioRemove, "event", (*server).eventSubmit},
		{"GET /residents/{code}/code-change", jukinet.OpResidentCodeChange, "event", (*server).eventForm},
		{"POST /residents/{code}/code-change", jukinet.OpResidentCodeChange, "event", (*server).eventSubmit},
		{"GET /residents/{code}/correct", jukinet.OpExOfficioCorrect, "event", (*server).eventForm},
		{"POST /residents/{code}/correct", jukinet.OpExOfficioCorrect, "event", (*server).eventSubmit},
		{"GET /residents/{code}/clerical", jukinet.OpClericalCorrection, "event", (*server).eventForm},
		{"POST /residents/{code}/clerical", jukinet.OpClericalCorrection, "event", (*server).eventSubmit},
		{"GET /residents/{code}/support", jukinet.OpSupportMeasureSet, "event", (*server).eventForm},
		{"POST /residents/{code}/support", jukinet.OpSupportMeasureSet, "event", (*server).eventSubmit},
		{"GET /residents/{code}/support-lift", jukinet.OpSupportMeasureLift, "event", (*server).eventForm},
		{"POST /residents/{code}/support-lift", jukinet.OpSupportMeasureLift, "event", (*server).eventSubmit},
		{"GET /residents/{code}/number", jukinet.OpIndividualNumberSet, "event", (*server).eventForm},
		{"POST /residents/{code}/number", jukinet.OpIndividualNumberSet, "event", (*server).eventSubmit},

		{"GET /counter/move-in", jukinet.OpMoveInDomestic, "form", (*server).moveInForm},
		{"POST /counter/move-in", jukinet.OpMoveInDomestic, "form", (*server).moveInSubmit},
		{"GET /counter/move-in-abroad", jukinet.OpMoveInFromAbroad, "form", (*server).moveInAbroadForm},
		{"POST /counter/move-in-abroad", jukinet.OpMoveInFromAbroad, "form", (*server).moveInAbroadSubmit},
		{"GET /counter/ex-officio-add", jukinet.OpExOfficioAdd, "form", (*server).exOfficioAddForm},
		{"POST /counter/ex-officio-add", jukinet.OpExOfficioAdd, "form", (*server).exOfficioAddSubmit},
		{"GET /counter/special-move-in", jukinet.OpSpecialMoveIn, "certificates", (*server).certificates},
		{"GET /counter/special-move-in/{code}", jukinet.OpSpecialMoveIn, "form", (*server).specialMoveInForm},
		{"POST /counter/special-move-in/{code}", jukinet.OpSpecialMoveIn, "form", (*server).specialMoveInSubmit},
		{"GET /counter/card-issue", jukinet.OpCardIssue, "form", (*server).cardIssueForm},
		{"POST /counter/card-issue", jukinet.OpCardIssue, "form", (*server).cardIssueSubmit},
		{"GET /counter/copy", jukinet.OpCopyRequest, "form", (*server).copyForm},
		{"POST /counter/copy", jukinet.OpCopyRequest, "form", (*server).copySubmit},
		{"GET /counter/copy/{id}", jukinet.OpCopyReceive, "copy", (*server).copyPrint},
		{"GET /counter/annex", jukinet.OpFlowsRead, "annex", (*server).annex},
		{"GET /counter/movein-overdue", jukinet.OpResidentSearch, "overdue", (*server).moveInOverdue},

		{"GET /admin/oplog", jukinet.OpOplogQuery, "oplog", (*server).oplogSearch},
		{"GET /admin/log", jukinet.OpOplogQuery, "logstatus", (*server).logStatus},
		{"GET /admin/log/proof", jukinet.OpOplogProve, "", (*server).logProof},
		{"GET /admin/report", jukinet.OpOplogReport, "report", (*server).report},
		{"GET /admin/operators", jukinet.OpAccessRegisterRead, "operators", (*server).operators},
		{"GET /admin/operators/{id}", jukinet.OpAccessRegisterRead, "operator", (*server).operator},
		{"POST /admin/operators/{id}/enroll", jukinet.OpAccessEnroll, "operator", (*server).operatorAction},
		{"POST /admin/operators/{id}/renew", jukinet.OpAccessRenew, "operator", (*server).operatorAction},
		{"POST /admin/operators/{id}/reenroll", jukinet.OpAccessReenroll, "operator", (*server).operatorAction},
		{"POST /admin/operators/{id}/replace", jukinet.OpAccessReenroll, "operator", (*server).operatorAction},
		{"POST /admin/operators/{id}/revoke", jukinet.OpAccessRevoke, "operator", (*server).operatorAction},
		{"POST /admin/operators/{id}/assign", jukinet.OpAccessAssign, "operator", (*server).operatorAction},
		{"POST /admin/operators/{id}/withdraw", jukinet.OpAccessWithdraw, "operator", (*server).operatorAction},
		{"POST /admin/operators/{id}/unlock", jukinet.OpAccessUnlock, "operator", (*server).operatorAction},
		{"GET /admin/disclosure", jukinet.OpSelfDisclosure, "disclosure", (*server).disclosure},
		{"GET /admin/registers", jukinet.OpAccessRegisterRead, "registers", (*server).registers},
		{"GET /admin/registers.csv", jukinet.OpAccessRegisterRead, "", (*server).registersCSV},
		{"GET /admin/network", OpNetworkStatusView, "network", (*server).networkStatus},
		{"GET /admin/compliance", jukinet.OpGovComplianceReport, "compliance", (*server).compliance},
	}
}
