package node

import (
	"github.com/jukinet/jukinet/store"
	"testing"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/store/storetest"
)

// TestFlowsNeedADesignatedHandler (G16-2.1): the counter's inter-node work
// on a person — 広域交付 and the 戸籍の附票 — is refused to an operator with
// the right authority whom the 本人確認情報管理責任者 has not designated;
// nothing is queued and the refusal is logged.
func TestFlowsNeedADesignatedHandler(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			n := newTestNet(t, e, nil)
			home, counter := n.muni[hofu], n.muni[kurume]
			r := birth(t, home, "指定\u3000外", "シテイ\u3000ガイ", "1990-01-01", "山口県防府市松崎町1番地")
			stranger := jukinet.Actor{CollationID: "C-99", OperatorID: "OP-ISS-99", Authority: jukinet.AuthorityIssue, Terminal: "T-01"}
			db := n.nodes[string(kurume)].db
			var before int
			if err := db.Bookkeeping(store.Inspect).QueryRow(`SELECT COUNT(*) FROM outbox`).Scan(&before); err != nil {
				t.Fatal(err)
			}
			_, err := counter.RequestCopy(as(stranger), CopyRequestInput{Residence: hofu, Name: r.Name, BirthDate: r.BirthDate, Items: CopyItems{Household: true}})
			if !jukinet.IsKind(err, jukinet.KindForbidden) || jukinet.ErrorField(err) != "actor" {
				t.Errorf("copy request by an undesignated issuer: %v, want forbidden on actor", err)
			}
			looker := jukinet.Actor{CollationID: "C-98", OperatorID: "OP-LOOK-98", Authority: jukinet.AuthorityLookup, Terminal: "T-01"}
			if _, err := counter.Annex(as(looker), "山口県防府市松崎町1番地", "照会"); !jukinet.IsKind(err, jukinet.KindForbidden) {
				t.Errorf("annex read by an undesignated operator: %v, want forbidden", err)
			}
			var after, refused int
			if err := db.Bookkeeping(store.Inspect).QueryRow(`SELECT COUNT(*) FROM outbox`).Scan(&after); err != nil {
				t.Fatal(err)
			}
			if err := db.Bookkeeping(store.Inspect).QueryRow(`SELECT COUNT(*) FROM oplog WHERE result = 'forbidden' AND collation_id IN ('C-99', 'C-98')`).Scan(&refused); err != nil {
				t.Fatal(err)
			}
			if after != before || refused != 2 {
				t.Errorf("outbox %d → %d, refusals logged %d; want nothing queued and 2 refusals", before, after, refused)
			}
			if _, err := counter.RequestCopy(as(issuer), CopyRequestInput{Residence: hofu, Name: r.Name, BirthDate: r.BirthDate, Items: CopyItems{Household: true}}); err != nil {
				t.Errorf("copy request by the designated issuer: %v", err)
			}
		})
	}
}
