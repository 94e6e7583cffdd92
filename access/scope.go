package access

import (
	"strings"

	"github.com/jukinet/jukinet"
)

// The scope of a 操作者ID (G2.8: each with a validity period and a scope) says
// on which 統合端末 of the node it may be used. The access service of a node
// holds only that node's 操作者ID, so a scope names this node or one of its
// terminals:
//
//	""  "node"  "node:*"   every terminal of the node
//	"node:<node ID>"        every terminal of that node (which must be this node)
//	"terminal:<terminal ID>" that terminal only
//
// Anything else is refused at Assign; a stored scope that does not parse
// (written before scopes were enforced) allows no terminal: it fails closed.
const (
	ScopeAllTerminals   = "node:*"    // every terminal of the node
	scopeNodePrefix     = "node:"     // node:<id>
	scopeTerminalPrefix = "terminal:" // terminal:<id>
)

// ScopeTerminal returns the scope that limits a 操作者ID to one terminal.
func ScopeTerminal(terminalID string) string { return scopeTerminalPrefix + terminalID }

// ValidateScope checks the syntax of scope for a 操作者ID of node nodeID.
// Errors: KindInvalid, field "scope", naming the rule.
func ValidateScope(nodeID, scope string) error {
	const op = "access.ValidateScope"
	switch {
	case scope == "" || scope == "node" || scope == ScopeAllTerminals:
		return nil
	case strings.HasPrefix(scope, scopeNodePrefix):
		id := scope[len(scopeNodePrefix):]
		if id != nodeID {
			return jukinet.Errorf(op, jukinet.KindInvalid, "scope", "scope %q names node %s, but this is node %s (use %q for all its terminals)", truncateScope(scope), truncateScope(id), nodeID, ScopeAllTerminals)
		}
		return nil
	case strings.HasPrefix(scope, scopeTerminalPrefix):
		if id := scope[len(scopeTerminalPrefix):]; !jukinet.ValidID(id) {
			return jukinet.Errorf(op, jukinet.KindInvalid, "scope", "scope %q: a terminal ID is 1–32 letters, digits, '-' or '_'", truncateScope(scope))
		}
		return nil
	}
	return jukinet.Errorf(op, jukinet.KindInvalid, "scope", "scope %q is not one of \"node:*\", \"node:%s\" or \"terminal:<terminal ID>\"", truncateScope(scope), nodeID)
}

// ScopeAllows reports whether a 操作者ID of node nodeID with scope may be
// used on terminal. An unparsable scope allows nothing.
func ScopeAllows(nodeID, scope, terminal string) bool {
	if ValidateScope(nodeID, scope) != nil {
		return false
	}
	if id, ok := strings.CutPrefix(scope, scopeTerminalPrefix); ok {
		return id == terminal
	}
	return true // the whole node
}

// truncateScope keeps whatever was typed short and printable in a message.
func truncateScope(s string) string {
	s = strings.ToValidUTF8(s, "?")
	if r := []rune(s); len(r) > 40 {
		return string(r[:40]) + "…"
	}
	return s
}
