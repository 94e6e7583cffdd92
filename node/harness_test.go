package node

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"testing"
	"time"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/governance"
	"github.com/jukinet/jukinet/network"
	"github.com/jukinet/jukinet/register"
	"github.com/jukinet/jukinet/store"
	"github.com/jukinet/jukinet/store/storetest"
)

// The in-memory test network: every node has its own database; run moves the
// pending outbox rows of every node straight to the handlers of their
// destination (signed envelopes, no TLS), until no node has anything left.

var (
	testNow = time.Date(2026, 11, 26, 10, 0, 0, 0, jukinet.JST)
	clerk   = jukinet.Actor{CollationID: "C-01", OperatorID: "OP-REC-01", Authority: jukinet.AuthorityRecord, Terminal: "T-01"}
	issuer  = jukinet.Actor{CollationID: "C-02", OperatorID: "OP-ISS-02", Authority: jukinet.AuthorityIssue, Terminal: "T-01"}
	special = jukinet.Actor{CollationID: "C-03", OperatorID: "OP-SPM-03", Authority: jukinet.AuthoritySpecialMoveIn, Terminal: "T-01"}
	numbers = jukinet.Actor{CollationID: "C-04", OperatorID: "OP-NUM-04", Authority: jukinet.AuthorityNumber, Terminal: "T-01"}
	looker  = jukinet.Actor{CollationID: "C-05", OperatorID: "OP-LOOK-05", Authority: jukinet.AuthorityLookup, Terminal: "T-01"}
)

const (
	hofu      = jukinet.LGCode("352063")
	yamaguchi = jukinet.LGCode("352012")
	kurume    = jukinet.LGCode("402036")
)

func as(a jukinet.Actor) context.Context { return jukinet.WithActor(context.Background(), a) }

type testNode struct {
	id       string
	db       *store.DB
	handlers Handlers
	key      ed25519.PrivateKey
}

type testNet struct {
	t        *testing.T
	nodes    map[string]*testNode
	muni     map[jukinet.LGCode]*Municipality
	pref     map[jukinet.LGCode]*Prefecture
	national *National
	rejected []string // "kind from→to: error" of messages a handler refused
	// inboxes delivers through each node's network.StoreInbox (dedup,
	// per-person ordering, parking) instead of straight to the handler.
	inboxes bool
}

func openNode(t *testing.T, e store.Engine, id string) *store.DB {
	return storetest.OpenWith(t, e, id, storetest.Options{Now: func() time.Time { return testNow }})
}

// newTestNet builds the test network with every municipality's resident-code
// pool filled by the national server (法30条の2), as a node does when it starts.
func newTestNet(t *testing.T, e store.Engine, mcfg func(*MunicipalityConfig)) *testNet {
	t.Helper()
	n := newTestNetEmptyPools(t, e, mcfg)
	n.fillPools()
	return n
}

// fillPools makes each municipality ask for codes and delivers the grants.
func (n *testNet) fillPools() {
	n.t.Helper()
	for _, m := range n.muni {
		if err := m.EnsureCodePool(as(jukinet.SystemActor("node-start"))); err != nil {
			n.t.Fatal(err)
		}
	}
	n.run()
	n.noRejections()
}

// newTestNetEmptyPools builds the test network before any code is granted.
func newTestNetEmptyPools(t *testing.T, e store.Engine, mcfg func(*MunicipalityConfig)) *testNet {
	t.Helper()
	n := &testNet{t: t, nodes: map[string]*testNode{}, muni: map[jukinet.LGCode]*Municipality{}, pref: map[jukinet.LGCode]*Prefecture{}}
	add := func(id string, db *store.DB, h Handlers) {
		_, key, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		n.nodes[id] = &testNode{id: id, db: db, handlers: h, key: key}
	}
	db := openNode(t, e, network.NationalID)
	ag, err := ParseAgencies([]byte(testAgencies))
	if err != nil {
		t.Fatal(err)
	}
	if n.national, err = NewNational(context.Background(), db, NationalConfig{Agencies: ag}); err != nil {
		t.Fatal(err)
	}
	add(network.NationalID, db, n.national.Handlers())
	for _, id := range []jukinet.LGCode{"350001", "400009"} {
		db := openNode(t, e, string(id))
		p, err := NewPrefecture(db, PrefectureConfig{ID: id})
		if err != nil {
			t.Fatal(err)
		}
		n.pref[id] = p
		add(string(id), db, p.Handlers())
	}
	for _, id := range []jukinet.LGCode{hofu, yamaguchi, kurume} {
		db := openNode(t, e, string(id))
		cfg := MunicipalityConfig{Municipality: id, DomicileCodes: map[string]jukinet.LGCode{
			"山口県防府市": hofu, "山口県山口市": yamaguchi, "福岡県久留米市": kurume}}
		if mcfg != nil {
			mcfg(&cfg)
		}
		m, err := NewMunicipality(db, cfg)
		if err != nil {
			t.Fatal(err)
		}
		// The test operators and the demo's counter staff (demo.RunScenario).
		designateHandlers(t, db, clerk, issuer, special, numbers, looker,
			jukinet.Actor{CollationID: "C-CLERK"}, jukinet.Actor{CollationID: "C-ISSUE"}, jukinet.Actor{CollationID: "C-NUMBER"})
		n.muni[id] = m
		add(string(id), db, m.Handlers())
	}
	return n
}

