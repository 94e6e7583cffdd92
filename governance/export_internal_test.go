package governance

import (
	"context"
	"database/sql"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/store"
)

// BuildReportInTx builds the report reading through tx, so a test can remove
// a record, read the report and roll the removal back.
func BuildReportInTx(ctx context.Context, tx *sql.Tx, eng store.Engine, node string, asOf jukinet.Date, live LiveFacts) (Report, error) {
	return buildReport(ctx, tx, eng, node, asOf, live)
}
