package register

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/store"
)

// ImportRow is one resident of a bulk load (a CSV row). HouseholdKey groups
// rows into households; the row whose relationship is 世帯主 heads it.
type ImportRow struct {
	Line             int // source line, for error reports
	ResidentCode     jukinet.ResidentCode
	IndividualNumber jukinet.IndividualNumber
	Name             jukinet.Name
	BirthDate        jukinet.Date
	Sex              jukinet.Sex
	AddressText      string
	AddressSince     jukinet.Date
	ResidentSince    jukinet.Date
	HouseholdKey     string
	Relationship     string
	Domicile         string
	DomicileHead     string
	CardHolder       bool
}

// RowError reports a refused row.
type RowError struct {
	Line  int    `json:"line"`
	Field string `json:"field"`
	Err   string `json:"error"`
}

// ImportOptions tune Import.
type ImportOptions struct {
	// SkipInvalid imports the valid rows and reports the others; without it
	// one bad row refuses the whole import and nothing is written.
	SkipInvalid bool
	BatchSize   int                   // rows per batch (per transaction, but for a first load); default 10,000
	Progress    func(done, total int) // called after each batch
}

// ImportResult summarises an import.
type ImportResult struct {
	Imported   int        `json:"imported"`
	Households int        `json:"households"`
	Skipped    []RowError `json:"skipped,omitempty"`
}

// ImportError is returned when rows are invalid and SkipInvalid is off.
type ImportError struct{ Rows []RowError }

func (e *ImportError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d invalid row(s), nothing imported", len(e.Rows))
	for i, r := range e.Rows {
		if i == 20 {
			fmt.Fprintf(&b, "\n  … and %d more", len(e.Rows)-20)
			break
		}
		fmt.Fprintf(&b, "\n  line %d: %s: %s", r.Line, r.Field, r.Err)
	}
	return b.String()
}

// Import loads residents into the register, as the 改製 (re-creation of the
// register in a new system) of each person: every imported person gets
// version 1 and an identity notice. Rows are validated first, all of them,
// before anything is written. Into an empty register the load is one
// transaction that builds the indexes after the rows (firstLoad); into one
// that holds residents, one transaction per batch.
func (g *Register) Import(ctx context.Context, rows []ImportRow, opt ImportOptions) (ImportResult, error) {
	const op = "register.Import"
	var res ImportResult
	valid, bad := g.validateImport(rows)
	if len(bad) > 0 && !opt.SkipInvalid {
		if err := g.RecordImportRefusal(ctx, bad, false); err != nil {
			return res, jukinet.E(op, err)
		}
		return res, jukinet.E(op, jukinet.KindInvalid, jukinet.Field("rows"), &ImportError{Rows: bad})
	}
	res.Skipped = bad
	if len(bad) > 0 {
		if err := g.RecordImportRefusal(ctx, bad, true); err != nil {
			return res, jukinet.E(op, err)
		}
	}
	if opt.BatchSize <= 0 {
		opt.BatchSize = defaultImportBatch
	}
	if len(valid) > 0 {
		err := g.firstLoad(ctx, valid, opt, &res)
		if errors.Is(err, errNotEmpty) {
			err = g.importBatches(ctx, valid, opt, &res)
		}
		if err != nil {
			return res, jukinet.E(op, err)
		}
	}
	// A bulk load leaves the planner statistics behind (PostgreSQL would
	// plan reads of the new rows as whole-table scans): refresh them, of
	// the tables written only (all of them took longer than the load of
	// a small municipality).
	if err := g.db.Analyze(ctx, importTables...); err != nil {
		return res, jukinet.E(op, err)
	}
	return res, nil
}

