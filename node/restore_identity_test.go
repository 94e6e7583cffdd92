package node

import (
	"context"
	crand "crypto/rand"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/network"
	"github.com/jukinet/jukinet/oplog"
	"github.com/jukinet/jukinet/register"
	"github.com/jukinet/jukinet/store"
	"github.com/jukinet/jukinet/store/storetest"
	"golang.org/x/mod/sumdb/note"
)

// A national server restored from a backup has lost the identity
// information it received after the backup, and its per-person versions
// are the backup's: the next notice of a person changed since arrives with
// a version gap and is parked for good. Delivered through real inboxes
// (ordering, parking), the test shows both, then the catch-up of the start
// (identity.resync): the national server holds every person's newest
// notice, the parked notice is settled, later notices apply, lookups answer
// the newest data, nothing already held is applied again, and the
// operation log verifies. SQLite is restored from `jukinet backup` (the
// backup's time is known: persons changed since shortly before it are
// re-sent), PostgreSQL with pg_restore and --mark-restored (unknown: every
// person is).
// The answers are applied in either order: the mover's former municipality
// first (its 転出確定 releases the person, the destination's record then
// takes it), or the destination first (its record is held until the
// 転出確定).
func TestRestoredNationalCatchesUpIdentities(t *testing.T) {
	for _, e := range storetest.Engines() {
		for _, destFirst := range []bool{false, true} {
			name := string(e) + "/source-first"
			if destFirst {
				name = string(e) + "/destination-first"
			}
			t.Run(name, func(t *testing.T) { catchUpScenario(t, e, destFirst) })
		}
	}
}

