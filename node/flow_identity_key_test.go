package node

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/store"
	"github.com/jukinet/jukinet/store/storetest"
)

// rowKeyParts splits a row_key into the resident code and municipality it
// encodes.
func rowKeyParts(k int64) (code, municipality string) {
	return fmt.Sprintf("%0*d", identityCodeDigits, k/identityMuniSpan), fmt.Sprintf("%0*d", identityMuniDigits, k%identityMuniSpan)
}

// A row_key gives back the code and municipality it was made of, falls in
// its code's range, and orders as (code, municipality) do.
func TestIdentityRowKeyRoundTrip(t *testing.T) {
	pairs := [][2]string{{"00000000000", "000000"}, {"01234567890", "352063"},
		{"12345678903", "010006"}, {"12345678903", "352063"}, {"12345678904", "010006"}, {"99999999999", "999999"}}
	prev := int64(-1)
	for _, p := range pairs {
		k, err := identityRowKey(p[0], p[1])
		if err != nil {
			t.Fatalf("identityRowKey(%s, %s): %v", p[0], p[1], err)
		}
		if c, m := rowKeyParts(k); c != p[0] || m != p[1] {
			t.Errorf("row_key %d gives back (%s, %s); want (%s, %s)", k, c, m, p[0], p[1])
		}
		if lo, hi, ok := identityCodeRange(p[0]); !ok || k < lo || k > hi {
			t.Errorf("row_key %d outside its code's range [%d, %d] (ok %v)", k, lo, hi, ok)
		}
		if k <= prev {
			t.Errorf("row_key %d of (%s, %s) not after the previous pair's %d", k, p[0], p[1], prev)
		}
		prev = k
	}
}

// A code or municipality that is not all ASCII digits of its length is
// refused, the error naming the field and not quoting the value.
func TestIdentityRowKeyRefusesBadInput(t *testing.T) {
	cases := []struct{ code, muni, field string }{
		{"1234567890", "352063", "resident_code"}, {"123456789012", "352063", "resident_code"},
		{"1234567890a", "352063", "resident_code"}, {"-1234567890", "352063", "resident_code"},
		{"１2345678903", "352063", "resident_code"}, {"", "352063", "resident_code"},
		{"12345678903", "35206", "municipality"}, {"12345678903", "3520630", "municipality"},
		{"12345678903", "35206x", "municipality"}, {"12345678903", " 35206", "municipality"},
	}
	for _, c := range cases {
		_, err := identityRowKey(c.code, c.muni)
		var e *jukinet.Error
		if !errors.As(err, &e) || e.Kind != jukinet.KindInvalid || string(e.Field) != c.field {
			t.Errorf("identityRowKey(%q, %q) = %v; want KindInvalid naming %s", c.code, c.muni, err, c.field)
			continue
		}
		if c.code != "" && strings.Contains(err.Error(), c.code) {
			t.Errorf("the error %q quotes the resident code", err)
		}
	}
	if _, _, ok := identityCodeRange("1234567890x"); ok {
		t.Error("identityCodeRange accepted a code with a letter")
	}
}

// For any input, identityRowKey either refuses it or returns a key that
// gives back exactly the input; it accepts exactly the all-digit inputs
// of the right lengths.
func FuzzIdentityRowKey(f *testing.F) {
	f.Add("12345678903", "352063")
	f.Add("00000000000", "000000")
	f.Add("99999999999", "999999")
	f.Add("1234567890", "3520630")
	f.Add("+1234567890", "352063")
	f.Fuzz(func(t *testing.T, code, muni string) {
		k, err := identityRowKey(code, muni)
		valid := allDigits(code, identityCodeDigits) && allDigits(muni, identityMuniDigits)
		if (err == nil) != valid {
			t.Fatalf("identityRowKey(%q, %q) = %d, %v; valid input: %v", code, muni, k, err, valid)
		}
		if err != nil {
			return
		}
		if c, m := rowKeyParts(k); c != code || m != muni || k < 0 {
			t.Fatalf("row_key %d of (%q, %q) gives back (%q, %q)", k, code, muni, c, m)
		}
		if want, _ := strconv.ParseInt(code+muni, 10, 64); want != k {
			t.Fatalf("row_key %d of (%q, %q); want the digits %d", k, code, muni, want)
		}
	})
}

// allDigits reports whether s is n ASCII digits (the fuzz test's oracle,
// written apart from digitsValue).
func allDigits(s string, n int) bool {
	return len(s) == n && strings.Trim(s, "0123456789") == ""
}

// identityRow is a row of flow_identity without its key.
type identityRow struct {
	muni, code string
	version    int64
	info       string
	updated    int64
}

