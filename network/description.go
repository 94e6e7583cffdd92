package network

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"

	"github.com/BurntSushi/toml"

	"github.com/jukinet/jukinet"
)

// Node is one node of the network description.
type Node struct {
	ID           string // local-government code, or "national"
	Role         Role
	Name         string // e.g. "防府市"
	Prefecture   string // the prefecture node of a municipality; "" otherwise
	NetworkAddr  string // host:port of the mutual-TLS network listener
	TerminalAddr string // host:port of the terminal listener; may be ""
	SigningKey   ed25519.PublicKey
	Accept       []AcceptRule // narrows what this node accepts; none = the default routes
}

// Description is the network description (docs/design.md §3): the nodes, their
// roles, addresses, the municipality → prefecture mapping and public keys.
type Description struct {
	nodes []Node
	byID  map[string]int
	// policy is Policy's answer, built once: a description does not change,
	// and the runtimes of a process hosting many nodes (jukinet bench
	// country) share it instead of one map of every node each.
	policyOnce sync.Once
	policy     *Policy
}

type rawDescription struct {
	Node []rawNode `toml:"node"`
}

type rawNode struct {
	ID           string      `toml:"id"`
	Kind         string      `toml:"kind"`
	Name         string      `toml:"name"`
	Prefecture   string      `toml:"prefecture"`
	NetworkAddr  string      `toml:"network_addr"`
	TerminalAddr string      `toml:"terminal_addr"`
	SigningKey   string      `toml:"signing_key"`
	Accept       []rawAccept `toml:"accept"`
}

type rawAccept struct {
	From  string   `toml:"from"`
	Kinds []string `toml:"kinds"`
}

const signingKeyPrefix = "ed25519:"

// LoadDescription reads a TOML network description:
//
//	[[node]]
//	id = "352063"            # local-government code, or "national"
//	kind = "municipality"    # municipality | prefecture | national
//	name = "防府市"
//	prefecture = "350001"    # municipalities only
//	network_addr = "10.0.0.1:7443"
//	terminal_addr = "10.0.1.1:8443"
//	signing_key = "ed25519:<base64 of the 32-byte public key>"
//	  [[node.accept]]        # optional; narrows the default routes
//	  from = "350001"        # a node ID or a role
//	  kinds = ["checkpoint.cosign.response"]
//
// Unknown keys and inconsistent descriptions are KindInvalid errors whose
// field names the node (e.g. "node[2].prefecture") and whose message names the line.
func LoadDescription(r io.Reader) (*Description, error) {
	const op = "network.LoadDescription"
	data, err := io.ReadAll(io.LimitReader(r, 16<<20))
	if err != nil {
		return nil, jukinet.E(op, jukinet.KindInternal, err)
	}
	var raw rawDescription
	md, err := toml.NewDecoder(bytes.NewReader(data)).Decode(&raw)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return nil, jukinet.Errorf(op, jukinet.KindInvalid, "", "line %d: %s", pe.Position.Line, pe.Message)
		}
		return nil, jukinet.Errorf(op, jukinet.KindInvalid, "", "%v", err)
	}
	lines := indexLines(data)
	if und := md.Undecoded(); len(und) > 0 {
		k := und[0]
		return nil, jukinet.Errorf(op, jukinet.KindInvalid, k.String(), "line %d: unknown key %q", lines.find(k), k.String())
	}
	l := &descLoader{d: &Description{byID: make(map[string]int)}, lines: lines, addrs: map[string]string{}}
	for i, rn := range raw.Node {
		n, err := l.node(i, rn)
		if err != nil {
			return nil, err
		}
		l.d.byID[n.ID] = len(l.d.nodes)
		l.d.nodes = append(l.d.nodes, n)
	}
	// Cross-node checks, once every node is known.
	for i := range l.d.nodes {
		if err := l.prefecture(i); err != nil {
			return nil, err
		}
		if err := l.acceptRules(i, raw.Node[i].Accept); err != nil {
			return nil, err
		}
	}
	if len(l.d.nodes) == 0 {
		return nil, jukinet.Errorf(op, jukinet.KindInvalid, "node", "the description lists no nodes")
	}
	return l.d, nil
}

// descLoader checks a description's nodes as LoadDescription reads them;
// every refusal names the node's key and its line.
type descLoader struct {
	d     *Description
	lines *lineIndex
	addrs map[string]string // address → node ID
}

func (l *descLoader) fail(i int, key, format string, args ...any) error {
	return jukinet.Errorf("network.LoadDescription", jukinet.KindInvalid, fmt.Sprintf("node[%d].%s", i, key),
		"line %d: %s", l.lines.nodeKey(i, key), fmt.Sprintf(format, args...))
}