func catchUpScenario(t *testing.T, e store.Engine, destFirst bool) {
	n := newTestNetEmptyPools(t, e, nil)
	n.inboxes = true
	cfg := storetest.Config(t, e, network.NationalID)
	cfg.Now = func() time.Time { return testNow }
	natDB := openNational(t, n, cfg, 1)
	n.fillPools()
	var hofuP, kurumeP []jukinet.ResidentCode
	for i := range 4 {
		hofuP = append(hofuP, birth(t, n.muni[hofu], "前\u3000"+string(rune('あ'+i)), "マエ\u3000"+string(rune('ア'+i)), "2000-01-01", "").ResidentCode)
	}
	kurumeP = append(kurumeP, birth(t, n.muni[kurume], "久\u3000いち", "ヒサ\u3000イチ", "2000-01-01", "").ResidentCode)
	n.run()
	n.noRejections()
	atBackup := map[jukinet.ResidentCode]uint64{}
	for _, c := range append(append([]jukinet.ResidentCode(nil), hofuP...), kurumeP...) {
		got, _, err := n.national.Identity(as(looker), c, "test")
		if err != nil {
			t.Fatal(err)
		}
		atBackup[c] = got.Version
	}
	restore := backupNode(t, e, natDB, cfg)

	// After the backup: 転居 of two 防府市 and one 久留米市 persons, a
	// birth in each …
	moveWithin(t, n, hofu, hofuP[0], "2番2号")
	moveWithin(t, n, hofu, hofuP[1], "3番3号")
	moveWithin(t, n, kurume, kurumeP[0], "4番4号")
	// and a 転出 from 防府市 to 久留米市 (its 転出確定 too is lost).
	mover := hofuP[2]
	moveToKurume(t, n, mover)
	hofuP = append(hofuP, birth(t, n.muni[hofu], "後\u3000はな", "ノチ\u3000ハナ", "2026-11-01", "").ResidentCode)
	kurumeP = append(kurumeP, birth(t, n.muni[kurume], "久\u3000に", "ヒサ\u3000ニ", "2026-11-01", "").ResidentCode)
	n.run()
	n.noRejections()
	everyone := append(append([]jukinet.ResidentCode(nil), hofuP...), kurumeP...)
	changed := []jukinet.ResidentCode{hofuP[0], hofuP[1], hofuP[4], kurumeP[0], kurumeP[1], mover}
	sameAtNational(t, n, everyone)

	restored := restore()
	natDB = openNational(t, n, store.Config{Path: restored.Path, DSN: restored.DSN, Node: network.NationalID, Now: cfg.Now}, 1)
	// Before the catch-up: the restored server holds the backup's
	// versions, and the next notice of a changed person is parked.
	moveWithin(t, n, hofu, hofuP[0], "5番5号")
	n.run()
	n.noRejections()
	for _, c := range []jukinet.ResidentCode{hofuP[0], hofuP[1], kurumeP[0]} {
		if got, _, err := n.national.Identity(as(looker), c, "test"); err != nil || got.Version != atBackup[c] {
			t.Fatalf("restored national server before the catch-up: %v, %v; want the backup's version %d", got.Version, err, atBackup[c])
		}
	}
	for _, c := range []jukinet.ResidentCode{hofuP[4], kurumeP[1]} {
		if _, _, err := n.national.Identity(as(looker), c, "test"); jukinet.ErrorKind(err) != jukinet.KindNotFound {
			t.Fatalf("a person born after the backup at the restored national server: %v, want not found", err)
		}
	}
	key := string(hofu) + "/" + string(hofuP[0])
	if got := rowCount(t, natDB, `SELECT COUNT(*) FROM inbox WHERE state = 'parked' AND ordering_key = $1`, key); got != 1 {
		t.Fatalf("parked notices of the person updated after the restore: %d, want 1 (behind the lost version)", got)
	}

	if err := n.national.RecoverGrantedCodes(as(jukinet.SystemActor("node-start")), []jukinet.LGCode{hofu, yamaguchi, kurume}); err != nil {
		t.Fatal(err)
	}
	if destFirst {
		n.runHolding(func(kind, from string) bool {
			return kind == network.KindIdentityResync.String() && from == string(hofu)
		})
		if m, _ := holderOf(t, natDB, hofuP[2]); m != string(hofu) {
			t.Fatalf("the mover's holder before the 転出確定 is re-sent: %s, want %s", m, hofu)
		}
	}
	n.run()
	n.noRejections()
	sameAtNational(t, n, everyone)
	if got := rowCount(t, natDB, `SELECT COUNT(*) FROM inbox WHERE state = 'parked'`); got != 0 {
		t.Errorf("parked notices after the catch-up: %d, want 0", got)
	}
	applied := storetest.Records(t, natDB, func(r store.LogRecord) bool {
		return r.Operation == string(jukinet.OpNetworkReceive) && r.Result == "applied" && strings.HasPrefix(r.Detail, "identity.resync from ")
	})
	// Once each (log subjects are pseudonyms): the notices of the
	// persons changed after the backup (the mover's at both
	// municipalities) and the mover's 転出確定; none of those it held.
	subjects, confirms := map[string]bool{}, 0
	for _, r := range applied {
		subjects[r.Subject] = true
		if strings.Contains(r.Detail, "move-out confirmation") {
			confirms++
		}
	}
	if len(applied) != len(changed)+2 || len(subjects) != len(changed) || confirms != 1 {
		t.Errorf("re-sent records applied: %d (%d 転出確定) of %d persons; want %d of the %d persons changed after the backup, 1 転出確定",
			len(applied), confirms, len(subjects), len(changed)+2, len(changed))
	}
	if m, _ := holderOf(t, natDB, mover); m != string(kurume) {
		t.Errorf("the mover's holder at the national server: %s, want %s", m, kurume)
	}

	// Later notices apply at once, and lookups answer them.
	moveWithin(t, n, hofu, hofuP[0], "6番6号")
	moveWithin(t, n, hofu, hofuP[4], "7番7号")
	moveWithin(t, n, kurume, kurumeP[1], "8番8号")
	moveWithin(t, n, kurume, mover, "9番9号")
	n.run()
	n.noRejections()
	sameAtNational(t, n, everyone)
	got, err := LookupIdentities(as(looker), natDB, codesText(everyone), "test")
	if err != nil || len(got) != len(everyone) {
		t.Fatalf("batch lookup: %d of %d, %v", len(got), len(everyone), err)
	}
	if a := got[string(hofuP[0])].Address.Text; !strings.HasSuffix(a, "6番6号") {
		t.Errorf("batch lookup of the person moved last: address %q, want …6番6号", a)
	}
	// An answer nobody asked for (another run) is refused.
	body, err := json.Marshal(IdentityResync{Run: "0195f3a1-7c2e-7b3d-8a4f-1234567890ab", Municipality: hofu, Part: 1, Parts: 1})
	if err != nil {
		t.Fatal(err)
	}
	unasked := &network.Envelope{Kind: network.KindIdentityResync, From: string(hofu), To: network.NationalID, Body: body}
	err = natDB.Update(as(jukinet.SystemActor("network")), store.Op{Operation: jukinet.OpNetworkReceive}, func(tx *store.Tx) error {
		return n.national.nationalIdentityResync(tx, unasked)
	})
	if jukinet.ErrorKind(err) != jukinet.KindConflict || jukinet.ErrorField(err) != "run" {
		t.Errorf("an identity.resync of a run not asked for: %v, want a conflict on run", err)
	}
	verifyNationalLog(t, natDB)
}