// Migrations 0835 and 0836 carry an existing SQLite store's rows into the
// new layouts: every column of every row, each row's row_key its
// (code, municipality), versions kept; the reads find them; the tables
// are one b-tree each.
func TestIdentityLayoutMigration(t *testing.T) {
	cfg := storetest.Config(t, store.SQLite, "national")
	ctx := context.Background()
	db, err := store.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	var want []identityRow
	for i, code := range []string{"12345678903", "01234567890", "99999999999"} {
		want = append(want, identityRow{"352063", code, int64(3 + i), `{"n":` + strconv.Itoa(i) + `}`, int64(1000 + i)})
	}
	want = append(want, identityRow{"352039", want[0].code, 7, `{"moved":1}`, 2000})
	oldIdentityLayout(t, cfg.Path, func(exec func(q string, args ...any)) {
		for _, r := range want {
			exec(`INSERT INTO flow_identity (municipality, resident_code, version, info, updated_at) VALUES ($1,$2,$3,$4,$5)`,
				r.muni, r.code, r.version, r.info, r.updated)
			exec(`INSERT INTO flow_identity_holders (resident_code, municipality, released_to, updated_at) VALUES ($1,$2,'',$3)
 ON CONFLICT (resident_code) DO UPDATE SET municipality = excluded.municipality`, r.code, r.muni, r.updated)
		}
	})
	if db, err = store.Open(ctx, cfg); err != nil {
		t.Fatalf("open after the old layout: %v", err)
	}
	defer db.Close()
	got := migratedRows(t, db)
	for _, w := range want {
		k, err := identityRowKey(w.code, w.muni)
		if err != nil {
			t.Fatal(err)
		}
		if got[k] != w {
			t.Errorf("row of row_key %d after the migration: %+v; want %+v", k, got[k], w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d rows after the migration; want %d", len(got), len(want))
	}
	var holder string
	if err := db.Bookkeeping(store.Inspect).QueryRow(`SELECT municipality FROM flow_identity_holders WHERE resident_code = $1`, want[0].code).Scan(&holder); err != nil || holder != "352039" {
		t.Errorf("holder of the moved person after the migration: %q, %v; want 352039", holder, err)
	}
	var schema string
	if err := db.Bookkeeping(store.Inspect).QueryRow(`SELECT group_concat(name || ':' || sql, ' | ') FROM sqlite_master WHERE tbl_name IN ('flow_identity', 'flow_identity_holders')`).Scan(&schema); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(schema, "autoindex") || !strings.Contains(schema, "row_key") || !strings.Contains(schema, "WITHOUT ROWID") {
		t.Errorf("layout after the migration: %s; want flow_identity keyed by row_key and the holders WITHOUT ROWID, no autoindex", schema)
	}
}

// migratedRows reads flow_identity by row_key.
func migratedRows(t *testing.T, db *store.DB) map[int64]identityRow {
	t.Helper()
	rows, err := db.Bookkeeping(store.Inspect).Query(`SELECT row_key, municipality, resident_code, version, info, updated_at FROM flow_identity`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	got := map[int64]identityRow{}
	for rows.Next() {
		var k int64
		var r identityRow
		if err := rows.Scan(&k, &r.muni, &r.code, &r.version, &r.info, &r.updated); err != nil {
			t.Fatal(err)
		}
		got[k] = r
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return got
}

// oldIdentityLayout turns the closed SQLite store at path back into the
// layout before migrations 0835 and 0836 (that of 0170 and 0710), has fill
// write rows into it, and marks the two migrations as not applied.
func oldIdentityLayout(t *testing.T, path string, fill func(exec func(q string, args ...any))) {
	t.Helper()
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := raw.Exec(q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	exec(`DROP TABLE flow_identity`)
	exec(`CREATE TABLE flow_identity (municipality TEXT NOT NULL, resident_code TEXT NOT NULL, version INTEGER NOT NULL,
 info TEXT NOT NULL, updated_at INTEGER NOT NULL, PRIMARY KEY (resident_code, municipality))`)
	exec(`DROP TABLE flow_identity_holders`)
	exec(`CREATE TABLE flow_identity_holders (resident_code TEXT PRIMARY KEY, municipality TEXT NOT NULL,
 released_to TEXT NOT NULL DEFAULT '', updated_at INTEGER NOT NULL)`)
	fill(exec)
	var n int
	if err := raw.QueryRow(`SELECT COUNT(*) FROM schema_migrations WHERE name LIKE '0835_%' OR name LIKE '0836_%'`).Scan(&n); err != nil || n != 2 {
		t.Fatalf("migrations 0835 and 0836 applied: %d, %v; want 2", n, err)
	}
	exec(`DELETE FROM schema_migrations WHERE name LIKE '0835_%' OR name LIKE '0836_%'`)
}
