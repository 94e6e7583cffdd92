package web

import "github.com/jukinet/jukinet"

// governanceRoutes are the admin console's operation-management pages
// (council, instructions, misuse cases, rooms, assets, outsourcing; G3–G20)
// and the JSON API of the same acts: every page is guarded by the operation
// of reading it, every form and API call by the operation of its act.
func governanceRoutes() []route {
	out := []route{{"GET /admin/gov", jukinet.OpGovComplianceReport, "gov_index", (*server).govIndex}}
	for _, p := range govPages() {
		out = append(out, route{"GET /admin/gov/" + p.Slug, guardOp(p.Op), "gov_page", (*server).govPage})
		for _, f := range p.Forms {
			act, _ := govActByName(f.Act)
			out = append(out, route{"POST /admin/gov/" + p.Slug + "/" + f.Act, guardOp(act.Op), "gov_page", (*server).govSubmit})
		}
	}
	return append(out, apiRoutes()...)
}

// guardOp is the operation the route guard checks for op: an operation the
// policy grants to every operator authority (printing a form, G16-2.2: who
// may print is decided by the designation, not the authority) is guarded as
// any session; the act itself still runs under op, which the store checks.
func guardOp(op jukinet.Operation) jukinet.Operation {
	for _, a := range jukinet.Authorities() {
		if !jukinet.Allowed(op, a) {
			return op
		}
	}
	return opSession
}
