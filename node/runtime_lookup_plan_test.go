package node

import (
	"strings"
	"testing"

	"github.com/jukinet/jukinet/store"
	"github.com/jukinet/jukinet/store/storetest"
)

// The JSON-array lookup searches flow_identity by an index on resident_code
// (its primary key since migration 0170) for each code of the array (which SQLite lists first, as for an IN list): no
// scan of the table.
func TestLookupPlanUsesIndex(t *testing.T) {
	db := storetest.Open(t, store.SQLite, "national")
	plan := LookupPlan(t, db)
	got := strings.Join(plan, "; ")
	if len(plan) != 3 || !strings.HasPrefix(plan[0], "SEARCH flow_identity USING INDEX ") || !strings.HasSuffix(plan[0], " (resident_code=?)") ||
		!strings.HasPrefix(plan[1], "LIST SUBQUERY") || !strings.HasPrefix(plan[2], "SCAN json_each VIRTUAL TABLE") {
		t.Errorf("plan of the lookup: %s; want flow_identity searched by an index on resident_code for each element of the array", got)
	}
}
