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
		{"POST /login/reader", "", "login_choose", (*server).virtualReader},
		{"POST /login/reading", "", "login_choose", (*server).readerReading},
		{"POST /login/choose", "", "", (*server).choose},
		{"POST /logout", opSession, "", (*server).logout},
		{"GET /{$}", opSession, "home", (*server).home},

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

		{"GET /admin/oplog", jukinet.OpOplogQuery, "oplog", (*server).oplogSearch},
		{"GET /admin/registers", jukinet.OpAccessRegisterRead, "registers", (*server).registers},
		{"GET /admin/registers.csv", jukinet.OpAccessRegisterRead, "", (*server).registersCSV},
		{"GET /admin/network", OpNetworkStatusView, "network", (*server).networkStatus},
		{"GET /admin/compliance", jukinet.OpGovComplianceReport, "compliance", (*server).compliance},
	}
}