// node checks node i on its own and against the nodes before it (ids and
// addresses used once).
func (l *descLoader) node(i int, rn rawNode) (Node, error) {
	n := Node{ID: rn.ID, Role: Role(rn.Kind), Name: rn.Name, Prefecture: rn.Prefecture,
		NetworkAddr: rn.NetworkAddr, TerminalAddr: rn.TerminalAddr}
	switch n.Role {
	case RoleNational:
		if n.ID != NationalID {
			return n, l.fail(i, "id", "the national node's id must be %q", NationalID)
		}
	case RoleMunicipality, RolePrefecture:
		if !validLGCode(n.ID) {
			return n, l.fail(i, "id", "%q is not a local-government code (6 digits with a correct check digit)", n.ID)
		}
		if isPref := n.ID[2:5] == "000"; isPref != (n.Role == RolePrefecture) {
			return n, l.fail(i, "id", "%q is not a %s code (a prefecture's code has 000 in digits 3–5)", n.ID, n.Role)
		}
	default:
		return n, l.fail(i, "kind", "%q is not municipality, prefecture or national", rn.Kind)
	}
	if _, dup := l.d.byID[n.ID]; dup {
		return n, l.fail(i, "id", "node %s is listed twice", n.ID)
	}
	if strings.TrimSpace(n.Name) == "" {
		return n, l.fail(i, "name", "a node needs a name")
	}
	if (n.Role == RoleMunicipality) != (n.Prefecture != "") {
		return n, l.fail(i, "prefecture", "a municipality, and only a municipality, names its prefecture")
	}
	if n.NetworkAddr == n.TerminalAddr {
		return n, l.fail(i, "terminal_addr", "the terminal listener must not share the network listener's address")
	}
	for _, a := range []struct{ key, addr string }{{"network_addr", n.NetworkAddr}, {"terminal_addr", n.TerminalAddr}} {
		if a.addr == "" && a.key == "terminal_addr" {
			continue
		}
		if _, port, err := net.SplitHostPort(a.addr); err != nil || port == "" {
			return n, l.fail(i, a.key, "%q is not host:port", a.addr)
		}
		if other, dup := l.addrs[a.addr]; dup {
			return n, l.fail(i, a.key, "address %s is already used by node %s", a.addr, other)
		}
		l.addrs[a.addr] = n.ID
	}
	b64, ok := strings.CutPrefix(rn.SigningKey, signingKeyPrefix)
	key, err := base64.StdEncoding.Strict().DecodeString(b64)
	if !ok || err != nil || len(key) != ed25519.PublicKeySize {
		return n, l.fail(i, "signing_key", "must be %q followed by the base64 of a 32-byte Ed25519 public key", signingKeyPrefix)
	}
	n.SigningKey = key
	return n, nil
}

// prefecture checks that a municipality's prefecture is a prefecture of
// the description with its prefecture code.
func (l *descLoader) prefecture(i int) error {
	n := &l.d.nodes[i]
	if n.Role != RoleMunicipality {
		return nil
	}
	p, ok := l.d.Node(n.Prefecture)
	if !ok || p.Role != RolePrefecture {
		return l.fail(i, "prefecture", "%q is not a prefecture in this description", n.Prefecture)
	}
	if p.ID[:2] != n.ID[:2] {
		return l.fail(i, "prefecture", "municipality %s (prefecture code %s) cannot belong to prefecture %s", n.ID, n.ID[:2], p.ID)
	}
	return nil
}

// acceptRules reads node i's accept rules: each names a role or a node of
// the description and kinds it may send, only narrowing the default routes.
func (l *descLoader) acceptRules(i int, rules []rawAccept) error {
	n := &l.d.nodes[i]
	for j, ra := range rules {
		field := fmt.Sprintf("accept[%d]", j)
		line := l.lines.acceptLine(i, j)
		afail := func(key, format string, args ...any) error {
			return jukinet.Errorf("network.LoadDescription", jukinet.KindInvalid, fmt.Sprintf("node[%d].%s.%s", i, field, key),
				"line %d: %s", line, fmt.Sprintf(format, args...))
		}
		fromRole := Role(ra.From)
		if !fromRole.Valid() {
			f, ok := l.d.Node(ra.From)
			if !ok {
				return afail("from", "%q is neither a role nor a node in this description", ra.From)
			}
			fromRole = f.Role
		}
		if len(ra.Kinds) == 0 {
			return afail("kinds", "an accept rule lists at least one kind")
		}
		rule := AcceptRule{From: ra.From}
		for _, name := range ra.Kinds {
			k, ok := ParseKind(name)
			if !ok {
				return afail("kinds", "unknown message kind %q", name)
			}
			if !routeExists(k, fromRole, n.Role) {
				return afail("kinds", "a %s may never send %s to a %s: a rule can only narrow the default routes", fromRole, name, n.Role)
			}
			rule.Kinds = append(rule.Kinds, k)
		}
		n.Accept = append(n.Accept, rule)
	}
	return nil
}

