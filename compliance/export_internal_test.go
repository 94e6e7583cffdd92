package compliance

import (
	"context"
	"database/sql"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/store"
)

// BuildInTx builds the report reading through tx, so a test can remove a
// record, read the report and roll the removal back.
func BuildInTx(ctx context.Context, tx *sql.Tx, eng store.Engine, node string, asOf jukinet.Date, live LiveFacts) (Report, error) {
	return build(ctx, readers{status: tx, log: tx, delivery: tx}, eng, node, asOf, live)
}

// Japanese reports whether s reads as a Japanese sentence (status_ja_test.go).
var Japanese = japanese
