package node_test

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/demo"
	"github.com/jukinet/jukinet/node"
	"github.com/jukinet/jukinet/store"
	"github.com/jukinet/jukinet/store/storetest"
)

// lookupDB is a national database holding n persons' identity information.
func lookupDB(tb testing.TB, n int) (*store.DB, []string) {
	tb.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, store.Config{Path: filepath.Join(tb.TempDir(), "national.db"), Node: "national"})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	rows, err := demo.Population(demo.Hofu, n, 7, demo.Today())
	if err != nil {
		tb.Fatal(err)
	}
	codes := make([]string, len(rows))
	args := make([]any, 0, 5*len(rows))
	for i, p := range rows {
		info := jukinet.IdentityInfo{Municipality: demo.Hofu.Code, ResidentCode: p.ResidentCode, Name: p.Name,
			BirthDate: p.BirthDate, Sex: p.Sex, Address: jukinet.Address{LGCode: demo.Hofu.Code, Text: p.AddressText},
			Change: jukinet.ChangeInfo{Reason: jukinet.ReasonRemakeAdd, Date: demo.Today()}, Version: 1}
		b, err := json.Marshal(info)
		if err != nil {
			tb.Fatal(err)
		}
		codes[i] = string(p.ResidentCode)
		args = append(args, string(info.Municipality), codes[i], 1, string(b), int64(i))
	}
	actx := jukinet.WithActor(ctx, jukinet.SystemActor("bench"))
	if err := db.Update(actx, store.Op{Operation: jukinet.OpNetworkReceive}, func(tx *store.Tx) error {
		return node.InsertIdentityRows(tx, args)
	}); err != nil {
		tb.Fatal(err)
	}
	return db, codes
}

func TestLookupIdentitiesBatch(t *testing.T) {
	db, codes := lookupDB(t, 1200)
	ctx := jukinet.WithActor(context.Background(), jukinet.SystemActor("bench"))
	got, err := node.LookupIdentities(ctx, db, codes, "test")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(codes) {
		t.Fatalf("LookupIdentities(%d codes) returned %d records, want %d", len(codes), len(got), len(codes))
	}
	for _, c := range codes {
		if string(got[c].ResidentCode) != c || got[c].Version != 1 || got[c].Name.Kanji == "" {
			t.Fatalf("LookupIdentities: record of %s = %+v, want its own record, version 1, with a name", c, got[c])
		}
	}
}

// heldIdentities fills db (a national database) with n persons' identity
// information as stored by the network, plus the cases a lookup must get
// right: persons who moved (a second record from another municipality,
// newer for some, older for others), records not in json.Marshal's form.
// It returns the codes held and, per code, what a lookup must return.
func heldIdentities(t *testing.T, db *store.DB, n int) ([]string, map[string]jukinet.IdentityInfo) {
	t.Helper()
	rows, err := demo.Population(demo.Hofu, n, 11, demo.Today())
	if err != nil {
		t.Fatal(err)
	}
	type rec struct {
		info    jukinet.IdentityInfo
		updated int64
	}
	var all []rec
	codes := make([]string, len(rows))
	for i, p := range rows {
		info := jukinet.IdentityInfo{Municipality: demo.Hofu.Code, ResidentCode: p.ResidentCode, IndividualNumber: p.IndividualNumber,
			Name: p.Name, BirthDate: p.BirthDate, Sex: p.Sex, Address: jukinet.Address{LGCode: demo.Hofu.Code, Text: p.AddressText},
			Change: jukinet.ChangeInfo{Reason: jukinet.ReasonRemakeAdd, Date: demo.Today()}, Version: uint64(1 + i%3)}
		codes[i] = string(p.ResidentCode)
		all = append(all, rec{info, int64(10000 + i)})
		if i%10 == 0 { // moved: a record from 山口市 too, newer or older
			moved := info
			moved.Municipality, moved.Address = "352039", jukinet.Address{LGCode: "352039", Text: "山口市亀山町" + strconv.Itoa(i)}
			moved.Version = 1
			updated := int64(10000 + i + 5000)
			if i%20 == 10 {
				updated = int64(10000 + i - 5000)
			}
			all = append(all, rec{moved, updated})
		}
	}
	want := map[string]jukinet.IdentityInfo{}
	newest := map[string]int64{}
	args := make([]any, 0, 5*len(all))
	for i, r := range all {
		b, err := json.Marshal(r.info)
		if i%37 == 0 { // not json.Marshal's form: read by json.Unmarshal
			b, err = json.MarshalIndent(r.info, "", "  ")
		}
		if err != nil {
			t.Fatal(err)
		}
		code := string(r.info.ResidentCode)
		if u, ok := newest[code]; !ok || r.updated > u {
			want[code], newest[code] = r.info, r.updated
		}
		args = append(args, string(r.info.Municipality), code, int64(r.info.Version), string(b), r.updated)
	}
	actx := jukinet.WithActor(context.Background(), jukinet.SystemActor("test"))
	if err := db.Update(actx, store.Op{Operation: jukinet.OpNetworkReceive}, func(tx *store.Tx) error {
		return node.InsertIdentityRows(tx, args)
	}); err != nil {
		t.Fatal(err)
	}
	return codes, want
}