// prepareBatches cuts rows into batches and prepares them (rows sorted,
// IDs drawn, values and notices built) on a goroutine of their own, while
// the caller writes the one before: on two cores the Go work and the
// database's overlap. stop ends the goroutine.
func (g *Register) prepareBatches(rows []ImportRow, size int) (batches <-chan *importBatch, stop func()) {
	done := make(chan struct{})
	prepared := make(chan *importBatch, 1)
	go func() {
		defer close(prepared)
		for _, b := range cutBatches(rows, size) {
			select {
			case prepared <- g.prepareImportBatch(b):
			case <-done:
				return
			}
		}
	}()
	return prepared, func() { close(done) }
}

// importBatches writes the batches into a register that holds residents
// already, one transaction each: a batch holding a code registered here is
// refused with the batches after it, and the ones before stay written.
func (g *Register) importBatches(ctx context.Context, valid []ImportRow, opt ImportOptions, res *ImportResult) error {
	prepared, stop := g.prepareBatches(valid, opt.BatchSize)
	defer stop()
	for b := range prepared {
		if b.err != nil {
			return b.err
		}
		err := g.db.Update(ctx, store.Op{Operation: jukinet.OpResidentImport, Detail: fmt.Sprintf("rows %d-%d", b.firstLine, b.lastLine)},
			func(tx *store.Tx) error { return g.writeImportBatch(tx, b, true) })
		if err != nil {
			return err
		}
		res.Imported += len(b.rows)
		res.Households += b.households
		if opt.Progress != nil {
			opt.Progress(res.Imported, len(valid))
		}
	}
	return nil
}

// errNotEmpty stops a first load: the register holds residents.
var errNotEmpty = errors.New("the register is not empty")

// firstLoad writes all the rows into an empty register (the municipality's
// migration from its former system) in ONE transaction that drops the
// tables' secondary indexes, writes every batch, and builds the indexes
// again from the rows (one sort each instead of an insert per row and
// index), before its log record and commit: a refused row or a crash
// leaves nothing written. It holds the writer (on PostgreSQL the tables'
// locks too) for its whole duration, which an empty register with nobody
// to serve can afford. errNotEmpty, with nothing written, when the
// register holds anyone (current or removed).
func (g *Register) firstLoad(ctx context.Context, valid []ImportRow, opt ImportOptions, res *ImportResult) error {
	var got ImportResult
	err := g.db.Update(ctx, store.Op{Operation: jukinet.OpResidentImport}, func(tx *store.Tx) error {
		if empty, err := registerEmpty(tx); err != nil || !empty {
			return cmp.Or(err, errNotEmpty)
		}
		if err := tx.DropIndexes(registerTables...); err != nil {
			return jukinet.E("import", jukinet.KindInternal, err)
		}
		// Again under the tables' locks (PostgreSQL): a concurrent first
		// load may have committed in between.
		if empty, err := registerEmpty(tx); err != nil || !empty {
			return cmp.Or(err, errNotEmpty)
		}
		prepared, stop := g.prepareBatches(valid, opt.BatchSize)
		defer stop()
		for b := range prepared {
			if b.err != nil {
				return b.err
			}
			if err := g.writeImportBatch(tx, b, false); err != nil {
				return err
			}
			// The batch's notices now: the transaction need not hold them all.
			if err := tx.WriteOutbox(); err != nil {
				return jukinet.E("import", jukinet.KindInternal, err)
			}
			got.Imported += len(b.rows)
			got.Households += b.households
			if opt.Progress != nil {
				opt.Progress(got.Imported, len(valid))
			}
		}
		if err := tx.RebuildIndexes(); err != nil {
			if store.IsUniqueViolation(err) {
				return jukinet.E("import", jukinet.KindConflict, jukinet.Field("individual_number"), "an individual number or resident code is already designated to a current resident", err)
			}
			return jukinet.E("import", jukinet.KindInternal, err)
		}
		tx.SetDetail(fmt.Sprintf("first load: rows %d-%d", valid[0].Line, valid[len(valid)-1].Line))
		return nil
	})
	if err == nil {
		res.Imported, res.Households = got.Imported, got.Households
	}
	return err
}