// designateHandlers has a 本人確認情報管理責任者 designate the test
// operators to handle identity information (G16-2.1): the register refuses
// anyone else.
func designateHandlers(t testing.TB, db *store.DB, actors ...jukinet.Actor) {
	t.Helper()
	g := governance.New(db)
	from := jukinet.DateOf(testNow).AddDays(-30)
	if _, err := g.AssignRole(as(governance.BootstrapActor), governance.Assignment{Role: governance.RoleGeneralManager, CollationID: "C-GM", Name: "統括", From: from}); err != nil {
		t.Fatal(err)
	}
	gm := jukinet.Actor{CollationID: "C-GM", OperatorID: "OP-GM", Authority: jukinet.AuthorityGovernance, Terminal: "T-01"}
	if _, err := g.AssignRole(as(gm), governance.Assignment{Role: governance.RoleIdentityInfoManager, CollationID: "C-IIM", Name: "本人確認情報管理", From: from}); err != nil {
		t.Fatal(err)
	}
	iim := jukinet.Actor{CollationID: "C-IIM", OperatorID: "OP-IIM", Authority: jukinet.AuthorityIdentityManager, Terminal: "T-01"}
	seen := map[string]bool{}
	for _, a := range actors {
		if seen[a.CollationID] {
			continue
		}
		seen[a.CollationID] = true
		if _, err := g.DesignateHandler(as(iim), governance.HandlerDesignation{CollationID: a.CollationID, Name: a.CollationID, Scope: "住民記録", From: from}); err != nil {
			t.Fatal(err)
		}
	}
}

type outRow struct {
	seq         int64
	kind, dest  string
	orderingKey string
	version     int64
	body        []byte
}

// run delivers until quiet; it fails the test on a transport-level problem
// (no handler for a kind) and records handler refusals in n.rejected.
func (n *testNet) run() {
	n.t.Helper()
	n.runHolding(func(string, string) bool { return false })
}

func (n *testNet) envelope(src *testNode, kind network.Kind, to, key string, version uint64, body []byte) *network.Envelope {
	n.t.Helper()
	env, err := network.NewEnvelope(kind, src.id, to, testNow.UnixMicro(), body)
	if err != nil {
		n.t.Fatal(err)
	}
	env.OrderingKey, env.Version = key, version
	if err := network.SignBatch(src.key, src.id, []*network.Envelope{env}); err != nil {
		n.t.Fatal(err)
	}
	return env
}

func (n *testNet) deliver(src *testNode, r outRow) {
	n.t.Helper()
	kind, ok := network.ParseKind(r.kind)
	if !ok {
		n.t.Fatalf("outbox of %s: unknown kind %q", src.id, r.kind)
	}
	dst := n.nodes[r.dest]
	if dst == nil {
		n.t.Fatalf("outbox of %s: %s to unknown node %s", src.id, r.kind, r.dest)
	}
	h := dst.handlers[kind]
	if h == nil {
		n.t.Fatalf("node %s has no handler for %s (from %s)", r.dest, r.kind, src.id)
	}
	env := n.envelope(src, kind, r.dest, r.orderingKey, uint64(r.version), r.body)
	if n.inboxes {
		n.deliverToInbox(src, dst, env)
		return
	}
	err := dst.db.Update(as(jukinet.SystemActor("network")), store.Op{Operation: jukinet.OpNetworkReceive, Detail: r.kind}, func(tx *store.Tx) error {
		return h(tx, env)
	})
	if err != nil {
		n.rejected = append(n.rejected, fmt.Sprintf("%s %s→%s: %v", r.kind, src.id, r.dest, err))
	}
}

func (n *testNet) noRejections() {
	n.t.Helper()
	for _, r := range n.rejected {
		n.t.Errorf("rejected: %s", r)
	}
	n.rejected = nil
}

func mustDate(t *testing.T, s string) jukinet.Date {
	t.Helper()
	d, err := jukinet.ParseDate("date", s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// birth adds a resident heading a new household.
func birth(t *testing.T, m *Municipality, kanji, kana, birthDate, domicile string) *register.Resident {
	t.Helper()
	r, err := m.Register().Birth(as(clerk), register.BirthInput{PersonInput: register.PersonInput{
		Name: jukinet.Name{Kanji: kanji, Kana: kana}, BirthDate: mustDate(t, birthDate), Sex: jukinet.SexFemale, Domicile: domicile, DomicileHead: kanji},
		AddressText: townOf(m.Code()) + "1番1号"})
	if err != nil {
		t.Fatalf("birth at %s: %v", m.Code(), err)
	}
	return r
}

func townOf(c jukinet.LGCode) string {
	switch c {
	case hofu:
		return "山口県防府市松崎町"
	case yamaguchi:
		return "山口県山口市亀山町"
	}
	return "福岡県久留米市城南町"
}

const testAgencies = `
[[agency]]
id = "pension"
name = "日本年金機構"
tasks = ["年金給付の支給", "年金加入者の記録"]
individual_number = true

[[agency]]
id = "passport"
name = "外務省"
tasks = ["旅券の発給"]
`

// codeOf returns the valid resident code with the given first 10 digits.
func codeOf(t *testing.T, first10 string) jukinet.ResidentCode {
	t.Helper()
	cd, err := jukinet.ResidentCodeCheckDigit(first10)
	if err != nil {
		t.Fatal(err)
	}
	return jukinet.ResidentCode(first10 + string(cd))
}