// absentCodes returns n valid resident codes that db does not hold.
func absentCodes(t *testing.T, held []string, n int) []string {
	t.Helper()
	rows, err := demo.Population(demo.Hofu, n+len(held), 99, demo.Today())
	if err != nil {
		t.Fatal(err)
	}
	skip := map[string]bool{}
	for _, c := range held {
		skip[c] = true
	}
	var out []string
	for _, p := range rows {
		if c := string(p.ResidentCode); !skip[c] && len(out) < n {
			out = append(out, c)
		}
	}
	return out
}

// A batch returns exactly what one-by-one lookups return, and both what was
// stored (the newest record of a person who moved), on both engines; codes
// not held are absent; duplicates are harmless. The batch is large enough for
// parallel readers and, on PostgreSQL, several statements.
func TestLookupBatchMatchesOneByOne(t *testing.T) {
	storetest.Run(t, "national", func(t *testing.T, db *store.DB) {
		held, want := heldIdentities(t, db, 1300)
		absent := absentCodes(t, held, 40)
		codes := append(append(append([]string{}, held...), absent...), held[:25]...)
		rand.New(rand.NewPCG(1, 2)).Shuffle(len(codes), func(i, j int) { codes[i], codes[j] = codes[j], codes[i] })
		ctx := jukinet.WithActor(context.Background(), jukinet.SystemActor("test"))
		got, err := node.LookupIdentities(ctx, db, codes, "test")
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) {
			t.Errorf("LookupIdentities(%d codes) returned %d records, want %d", len(codes), len(got), len(want))
		}
		for code, w := range want {
			if !reflect.DeepEqual(got[code], w) {
				t.Fatalf("LookupIdentities: %s = %+v, want %+v", code, got[code], w)
			}
		}
		// With the writer busy the batch reads beside it (on SQLite; its
		// record then waits for the writer): the same answer.
		inside, release, done := make(chan struct{}), make(chan struct{}), make(chan error)
		go func() {
			done <- db.Update(ctx, store.Op{Operation: jukinet.OpIdentityLookup, Purpose: "test"}, func(*store.Tx) error {
				close(inside)
				<-release
				return nil
			})
		}()
		<-inside
		beside := make(chan map[string]jukinet.IdentityInfo, 1)
		go func() {
			got, err := node.LookupIdentities(ctx, db, codes, "test")
			if err != nil {
				t.Error(err)
			}
			beside <- got
		}()
		time.Sleep(100 * time.Millisecond) // the batch finds the writer busy
		close(release)
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if got := <-beside; !reflect.DeepEqual(got, want) {
			t.Errorf("LookupIdentities beside a busy writer: %d records, want %d, the same as when idle", len(got), len(want))
		}
		for _, c := range append(held[:200:200], absent...) {
			one, err := node.LookupIdentity(ctx, db, c, "test")
			w, ok := want[c]
			switch {
			case !ok && !jukinet.IsKind(err, jukinet.KindNotFound):
				t.Fatalf("LookupIdentity(%s), not held: %+v, %v; want KindNotFound", c, one, err)
			case ok && (err != nil || !reflect.DeepEqual(one, w) || !reflect.DeepEqual(one, got[c])):
				t.Fatalf("LookupIdentity(%s) = %+v, %v; want the batch's %+v", c, one, err, got[c])
			}
		}
		// A small batch (one reader) and a batch of one agree too.
		small, err := node.LookupIdentities(ctx, db, []string{held[10], absent[0], held[20]}, "test")
		if err != nil || len(small) != 2 || !reflect.DeepEqual(small[held[10]], want[held[10]]) || !reflect.DeepEqual(small[held[20]], want[held[20]]) {
			t.Errorf("LookupIdentities(3 codes) = %+v, %v; want the two held records", small, err)
		}
	})
}