// registerEmpty reports whether no resident was ever registered here
// (person_versions keeps the removed ones' counters too).
func registerEmpty(tx *store.Tx) (bool, error) {
	var n int
	err := tx.QueryRow(`SELECT (SELECT COUNT(*) FROM (SELECT 1 FROM person_versions LIMIT 1) p) + (SELECT COUNT(*) FROM (SELECT 1 FROM residents LIMIT 1) r)`).Scan(&n)
	return n == 0, err
}

// defaultImportBatch is the rows of one import transaction: fewer, larger
// commits write each touched index page to SQLite's write-ahead log fewer
// times (2,000 took 0.39 s of commits for 50,000 residents, 10,000 took
// 0.20 s) and send PostgreSQL fewer COPY streams; larger ones spilled the
// page cache.
const defaultImportBatch = 10000

// RecordImportRefusal records in the operation log that rows of an import
// were refused (all of it) or skipped (skipped true): refusals are evidence
// too (docs/design.md §1.3). The record names lines and fields only, never
// a value of a row. The caller reports the rows themselves (ImportError).
func (g *Register) RecordImportRefusal(ctx context.Context, bad []RowError, skipped bool) error {
	var b strings.Builder
	if skipped {
		fmt.Fprintf(&b, "skipped %d invalid row(s):", len(bad))
	} else {
		fmt.Fprintf(&b, "refused: %d invalid row(s), nothing imported:", len(bad))
	}
	for i, r := range bad {
		if i == 10 {
			b.WriteString(" …")
			break
		}
		fmt.Fprintf(&b, " line %d %s;", r.Line, r.Field)
	}
	return g.db.RecordRefusal(ctx, store.Op{Operation: jukinet.OpResidentImport, Detail: strings.TrimSuffix(b.String(), ";")})
}

// validateImport checks each row alone and the rows together (unique codes,
// one head per household), returning the valid rows grouped by household.
func (g *Register) validateImport(rows []ImportRow) ([]ImportRow, []RowError) {
	var bad []RowError
	fail := func(r ImportRow, err error) {
		bad = append(bad, RowError{Line: r.Line, Field: jukinet.ErrorField(err), Err: messageOf(err)})
	}
	// Sized for every row: growing them rehashed each several times.
	seen := make(map[jukinet.ResidentCode]int, len(rows))
	seenNumber := make(map[jukinet.IndividualNumber]int, len(rows))
	heads := make(map[string]int, len(rows)/2)
	addr := make(map[string]string, len(rows)/2)
	ok := make([]ImportRow, 0, len(rows))
	rowErrs := g.validateImportRows(rows)
	for i, r := range rows {
		if err := rowErrs[i]; err != nil {
			fail(r, err)
			continue
		}
		if line, dup := seen[r.ResidentCode]; dup {
			fail(r, jukinet.Errorf("import", jukinet.KindInvalid, "resident_code", "duplicate of line %d", line))
			continue
		}
		if line, dup := seenNumber[r.IndividualNumber]; dup && r.IndividualNumber != "" {
			fail(r, jukinet.Errorf("import", jukinet.KindInvalid, "individual_number", "duplicate of line %d", line))
			continue
		}
		if a, known := addr[r.HouseholdKey]; known && a != r.AddressText {
			fail(r, jukinet.Errorf("import", jukinet.KindInvalid, "address_text", "differs from the address of household %s", r.HouseholdKey))
			continue
		}
		seen[r.ResidentCode] = r.Line
		seenNumber[r.IndividualNumber] = r.Line
		addr[r.HouseholdKey] = r.AddressText
		if r.Relationship == RelationshipHead {
			heads[r.HouseholdKey]++
		}
		ok = append(ok, r)
	}
	out := ok[:0] // in place: ok is read ahead of out
	for _, r := range ok {
		if heads[r.HouseholdKey] != 1 {
			fail(r, jukinet.Errorf("import", jukinet.KindInvalid, "relationship", "household %s must have exactly one 世帯主 (has %d)", r.HouseholdKey, heads[r.HouseholdKey]))
			continue
		}
		out = append(out, r)
	}
	return groupHouseholds(out), bad
}