// Nodes returns the nodes in description order.
func (d *Description) Nodes() []Node { return append([]Node(nil), d.nodes...) }

// Node returns the node with the given ID.
func (d *Description) Node(id string) (Node, bool) {
	i, ok := d.byID[id]
	if !ok {
		return Node{}, false
	}
	return d.nodes[i], true
}

// PrefectureOf returns the prefecture node ID of municipality id.
func (d *Description) PrefectureOf(id string) (string, error) {
	n, ok := d.Node(id)
	if !ok {
		return "", jukinet.Errorf("network.PrefectureOf", jukinet.KindNotFound, "id", "node %q is not in the network description", id)
	}
	if n.Role != RoleMunicipality {
		return "", jukinet.Errorf("network.PrefectureOf", jukinet.KindInvalid, "id", "node %s is a %s, not a municipality", id, n.Role)
	}
	return n.Prefecture, nil
}

// Keys returns a KeyLookup over the nodes' signing keys.
func (d *Description) Keys() KeyLookup {
	return func(id string) (ed25519.PublicKey, bool) {
		n, ok := d.Node(id)
		return n.SigningKey, ok
	}
}

// Policy returns the firewall policy: the default routes narrowed by the
// nodes' accept rules.
// The policy is built at the first call and shared by every caller (it is
// read only).
func (d *Description) Policy() *Policy {
	d.policyOnce.Do(func() {
		p := &Policy{nodes: make(map[string]policyNode, len(d.nodes)), routes: DefaultRoutes()}
		for _, n := range d.nodes {
			p.nodes[n.ID] = policyNode{role: n.Role, prefecture: n.Prefecture, accept: n.Accept}
		}
		d.policy = p
	})
	return d.policy
}

// CheckRelay returns nil if node relayer may relay a message that
// municipality origin created: relayer must be origin's prefecture
// (法30条の7). Use it as ServerConfig.RelayCheck.
func (d *Description) CheckRelay(relayer, origin string) error {
	pref, err := d.PrefectureOf(origin)
	if err != nil {
		return withReason(ReasonRelayMismatch, err)
	}
	if pref != relayer {
		return withReason(ReasonRelayMismatch, jukinet.Errorf("network.CheckRelay", jukinet.KindForbidden, "from",
			"node %s is not the prefecture of %s", relayer, origin))
	}
	return nil
}

// lineIndex maps keys of a description to their line numbers, because
// toml.MetaData does not expose positions.
type lineIndex struct {
	top   map[string]int
	nodes []nodeLines
}

type nodeLines struct {
	header  int
	keys    map[string]int
	accepts []map[string]int // "" → the [[node.accept]] line
}

func indexLines(data []byte) *lineIndex {
	li := &lineIndex{top: map[string]int{}}
	var cur map[string]int = li.top
	for i, line := range strings.Split(string(data), "\n") {
		n := i + 1
		t := strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(t, "[[node.accept]]"):
			if len(li.nodes) == 0 {
				cur = map[string]int{}
				continue
			}
			nl := &li.nodes[len(li.nodes)-1]
			cur = map[string]int{"": n}
			nl.accepts = append(nl.accepts, cur)
		case strings.HasPrefix(t, "[[node]]"):
			li.nodes = append(li.nodes, nodeLines{header: n, keys: map[string]int{"": n}})
			cur = li.nodes[len(li.nodes)-1].keys
		case strings.HasPrefix(t, "["):
			cur = map[string]int{"": n}
		case t == "" || t[0] == '#':
		default:
			if k, _, ok := strings.Cut(t, "="); ok {
				k = strings.Trim(strings.TrimSpace(k), `"'`)
				if _, seen := cur[k]; !seen {
					cur[k] = n
				}
			}
		}
	}
	return li
}

// nodeKey returns the line of key in node i, or the node's header line.
func (li *lineIndex) nodeKey(i int, key string) int {
	if i >= len(li.nodes) {
		return 0
	}
	if n, ok := li.nodes[i].keys[key]; ok {
		return n
	}
	return li.nodes[i].header
}

func (li *lineIndex) acceptLine(i, j int) int {
	if i < len(li.nodes) && j < len(li.nodes[i].accepts) {
		return li.nodes[i].accepts[j][""]
	}
	return li.nodeKey(i, "")
}

// find returns the first line where an (unknown) key appears.
func (li *lineIndex) find(k toml.Key) int {
	last := k[len(k)-1]
	switch {
	case len(k) == 1:
		return li.top[last]
	case len(k) == 2 && k[0] == "node":
		for _, nl := range li.nodes {
			if n, ok := nl.keys[last]; ok {
				return n
			}
		}
	case len(k) == 3 && k[0] == "node" && k[1] == "accept":
		for _, nl := range li.nodes {
			for _, a := range nl.accepts {
				if n, ok := a[last]; ok {
					return n
				}
			}
		}
	}
	return 0
}