// lastLog returns the newest operation-log record and the log's size.
func lastLog(t *testing.T, db *store.DB) (store.LogRecord, int) {
	t.Helper()
	var leaf []byte
	var n int
	if err := db.Bookkeeping(store.Inspect).QueryRow(`SELECT COUNT(*) FROM oplog`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if err := db.Bookkeeping(store.Inspect).QueryRow(`SELECT leaf FROM oplog ORDER BY idx DESC LIMIT 1`).Scan(&leaf); err != nil {
		t.Fatal(err)
	}
	r, err := store.DecodeLogRecord(leaf)
	if err != nil {
		t.Fatal(err)
	}
	return r, n
}

// Every lookup is one operation-log record naming who, what, on whom (a
// single code's subject token; a batch names its size) and the purpose,
// whether anything was found or not; a refused actor reads nothing and the
// refusal is recorded; an invalid request is refused before anything.
func TestLookupIsLogged(t *testing.T) {
	storetest.Run(t, "national", func(t *testing.T, db *store.DB) {
		held, _ := heldIdentities(t, db, 100)
		absent := absentCodes(t, held, 1)[0]
		clerk := jukinet.Actor{CollationID: "C0001", OperatorID: "OP-7", Authority: jukinet.AuthorityLookup, Terminal: "T-3"}
		ctx := jukinet.WithActor(context.Background(), clerk)
		check := func(name string, before int, subject, detail, result string) {
			t.Helper()
			r, n := lastLog(t, db)
			if n != before+1 {
				t.Fatalf("%s: %d log records added, want 1", name, n-before)
			}
			if r.Operation != string(jukinet.OpIdentityLookup) || r.CollationID != clerk.CollationID || r.OperatorID != clerk.OperatorID ||
				r.Authority != string(clerk.Authority) || r.Terminal != clerk.Terminal || r.Purpose != "case 42" ||
				r.Subject != subject || r.Detail != detail || r.Result != result {
				t.Fatalf("%s: logged %+v; want %s by %v for case 42, subject %q, detail %q, result %s", name, r, jukinet.OpIdentityLookup, clerk, subject, detail, result)
			}
		}
		_, n := lastLog(t, db)
		for _, k := range []int{80, 5} { // read beside the writer, and in the logging transaction
			if got, err := node.LookupIdentities(ctx, db, held[:k], "case 42"); err != nil || len(got) != k {
				t.Fatalf("LookupIdentities(%d codes): %d records, %v", k, len(got), err)
			}
			check("batch", n, "", strconv.Itoa(k)+" resident codes", "ok")
			_, n = lastLog(t, db)
		}
		if _, err := node.LookupIdentity(ctx, db, held[3], "case 42"); err != nil {
			t.Fatal(err)
		}
		check("one", n, db.SubjectToken(held[3]), "1 resident codes", "ok")
		_, n = lastLog(t, db)
		if _, err := node.LookupIdentity(ctx, db, absent, "case 42"); !jukinet.IsKind(err, jukinet.KindNotFound) {
			t.Fatalf("LookupIdentity(not held) = %v, want KindNotFound", err)
		}
		check("not held", n, db.SubjectToken(absent), "1 resident codes", "ok")

		clerk.Authority = jukinet.AuthorityRecord // not allowed to look up
		ctx = jukinet.WithActor(context.Background(), clerk)
		_, n = lastLog(t, db)
		if got, err := node.LookupIdentities(ctx, db, held[:70], "case 42"); !jukinet.IsKind(err, jukinet.KindForbidden) || got != nil {
			t.Fatalf("LookupIdentities by authority %s = %d records, %v; want KindForbidden", clerk.Authority, len(got), err)
		}
		check("refused", n, "", "70 resident codes", "forbidden")
		_, n = lastLog(t, db)
		if _, err := node.LookupIdentity(ctx, db, held[4], "case 42"); !jukinet.IsKind(err, jukinet.KindForbidden) {
			t.Fatalf("LookupIdentity by authority %s = %v; want KindForbidden", clerk.Authority, err)
		}
		check("refused one", n, db.SubjectToken(held[4]), "1 resident codes", "forbidden")
		_, n = lastLog(t, db)
		if got, err := node.LookupIdentities(context.Background(), db, held[:2], "case 42"); !jukinet.IsKind(err, jukinet.KindUnauthorized) || got != nil {
			t.Fatalf("LookupIdentities without an actor = %d records, %v; want KindUnauthorized", len(got), err)
		}
		if r, m := lastLog(t, db); m != n+1 || r.Result != "unauthorized" || r.Detail != "2 resident codes" || r.Purpose != "case 42" {
			t.Fatalf("LookupIdentities without an actor: logged %+v (%d records added), want one unauthorized record", r, m-n)
		}
		_, n = lastLog(t, db)
		for _, bad := range [][]string{nil, {held[0], "123"}} {
			if _, err := node.LookupIdentities(ctx, db, bad, "case 42"); !jukinet.IsKind(err, jukinet.KindInvalid) {
				t.Errorf("LookupIdentities(%q) = %v, want KindInvalid", bad, err)
			}
		}
		if _, err := node.LookupIdentities(ctx, db, held[:1], " "); !jukinet.IsKind(err, jukinet.KindInvalid) {
			t.Errorf("LookupIdentities without a purpose = %v, want KindInvalid", err)
		}
		if _, m := lastLog(t, db); m != n {
			t.Errorf("invalid lookups logged %d records, want none", m-n)
		}
	})
}

// BenchmarkLookupIdentities looks up batches of 1,000 among 20,000 persons.
func BenchmarkLookupIdentities(b *testing.B) {
	db, codes := lookupDB(b, 20000)
	ctx := jukinet.WithActor(context.Background(), jukinet.SystemActor("bench"))
	i := 0
	cpu0 := processCPU(b)
	for b.Loop() {
		start := (i * 1000) % len(codes)
		if _, err := node.LookupIdentities(ctx, db, codes[start:start+1000], "bench"); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.ReportMetric(float64(1000*b.N)/b.Elapsed().Seconds(), "records/s")
	// CPU per record: steadier than the rate on a shared machine.
	b.ReportMetric(float64((processCPU(b)-cpu0).Microseconds())/float64(1000*b.N), "cpu-µs/record")
}

// processCPU is the process's user + system CPU time.
func processCPU(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkLookupIdentity looks up persons one by one among 20,000 (each
// lookup its own logged transaction).
func BenchmarkLookupIdentity(b *testing.B) {
	db, codes := lookupDB(b, 20000)
	ctx := jukinet.WithActor(context.Background(), jukinet.SystemActor("bench"))
	i := 0
	cpu0 := processCPU(b)
	for b.Loop() {
		if _, err := node.LookupIdentity(ctx, db, codes[(i*7919)%len(codes)], "bench"); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(float64((processCPU(b)-cpu0).Microseconds())/float64(b.N), "cpu-µs/record")
}