// groupHouseholds orders rows by household, keeping the order of first
// appearance; rows whose households are contiguous already (the usual
// export of a former system) are returned as they are, without copying.
func groupHouseholds(rows []ImportRow) []ImportRow {
	order := map[string]int{}
	grouped := true
	for i, r := range rows {
		if _, seen := order[r.HouseholdKey]; !seen {
			order[r.HouseholdKey] = len(order)
		} else if rows[i-1].HouseholdKey != r.HouseholdKey {
			grouped = false
		}
	}
	if grouped {
		return rows
	}
	groups := make([][]ImportRow, len(order))
	for _, r := range rows {
		groups[order[r.HouseholdKey]] = append(groups[order[r.HouseholdKey]], r)
	}
	out := make([]ImportRow, 0, len(rows))
	for _, grp := range groups {
		out = append(out, grp...)
	}
	return out
}

func messageOf(err error) string {
	if e, ok := err.(*jukinet.Error); ok {
		for e.Message == "" && e.Err != nil {
			inner, ok := e.Err.(*jukinet.Error)
			if !ok {
				return e.Err.Error()
			}
			e = inner
		}
		return e.Message
	}
	return err.Error()
}

// validateImportRows checks each row alone (validateImportRow), the
// rows spread over one goroutine per core: the checks of one row need no
// other, and the import writes nothing before all of them are done.
func (g *Register) validateImportRows(rows []ImportRow) []error {
	errs := make([]error, len(rows))
	workers := min(runtime.GOMAXPROCS(0), len(rows)/validateChunk+1)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				end := int(next.Add(validateChunk))
				start := end - validateChunk
				if start >= len(rows) {
					return
				}
				for i := start; i < min(end, len(rows)); i++ {
					errs[i] = g.validateImportRow(rows[i])
				}
			}
		})
	}
	wg.Wait()
	return errs
}

// validateChunk is the rows a validating goroutine takes at a time.
const validateChunk = 1024

func (g *Register) validateImportRow(r ImportRow) error {
	const op = "import"
	if _, err := jukinet.ParseResidentCode(string(r.ResidentCode)); err != nil {
		return err
	}
	if r.IndividualNumber != "" {
		if _, err := jukinet.ParseIndividualNumber(string(r.IndividualNumber)); err != nil {
			return err
		}
	}
	if err := g.validatePerson(op, PersonInput{Name: r.Name, BirthDate: r.BirthDate, Sex: r.Sex, Domicile: r.Domicile, DomicileHead: r.DomicileHead}); err != nil {
		return err
	}
	if err := (jukinet.Address{LGCode: g.cfg.Municipality, Text: r.AddressText}).Validate("address"); err != nil {
		return err
	}
	for _, d := range []struct {
		field string
		v     jukinet.Date
	}{{"address_since", r.AddressSince}, {"resident_since", r.ResidentSince}} {
		if err := g.checkDate(op, d.field, d.v); err != nil {
			return err
		}
		if d.v.Before(r.BirthDate) {
			return jukinet.Errorf(op, jukinet.KindInvalid, d.field, "before the birth date")
		}
	}
	if strings.TrimSpace(r.HouseholdKey) == "" {
		return jukinet.Errorf(op, jukinet.KindInvalid, "household_id", "required")
	}
	if strings.TrimSpace(r.Relationship) == "" {
		return jukinet.Errorf(op, jukinet.KindInvalid, "relationship", "required")
	}
	return nil
}

// cutBatches cuts rows into batches of about size rows, only between
// households: a household is written whole, in one transaction.
func cutBatches(rows []ImportRow, size int) [][]ImportRow {
	var out [][]ImportRow
	for start := 0; start < len(rows); {
		end := min(start+size, len(rows))
		for end < len(rows) && rows[end].HouseholdKey == rows[end-1].HouseholdKey {
			end++
		}
		out = append(out, rows[start:end])
		start = end
	}
	return out
}

