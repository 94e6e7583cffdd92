package store

// Deferred is a multi-row INSERT whose rows a transaction collects one by
// one (Tx.Defer) and writes together, in as few statements as InsertRows
// allows, just before the transaction's next statement or at commit. A
// handler that stores one row per received message then costs one statement
// per batch instead of one per message (docs/performance.md, "Decisions kept"), and
// still reads its own writes: every statement of the transaction runs after
// the rows deferred before it are written.
type Deferred struct {
	prefix string // "INSERT INTO t (a, b) VALUES "
	cols   int
	suffix string // e.g. an ON CONFLICT clause
}

// NewDeferred returns the deferred insert prefix + "(…),…" + suffix of rows
// of cols values. Make one per statement, as a package variable.
func NewDeferred(prefix string, cols int, suffix string) *Deferred {
	if cols <= 0 {
		panic("store.NewDeferred: cols must be positive")
	}
	return &Deferred{prefix: prefix, cols: cols, suffix: suffix}
}

// deferredRows are the collected rows of one Deferred in a transaction.
type deferredRows struct {
	d    *Deferred
	args []any
	keys map[string]bool
}

// Defer adds a row of d's cols values, written before the transaction's next
// statement or at commit, in the order rows were deferred (per Deferred;
// Deferreds are written in the order of their first row). key names the
// row's conflict target when the statement has an ON CONFLICT clause: a
// second row with the same key first writes the rows before it, because
// PostgreSQL refuses to update one row twice in one statement. "" means no
// key. An error writing the rows fails the statement that triggered it, or
// the commit.
func (tx *Tx) Defer(d *Deferred, key string, args ...any) {
	if len(args) != d.cols {
		panic("store.Tx.Defer: wrong number of values")
	}
	var rows *deferredRows
	for _, r := range tx.deferred {
		if r.d == d {
			rows = r
			break
		}
	}
	if rows != nil && key != "" && rows.keys[key] {
		if err := tx.flush(); err != nil {
			tx.flushErr = err
		}
		rows = nil
	}
	if rows == nil {
		rows = &deferredRows{d: d}
		tx.deferred = append(tx.deferred, rows)
	}
	rows.args = append(rows.args, args...)
	if key != "" {
		if rows.keys == nil {
			rows.keys = map[string]bool{}
		}
		rows.keys[key] = true
	}
}

// flush writes the deferred rows. A failure sticks: the transaction cannot
// commit afterwards.
func (tx *Tx) flush() error {
	if tx.flushErr != nil {
		return tx.flushErr
	}
	if len(tx.deferred) == 0 {
		return nil
	}
	pending := tx.deferred
	tx.deferred = nil
	for _, r := range pending {
		if err := tx.insertRows(r.d.prefix, r.d.cols, r.args, r.d.suffix); err != nil {
			tx.flushErr = err
			return err
		}
	}
	return nil
}
