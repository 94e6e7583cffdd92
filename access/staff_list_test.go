package access

import (
	"context"
	"slices"
	"testing"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/store/storetest"
)

// TestStaffListsOperatorIDsInForce: Staff lists every operator of the
// fixture once, by 照合ID, with the 操作者ID and authorities seeded for
// them, and a withdrawn 操作者ID no longer shows.
func TestStaffListsOperatorIDsInForce(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			fx := newFixture(t, e)
			ctx := context.Background()
			staff, err := Staff(ctx, fx.db)
			if err != nil {
				t.Fatal(err)
			}
			if len(staff) != len(testStaff) {
				t.Fatalf("Staff lists %d operators, want %d", len(staff), len(testStaff))
			}
			byID := map[string]StaffEntry{}
			for i, s := range staff {
				if i > 0 && staff[i-1].CollationID >= s.CollationID {
					t.Errorf("Staff is not in 照合ID order at %s", s.CollationID)
				}
				byID[s.CollationID] = s
			}
			for _, want := range testStaff {
				got := byID[want.collationID]
				if len(got.Authorities) != len(want.authorities) || len(got.OperatorIDs) != len(got.Authorities) {
					t.Errorf("%s: authorities %v, 操作者ID %v; want %v", want.collationID, got.Authorities, got.OperatorIDs, want.authorities)
				}
				for _, a := range want.authorities {
					if !slices.Contains(got.Authorities, a) || !slices.Contains(got.OperatorIDs, testOperatorID(want.collationID, a)) {
						t.Errorf("%s: %s missing from %v / %v", want.collationID, a, got.Authorities, got.OperatorIDs)
					}
				}
			}
			if err := fx.svc.Withdraw(fx.admin(), "OP-CLERK-lookup", "異動"); err != nil {
				t.Fatal(err)
			}
			staff, err = Staff(ctx, fx.db)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range staff {
				if s.CollationID == "C-CLERK" && (slices.Contains(s.OperatorIDs, "OP-CLERK-lookup") || slices.Contains(s.Authorities, jukinet.AuthorityLookup)) {
					t.Errorf("a withdrawn 操作者ID still listed: %v", s.OperatorIDs)
				}
			}
		})
	}
}