// importBatch is one batch's rows ready to write: the values of each
// table's rows and the identity notices, built outside the transaction.
// The transaction's time goes into the columns at the *Time positions when
// it is written (writeImportBatch).
type importBatch struct {
	rows                      []ImportRow // in resident-code order
	firstLine, lastLine       int
	households                int
	hhArgs, resArgs, verArgs  []any
	histArgs                  []any
	notices                   []store.Message
	hhTime, resTime, histTime int // column of the time in each row
	hhCols, resCols, histCols int
	err                       error
}

var (
	householdColumns = []string{"id", "head_code", "address_lg", "address_text", "created_at"}
	historyColumns   = []string{"resident_code", "version", "reason", "change_date", "info", "recorded_at"}
)

// prepareImportBatch builds a batch's rows and notices (docs/design.md §5:
// the hot path of an import runs no statement per row; this part runs
// none at all).
func (g *Register) prepareImportBatch(batch []ImportRow) *importBatch {
	b := &importBatch{firstLine: batch[0].Line, lastLine: batch[len(batch)-1].Line,
		hhCols: len(householdColumns), resCols: len(importColumns), histCols: len(historyColumns),
		hhTime: 4, resTime: len(importColumns) - 1, histTime: 5}
	// In resident-code order: the code's indexes (two on residents, the
	// keys of person_versions, identity_versions and identity_history) then
	// take the batch's rows leaf page after leaf page instead of at random,
	// and the record and household IDs (UUIDv7) rise along them.
	// The positions are sorted, not the rows: a swap of two rows moved
	// their every field.
	order := make([]int32, len(batch))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(a, b int32) int {
		return strings.Compare(string(batch[a].ResidentCode), string(batch[b].ResidentCode))
	})
	rows := make([]ImportRow, len(batch))
	for i, at := range order {
		rows[i] = batch[at]
	}
	b.rows = rows
	hhID := map[string]string{}
	hhAt := map[string]int{}        // index of the household's first column in hhArgs
	addrKeys := map[string]string{} // address → its search key, once per household
	today := jukinet.Today(g.db.Now())
	b.resArgs = make([]any, 0, len(rows)*b.resCols)
	b.histArgs = make([]any, 0, len(rows)*b.histCols)
	b.verArgs = make([]any, 0, len(rows)*2)
	b.notices = make([]store.Message, 0, len(rows))
	for _, r := range rows {
		id, ok := hhID[r.HouseholdKey]
		if !ok {
			id = newID()
			hhID[r.HouseholdKey] = id
			hhAt[r.HouseholdKey] = len(b.hhArgs)
			b.hhArgs = append(b.hhArgs, id, "", string(g.cfg.Municipality), r.AddressText, int64(0))
		}
		res := &Resident{ResidentCode: r.ResidentCode, IndividualNumber: r.IndividualNumber, Name: r.Name, BirthDate: r.BirthDate,
			Sex: r.Sex, Address: jukinet.Address{LGCode: g.cfg.Municipality, Text: r.AddressText}, AddressSince: r.AddressSince,
			ResidentSince: r.ResidentSince, HouseholdID: id, Relationship: r.Relationship, Domicile: r.Domicile,
			DomicileHead: r.DomicileHead, CardHolder: r.CardHolder, Status: StatusCurrent, Version: 1, RecordID: newID()}
		if r.Relationship == RelationshipHead {
			b.hhArgs[hhAt[r.HouseholdKey]+1] = string(r.ResidentCode) // head_code
		}
		addrKey, ok := addrKeys[r.AddressText]
		if !ok {
			addrKey = jukinet.SearchKey(r.AddressText)
			addrKeys[r.AddressText] = addrKey
		}
		b.resArgs = append(b.resArgs, residentArgsKeyed(res, 0, addrKey)...)
		b.verArgs = append(b.verArgs, string(r.ResidentCode), 1)
		info := res.Identity(jukinet.ChangeInfo{Reason: jukinet.ReasonRemakeAdd, Date: today})
		info.Municipality = g.cfg.Municipality
		body, err := json.Marshal(info)
		if err != nil {
			b.err = jukinet.E("import", jukinet.KindInternal, err)
			return b
		}
		b.histArgs = append(b.histArgs, string(r.ResidentCode), 1, int(info.Change.Reason), info.Change.Date.String(), string(body), int64(0))
		info.Version = 1
		m := g.notice(info, body)
		m.ID = newID() // drawn here, off the transaction's path
		b.notices = append(b.notices, m)
	}
	b.households = len(hhID)
	return b
}