// moveWithin records a 転居 of code at m to the town's address suffix.
func moveWithin(t *testing.T, n *testNet, m jukinet.LGCode, code jukinet.ResidentCode, suffix string) {
	t.Helper()
	if _, err := n.muni[m].Register().MoveWithin(as(clerk), register.MoveWithinInput{ResidentCode: code,
		AddressText: townOf(m) + suffix, Date: mustDate(t, "2026-11-25")}); err != nil {
		t.Fatal(err)
	}
}

// moveToKurume records code's 転出 from 防府市 and 転入 at 久留米市, and
// delivers the 転入通知 (and so the 転出確定).
func moveToKurume(t *testing.T, n *testNet, code jukinet.ResidentCode) {
	t.Helper()
	recs, err := n.muni[hofu].Register().Get(as(looker), code, "test")
	if err != nil {
		t.Fatal(err)
	}
	r := recs[len(recs)-1]
	dest := jukinet.Address{LGCode: kurume, Text: townOf(kurume) + "1番1号"}
	if _, err := n.muni[hofu].Register().MoveOut(as(clerk), register.MoveOutInput{ResidentCode: code, PlannedDate: mustDate(t, "2026-11-20"), Destination: dest}); err != nil {
		t.Fatal(err)
	}
	if _, err := n.muni[kurume].Register().MoveInDomestic(as(clerk), register.MoveInInput{PersonInput: register.PersonInput{Name: r.Name, BirthDate: r.BirthDate, Sex: r.Sex},
		ResidentCode: code, MoveInDate: mustDate(t, "2026-11-22"), PlannedMoveOut: mustDate(t, "2026-11-20"),
		PreviousAddress: r.Address, AddressText: dest.Text}); err != nil {
		t.Fatal(err)
	}
}

