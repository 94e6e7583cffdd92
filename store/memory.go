package store

import (
	"context"
	"database/sql"

	"github.com/jukinet/jukinet"
	"modernc.org/sqlite"
)

// SQLiteMemory is SQLite's own count of the memory of a database's
// connections, in bytes: their page caches, their parses of the schema and
// their prepared statements. The pure-Go SQLite allocates it apart from
// the Go heap, so the Go runtime's figures do not show it.
type SQLiteMemory struct {
	Conns  int   `json:"conns"`
	Cache  int64 `json:"cache"`
	Schema int64 `json:"schema"`
	Stmts  int64 `json:"stmts"`
}

// Add sums o into m.
func (m *SQLiteMemory) Add(o SQLiteMemory) {
	m.Conns += o.Conns
	m.Cache += o.Cache
	m.Schema += o.Schema
	m.Stmts += o.Stmts
}

// SQLiteMemory sums SQLiteMemory over every open connection of the
// database (the pool, the reader pool, the checkpointer's own). It takes
// each connection in turn, waiting for busy ones: a measurement of an idle
// node. Zero on PostgreSQL. Errors: KindInternal.
func (db *DB) SQLiteMemory(ctx context.Context) (SQLiteMemory, error) {
	var m SQLiteMemory
	if db.engine != SQLite {
		return m, nil
	}
	pools := []*sql.DB{db.sql, db.read}
	if db.ckpt != nil && !db.ckpt.shared {
		pools = append(pools, db.ckpt.conn)
	}
	for _, p := range pools {
		if p == nil {
			continue
		}
		pm, err := poolMemory(ctx, p)
		if err != nil {
			return m, jukinet.E("store.DB.SQLiteMemory", jukinet.KindInternal, err)
		}
		m.Add(pm)
	}
	return m, nil
}

// poolMemory takes every open connection of p at once (so that each is
// counted once) and reads its counters.
func poolMemory(ctx context.Context, p *sql.DB) (SQLiteMemory, error) {
	var m SQLiteMemory
	open := p.Stats().OpenConnections
	conns := make([]*sql.Conn, 0, open)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range open {
		c, err := p.Conn(ctx)
		if err != nil {
			return m, err
		}
		conns = append(conns, c)
	}
	for _, c := range conns {
		err := c.Raw(func(dc any) error {
			st, ok := dc.(sqlite.DBStatus)
			if !ok {
				return nil
			}
			m.Conns++
			for _, f := range []struct {
				op  sqlite.DBStatusOp
				sum *int64
			}{{sqlite.DBStatusCacheUsed, &m.Cache}, {sqlite.DBStatusSchemaUsed, &m.Schema}, {sqlite.DBStatusStmtUsed, &m.Stmts}} {
				cur, _, err := st.Status(f.op, false)
				if err != nil {
					return err
				}
				*f.sum += int64(cur)
			}
			return nil
		})
		if err != nil {
			return m, err
		}
	}
	return m, nil
}