// writeImportBatch writes a prepared batch in tx: it refuses codes already
// registered here, stamps the rows with the transaction's time, and writes
// each table's rows in one COPY or a few multi-row statements.
func (g *Register) writeImportBatch(tx *store.Tx, b *importBatch, checkKnown bool) error {
	if checkKnown {
		if err := refuseKnown(tx, b); err != nil {
			return err
		}
	}
	now := any(tx.NowMicro()) // boxed once, shared by every row
	for _, t := range []struct {
		args      []any
		cols, col int
	}{{b.hhArgs, b.hhCols, b.hhTime}, {b.resArgs, b.resCols, b.resTime}, {b.histArgs, b.histCols, b.histTime}} {
		for i := t.col; i < len(t.args); i += t.cols {
			t.args[i] = now
		}
	}
	for _, m := range b.notices {
		tx.Send(m)
	}
	if err := tx.CopyRows("households", householdColumns, b.hhArgs); err != nil {
		return err
	}
	if err := tx.CopyRows("residents", importColumns, b.resArgs); err != nil {
		if store.IsUniqueViolation(err) {
			return jukinet.E("import", jukinet.KindConflict, jukinet.Field("individual_number"), "an individual number or resident code is already designated to a current resident", err)
		}
		return err
	}
	if err := tx.CopyRows("person_versions", versionColumns, b.verArgs); err != nil {
		return err
	}
	if err := tx.CopyRows("identity_versions", versionColumns, b.verArgs); err != nil {
		return err
	}
	return tx.CopyRows("identity_history", historyColumns, b.histArgs)
}

// refuseKnown refuses a batch holding codes already known here (current
// or removed).
func refuseKnown(tx *store.Tx, b *importBatch) error {
	codes := make([]any, len(b.rows))
	for i, r := range b.rows {
		codes[i] = string(r.ResidentCode)
	}
	for start := 0; start < len(codes); start += 500 {
		end := min(start+500, len(codes))
		var n int
		if err := tx.QueryRow(`SELECT COUNT(*) FROM person_versions WHERE resident_code IN (`+placeholders(1, end-start)+`)`, codes[start:end]...).Scan(&n); err != nil {
			return jukinet.E("import", jukinet.KindInternal, err)
		}
		if n > 0 {
			return jukinet.Errorf("import", jukinet.KindConflict, "resident_code", "%d resident code(s) in rows %d-%d are already registered here", n, b.firstLine, b.lastLine)
		}
	}
	return nil
}

// importTables are the tables an import writes, whose statistics it
// refreshes (the operation log's few records change none that matter),
// largest first: Analyze's sessions take them in this order, and
// residents' 37 columns took as long as the other five tables together.
var importTables = []string{"residents", "outbox", "identity_history", "households", "identity_versions", "person_versions"}

// registerTables are the register's tables an import writes (a first load
// drops and rebuilds their indexes; the store does the outbox's).
var registerTables = []string{"households", "residents", "person_versions", "identity_versions", "identity_history"}

var versionColumns = []string{"resident_code", "version"}

// importColumns are the residents columns an import writes (residentArgs'
// order); its rows share many values (address code, status, version, time).
var importColumns = strings.FieldsFunc(residentColumns+", kanji_key, kana_key, address_key, updated_at", func(r rune) bool {
	return r == ',' || r == ' ' || r == '\n'
})

// placeholders returns "$first, $first+1, …" (n of them).
func placeholders(first, n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "$%d", first+i)
	}
	return b.String()
}