// sameAtNational fails unless the national server's current identity
// information of each person is the newest notice of the municipality
// the person lives in (of the one that removed it, if none).
func sameAtNational(t *testing.T, n *testNet, codes []jukinet.ResidentCode) {
	t.Helper()
	for _, c := range codes {
		var want *jukinet.IdentityInfo
		for _, m := range n.muni {
			var raw string
			err := m.db.Bookkeeping(store.Inspect).QueryRow(`SELECT h.info FROM identity_history h JOIN identity_versions v
 ON v.resident_code = h.resident_code AND v.version = h.version WHERE h.resident_code = $1`, string(c)).Scan(&raw)
			if noRows(err) {
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			var info jukinet.IdentityInfo
			if err := json.Unmarshal([]byte(raw), &info); err != nil {
				t.Fatal(err)
			}
			if want == nil || info.Change.Reason.Class() != jukinet.ClassRemove {
				want = &info // the municipality the person lives in, if any
			}
		}
		got, _, err := n.national.Identity(as(looker), c, "test")
		if err != nil || want == nil {
			t.Fatalf("person %d of %d: national %v, municipality's notice found: %v", indexOf(codes, c), len(codes), err, want != nil)
		}
		if got.Version != want.Version || got.Address != want.Address || got.Name != want.Name {
			t.Errorf("person %d at the national server: v%d %s; want the municipality's newest v%d %s",
				indexOf(codes, c), got.Version, got.Address.Text, want.Version, want.Address.Text)
		}
	}
}

// verifyNationalLog checkpoints the national server's log and verifies it
// as `jukinet oplog verify` does: every leaf, the root, the signatures.
func verifyNationalLog(t *testing.T, db *store.DB) {
	t.Helper()
	ctx := context.Background()
	key := func(name string) (note.Signer, note.Verifier) {
		skey, vkey, err := note.GenerateKey(crand.Reader, name)
		if err != nil {
			t.Fatal(err)
		}
		s, err := note.NewSigner(skey)
		if err != nil {
			t.Fatal(err)
		}
		v, err := note.NewVerifier(vkey)
		if err != nil {
			t.Fatal(err)
		}
		return s, v
	}
	logSigner, logKey := key("national")
	witSigner, witKey := key("witness-350001")
	origin := oplog.Origin(DefaultLogDomain, network.NationalID)
	l := oplog.NewSQLLog(db)
	w, err := oplog.NewSQLWitness(db, witSigner, map[string]note.Verifier{origin: logKey})
	if err != nil {
		t.Fatal(err)
	}
	c, err := oplog.NewCheckpointer(l, oplog.CheckpointerConfig{Origin: origin, Signer: logSigner, Witness: w})
	if err != nil {
		t.Fatal(err)
	}
	cp, err := c.Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	r, err := l.Verify(ctx, oplog.Verifier{Origin: origin, Log: logKey, Witnesses: []note.Verifier{witKey}})
	if err != nil || !r.OK() || r.Verified != cp.Size || cp.Size == 0 {
		t.Fatalf("oplog verify on the national server: %+v (failure %v), %v; want all %d rows verified", r, r.Failure, err, cp.Size)
	}
}

// deliverToInbox delivers env to dst's inbox as the transport does.
func (n *testNet) deliverToInbox(src, dst *testNode, env *network.Envelope) {
	n.t.Helper()
	outs, err := network.NewStoreInbox(dst.db, applyFuncs(dst.handlers)).Deliver(context.Background(), src.id, []*network.Envelope{env})
	if err != nil {
		n.t.Fatal(err)
	}
	if o := outs[0]; o.Status == network.StatusRejected {
		n.rejected = append(n.rejected, env.Kind.String()+" "+src.id+"→"+dst.id+": "+o.Reason.String()+" "+o.Detail)
	}
}

// retryParked does what a node's runtime does periodically: it applies the
// parked envelopes whose turn has come. It returns how many it settled.
func (n *testNet) retryParked() int {
	n.t.Helper()
	if !n.inboxes {
		return 0
	}
	settled := 0
	for _, nd := range n.nodes {
		k, err := network.NewStoreInbox(nd.db, applyFuncs(nd.handlers)).RetryParked(context.Background())
		if err != nil {
			n.t.Fatal(err)
		}
		settled += k
	}
	return settled
}

func applyFuncs(h Handlers) map[network.Kind]network.ApplyFunc {
	out := make(map[network.Kind]network.ApplyFunc, len(h))
	for k, f := range h {
		out[k] = network.ApplyFunc(f)
	}
	return out
}

func codesText(codes []jukinet.ResidentCode) []string {
	out := make([]string, len(codes))
	for i, c := range codes {
		out[i] = string(c)
	}
	return out
}

func indexOf(codes []jukinet.ResidentCode, c jukinet.ResidentCode) int {
	for i, x := range codes {
		if x == c {
			return i
		}
	}
	return -1
}

func TestIdentityResyncBodiesValidate(t *testing.T) {
	run := "0195f3a1-7c2e-7b3d-8a4f-1234567890ab"
	rec := jukinet.IdentityInfo{Municipality: hofu, ResidentCode: codeOf(t, "1234567890"), Name: jukinet.Name{Kanji: "防府\u3000花子", Kana: "ホウフ\u3000ハナコ"},
		BirthDate: mustDate(t, "2000-01-01"), Sex: jukinet.SexFemale, Address: jukinet.Address{LGCode: hofu, Text: "山口県防府市松崎町1番1号"},
		Change: jukinet.ChangeInfo{Reason: jukinet.ReasonBirth, Date: mustDate(t, "2000-01-01")}, Version: 1}
	if err := rec.Validate(); err != nil {
		t.Fatalf("the test's record: %v", err)
	}
	other := rec
	other.Municipality = kurume
	other.Address = jukinet.Address{LGCode: kurume, Text: "福岡県久留米市城南町15番地3"}
	unnamed := rec
	unnamed.Name.Kanji = ""
	ok := func(recs ...jukinet.IdentityInfo) IdentityResync {
		return IdentityResync{Run: run, Municipality: hofu, Part: 1, Parts: 1, Records: recs}
	}
	tooMany := ok()
	tooMany.Records = make([]jukinet.IdentityInfo, MaxIdentityResync+1)
	for _, tc := range []struct {
		name  string
		err   error
		field string
	}{
		{"request without run", IdentityResyncRequest{}.Validate(), "run"},
		{"request with a bad time", IdentityResyncRequest{Run: run, Since: "yesterday"}.Validate(), "since"},
		{"answer without run", IdentityResync{Municipality: hofu, Part: 1, Parts: 1}.Validate(), "run"},
		{"answer of a prefecture", IdentityResync{Run: run, Municipality: "350001", Part: 1, Parts: 1}.Validate(), "municipality"},
		{"answer without parts", IdentityResync{Run: run, Municipality: hofu, Part: 1}.Validate(), "parts"},
		{"answer part after parts", IdentityResync{Run: run, Municipality: hofu, Part: 2, Parts: 1}.Validate(), "part"},
		{"answer too long", tooMany.Validate(), "records"},
		{"record invalid", ok(rec, unnamed).Validate(), "records[1].name.kanji"},
		{"record of another municipality", ok(other).Validate(), "records[0].municipality"},
		{"record twice", ok(rec, rec).Validate(), "records[1].resident_code"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if jukinet.ErrorKind(tc.err) != jukinet.KindInvalid || jukinet.ErrorField(tc.err) != tc.field {
				t.Errorf("Validate = %v (field %q); want invalid %s", tc.err, jukinet.ErrorField(tc.err), tc.field)
			}
			if tc.err != nil && strings.Contains(tc.err.Error(), string(rec.ResidentCode)) {
				t.Errorf("the error quotes the resident code: %v", tc.err)
			}
		})
	}
	for _, b := range []IdentityResync{ok(rec), ok()} {
		if err := b.Validate(); err != nil {
			t.Errorf("Validate(%d records) = %v, want nil", len(b.Records), err)
		}
	}
	for _, since := range []string{"", "2026-11-19T01:00:00.123456Z"} {
		if err := (IdentityResyncRequest{Run: run, Since: since}).Validate(); err != nil {
			t.Errorf("Validate(since %q) = %v, want nil", since, err)
		}
	}
}

