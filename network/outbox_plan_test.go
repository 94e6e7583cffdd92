package network

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/store"
	"github.com/jukinet/jukinet/store/storetest"
)

// The sender's load of a destination's queue reads the pending rows of that
// destination by their index, not every row queued since the batch it last
// recorded: on statistics taken while a destination had many rows pending
// (a country's seed), SQLite chose the primary key's range seq > after and
// stepped through every row ever sent — a load per message, growing with the
// outbox. A plan on SQLite (PostgreSQL's depends on its costs, not on these
// statistics).
func TestLoadReadsThePendingIndex(t *testing.T) {
	db := storetest.Open(t, store.SQLite, hofu)
	ctx := NetworkContext(context.Background())
	if err := db.Update(ctx, store.Op{Operation: jukinet.OpNetworkSend, Detail: "test"}, func(tx *store.Tx) error {
		for i := range 300 {
			tx.Send(store.Message{Kind: KindIdentityNotify.String(), To: yamaPref, Body: fmt.Appendf(nil, `{"n":%d}`, i)})
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := db.Analyze(context.Background(), "outbox"); err != nil {
		t.Fatal(err)
	}
	rows, err := db.Bookkeeping(store.Inspect).Query(`EXPLAIN QUERY PLAN `+loadQuery, yamaPref, 0, 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if p := strings.Join(plan, "; "); !strings.Contains(p, "INDEX outbox_pending (dest=?") {
		t.Errorf("the load's plan: %s; want a search of outbox_pending by destination", p)
	}
}
