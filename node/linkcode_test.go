package node

import (
	"bytes"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/store"
	"github.com/jukinet/jukinet/store/storetest"
)

// tablesHolding returns "table.column" of every column of every table of db
// whose value contains any of needles (as text or bytes).
func tablesHolding(t *testing.T, db *store.DB, needles ...[]byte) []string {
	t.Helper()
	q := `SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`
	if db.Engine() == store.Postgres {
		q = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`
	}
	var tables []string
	rows, err := db.Bookkeeping(store.Inspect).Query(q)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, n)
	}
	rows.Close()
	if len(tables) < 10 {
		t.Fatalf("only %d tables found: the scan would prove nothing", len(tables))
	}
	var hits []string
	for _, tb := range tables {
		hits = append(hits, scanTable(t, db, tb, needles)...)
	}
	return hits
}

func scanTable(t *testing.T, db *store.DB, table string, needles [][]byte) []string {
	t.Helper()
	rows, err := db.Bookkeeping(store.Inspect).Query(`SELECT * FROM "` + table + `"`)
	if err != nil {
		t.Fatalf("%s: %v", table, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var hits []string
	for rows.Next() {
		vals := make([]sql.RawBytes, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatalf("%s: %v", table, err)
		}
		for i, v := range vals {
			for _, n := range needles {
				if bytes.Contains(bytes.ToLower(v), bytes.ToLower(n)) {
					hits = append(hits, table+"."+cols[i])
				}
			}
		}
	}
	return hits
}

// 情報提供用個人識別符号 (番号法21条の2, 施行令20条): the CS relays the
// request with a 取得番号 and keeps only the number and the status; the
// institution fetches the 符号 from the national server's agency listener;
// no table of the municipality's database holds it, and no other institution
// can fetch it.
func TestLinkCodeReachesOnlyTheInstitution(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			n := newTestNet(t, e, nil)
			m := n.muni[kurume]
			r := birth(t, m, "古谷\u3000葵", "フルヤ\u3000アオイ", "1999-09-09", "")
			acq, err := m.RequestLinkCode(as(numbers), r.ResidentCode, "pension")
			if err != nil {
				t.Fatal(err)
			}
			if acq == string(r.ResidentCode) || !validAcquisitionNumber(acq) {
				t.Errorf("acquisition number %q", acq)
			}
			n.run()
			n.noRejections()
			if st, err := m.LinkCodeStatus(as(numbers), acq); err != nil || st != LinkCodeGenerated {
				t.Errorf("status at the CS: %q, %v; want generated", st, err)
			}
			p := newAgencyPKI(t)
			l := startAgencyListener(t, p, n.national, AgencyAPIConfig{RatePerSecond: 1000})
			url := "https://" + l.Addr() + AgencyLinkCodePath
			body, _ := json.Marshal(map[string]string{"acquisition_number": acq})
			status, raw := postRaw(t, p.client("pension"), url, body)
			var got LinkCodeReply
			if err := json.Unmarshal(raw, &got); status != http.StatusOK || err != nil || len(got.LinkCode) != 32 || got.Agency != "pension" {
				t.Fatalf("POST %s as pension: %d %s", AgencyLinkCodePath, status, raw)
			}
			if got.LinkCode != n.national.linkCodeFor(r.ResidentCode, "pension") {
				t.Errorf("the 符号 delivered is not the one derived for the person and the institution")
			}
			if status, raw := postRaw(t, p.client("passport"), url, body); status != http.StatusNotFound || bytes.Contains(raw, []byte(got.LinkCode)) {
				t.Errorf("another institution with the 取得番号: %d %s; want 404", status, raw)
			}
			raw16, _ := hex.DecodeString(got.LinkCode)
			if hits := tablesHolding(t, m.DB(), []byte(got.LinkCode), raw16); len(hits) > 0 {
				t.Errorf("the municipality's database holds the 符号 in %v", hits)
			}
			if hits := tablesHolding(t, m.DB(), []byte(acq)); len(hits) == 0 {
				t.Errorf("the scan finds not even the 取得番号 the CS keeps: it proves nothing")
			}
		})
	}
}

// 番号法21条の2: a request for an institution that is not a registered
// agency is refused by the national server, and the CS records that.
func TestLinkCodeForUnknownInstitution(t *testing.T) {
	n := newTestNet(t, store.SQLite, nil)
	m := n.muni[hofu]
	r := birth(t, m, "古谷\u3000葵", "フルヤ\u3000アオイ", "1999-09-09", "")
	if _, err := m.RequestLinkCode(as(numbers), r.ResidentCode, "INST01"); jukinet.ErrorField(err) != "institution" {
		t.Errorf("institution INST01: %v; want refused naming institution", err)
	}
	acq, err := m.RequestLinkCode(as(numbers), r.ResidentCode, "nobody")
	if err != nil {
		t.Fatal(err)
	}
	n.run()
	n.noRejections()
	if st, err := m.LinkCodeStatus(as(numbers), acq); err != nil || st != LinkCodeRefused {
		t.Errorf("status: %q, %v; want refused", st, err)
	}
	if _, err := n.national.DeliverLinkCode(as(jukinet.SystemActor("agency:nobody")), "nobody", acq); jukinet.ErrorKind(err) != jukinet.KindNotFound {
		t.Errorf("delivery for a refused request: %v; want not found", err)
	}
}

func postRaw(t *testing.T, c *http.Client, url string, body []byte) (int, []byte) {
	t.Helper()
	resp, err := c.Post(url, "application/json", strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, raw
}
