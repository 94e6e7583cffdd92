package network

import (
	"slices"

	"github.com/jukinet/jukinet"
)

// AcceptRule narrows what a receiving node accepts: messages of Kinds from
// From, which is a node ID or a role name ("municipality", "prefecture",
// "national"). A rule can only narrow the default routes, never widen them.
type AcceptRule struct {
	From  string
	Kinds []Kind
}

// policyNode is what the policy needs to know about one node.
type policyNode struct {
	role       Role
	prefecture string // for municipalities
	accept     []AcceptRule
}

// Policy is the firewall policy between nodes (docs/design.md §1.3, deny by
// default): a message passes only if a default route allows its kind from the
// sender's role to the receiver's role (and, for municipality ↔ prefecture
// routes, the municipality belongs to that prefecture), and, when the
// receiver has accept rules, one of them allows it too.
type Policy struct {
	nodes  map[string]policyNode
	routes []Route
}

// Allow returns nil if node from may send a message of kind to node to, and
// otherwise a KindForbidden error with reason ReasonForbiddenKind.
func (p *Policy) Allow(from, to string, kind Kind) error {
	const op = "network.Policy.Allow"
	deny := func(format string, args ...any) error {
		return withReason(ReasonForbiddenKind, jukinet.Errorf(op, jukinet.KindForbidden, "kind", format, args...))
	}
	fn, ok := p.nodes[from]
	if !ok {
		return deny("sender %q is not in the network description", from)
	}
	tn, ok := p.nodes[to]
	if !ok {
		return deny("receiver %q is not in the network description", to)
	}
	var route *Route
	for i := range p.routes {
		if r := &p.routes[i]; r.Kind == kind && r.From == fn.role && r.To == tn.role {
			route = r
			break
		}
	}
	if route == nil {
		return deny("a %s may not send %s to a %s", fn.role, kind, tn.role)
	}
	if route.SamePrefecture {
		muni, prefID := fn, to
		if fn.role == RolePrefecture {
			muni, prefID = tn, from
		}
		if muni.prefecture != prefID {
			return deny("%s goes only between a municipality and its own prefecture", kind)
		}
	}
	if len(tn.accept) > 0 && !slices.ContainsFunc(tn.accept, func(r AcceptRule) bool {
		return (r.From == from || r.From == string(fn.role)) && slices.Contains(r.Kinds, kind)
	}) {
		return deny("node %s accepts no %s from %s (its accept rules)", to, kind, from)
	}
	return nil
}

// routeExists reports whether some default route lets role from send kind to role to.
func routeExists(kind Kind, from, to Role) bool {
	return slices.ContainsFunc(defaultRoutes, func(r Route) bool { return r.Kind == kind && r.From == from && r.To == to })
}