func FuzzIdentityResyncDecode(f *testing.F) {
	f.Add([]byte(`{"run":"0195f3a1-7c2e-7b3d-8a4f-1234567890ab","municipality":"352063","part":1,"parts":1,"records":[]}`))
	f.Add([]byte(`{"run":"0195f3a1-7c2e-7b3d-8a4f-1234567890ab","since":"2026-11-19T01:00:00Z"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		env := &network.Envelope{Kind: network.KindIdentityResync, From: "352063", Body: body}
		var r IdentityResync
		if Decode(env, &r) == nil && r.Validate() == nil {
			seen := map[jukinet.ResidentCode]bool{}
			for _, x := range r.Records {
				if x.Validate() != nil || x.Municipality != r.Municipality || seen[x.ResidentCode] {
					t.Fatalf("an answer with an invalid, foreign or repeated record validated: %+v", x)
				}
				seen[x.ResidentCode] = true
			}
			if r.Part < 1 || r.Part > r.Parts || len(r.Records) > MaxIdentityResync {
				t.Fatalf("an answer part %d of %d with %d records validated", r.Part, r.Parts, len(r.Records))
			}
		}
		var q IdentityResyncRequest
		if Decode(env, &q) == nil && q.Validate() == nil {
			if _, err := q.since(); err != nil {
				t.Fatalf("a request with since %q validated", q.Since)
			}
		}
	})
}
