package compliance_test

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"database/sql"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/access"
	"github.com/jukinet/jukinet/biometric"
	"github.com/jukinet/jukinet/compliance"
	"github.com/jukinet/jukinet/demo"
	"github.com/jukinet/jukinet/network"
	"github.com/jukinet/jukinet/pki"
	"github.com/jukinet/jukinet/store"
	"github.com/jukinet/jukinet/store/storetest"
)

var today = jukinet.Date{Year: 2026, Month: time.November, Day: 20}

// complianceNode is a node with every record the report looks for, and the
// live facts that make its checks pass.
type complianceNode struct {
	db     *store.DB
	path   string // SQLite file ("" on PostgreSQL)
	live   compliance.LiveFacts
	openTo string // a TLS listener that answers without a client certificate
}

func serveTLS(t *testing.T, cfg *tls.Config) string {
	t.Helper()
	l, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") }), ReadHeaderTimeout: 5 * time.Second,
		ErrorLog: log.New(io.Discard, "", 0)} // the probes' refused handshakes are expected
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return l.Addr().String()
}

// openNode opens a fresh node on e with its clock on today 15:00.
func openNode(t *testing.T, e store.Engine) (*store.DB, string) {
	t.Helper()
	cfg := storetest.Config(t, e, "352063")
	now := today.Time().Add(15 * time.Hour)
	cfg.Now = func() time.Time { return now }
	db, err := store.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, cfg.Path
}

// seededNode is the demo's governance year plus the demo operators, one
// biometric login, the node's network records and its keys and listeners.
func seededNode(t *testing.T, e store.Engine) complianceNode {
	t.Helper()
	ctx := context.Background()
	db, path := openNode(t, e)
	// The operators first: their bootstrap ends when a セキュリティ責任者 is
	// appointed (access.Assign), as on a demo network.
	reader := biometric.NewSyntheticReader(7, 0)
	key, err := biometric.NewNodeKey(1, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := demo.SeedOperators(ctx, db, reader, key); err != nil {
		t.Fatalf("SeedOperators: %v", err)
	}
	if _, err := demo.SeedGovernance(ctx, db, today); err != nil {
		t.Fatalf("SeedGovernance: %v", err)
	}
	ring, err := access.NewKeyRing(key)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := access.New(db, ring, access.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ch, err := svc.Verify(ctx, demo.TerminalID, "C-CLERK", reader.Genuine("C-CLERK", 0.05))
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if _, err := svc.Choose(ctx, ch.Token, demo.TerminalID, ch.Choices[0].OperatorID); err != nil {
		t.Fatalf("Choose: %v", err)
	}
	// The network's records: a message delivered with its receipt list, a
	// checkpoint cosigned by the prefecture.
	now := db.Now().UnixMicro()
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO outbox (id, kind, dest, body, created_at, state, done_at) VALUES ($1, $2, $3, $4, $5, 'delivered', $5)`, []any{"m-1", network.KindIdentityNotify.String(), "35", []byte{1}, now}},
		{`INSERT INTO outbox_receipts (dest, first_seq, last_seq, received_at, receipts) VALUES ($1, 1, 1, $2, $3)`, []any{"35", now, []byte{1}}},
		{`INSERT INTO oplog_checkpoint (size, root, note, tree, state, created_at) VALUES ($1, $2, $2, $2, 'cosigned', $3)`, []any{1, []byte{1}, now}},
	} {
		if _, err := db.Bookkeeping(store.Inspect).Exec(q.sql, q.args...); err != nil {
			t.Fatalf("%s: %v", q.sql, err)
		}
	}
	keys := filepath.Join(t.TempDir(), "keys")
	if _, err := pki.Init(keys, pki.Options{}); err != nil {
		t.Fatal(err)
	}
	creds, err := pki.IssueNodeFiles(keys, "352063", []string{"127.0.0.1"}, pki.Options{})
	if err != nil {
		t.Fatal(err)
	}
	open := creds.ServerTLSConfig().Clone()
	open.ClientAuth, open.VerifyConnection = tls.NoClientCert, nil
	terminal, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { terminal.Close() })
	return complianceNode{db: db, path: path, openTo: serveTLS(t, open), live: compliance.LiveFacts{
		KeyDir: keys, DBPath: path, NetworkAddr: serveTLS(t, creds.ServerTLSConfig()), TerminalAddr: terminal.Addr().String(),
	}}
}

func byID(rep compliance.Report) map[string]compliance.Finding {
	m := map[string]compliance.Finding{}
	for _, f := range rep.Findings {
		m[f.ID] = f
	}
	return m
}

// On a node without governance records nothing is met: every record-based
// ID is evidence-missing, and a live check without its facts is not-checked.
func TestComplianceEmptyNodeMeetsNothing(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			db, _ := openNode(t, e)
			rep, err := compliance.Build(context.Background(), db, today, compliance.LiveFacts{})
			if err != nil {
				t.Fatal(err)
			}
			checkJapanese(t, rep)
			got := byID(rep)
			for _, id := range compliance.GuidelineIDs() {
				want := compliance.StatusEvidenceMissing
				if id == "G2.4" || id == "G12.1" {
					want = compliance.StatusNotChecked
				}
				if f := got[id]; f.Status != want || len(f.Evidence) != 0 || f.Rule == "" {
					t.Errorf("%s on an empty node: status %s, evidence %q, rule %q; want %s, no evidence, a rule", id, f.Status, f.Evidence, f.Rule, want)
				}
			}
		})
	}
}

// dropGuards removes the append-only triggers of table inside tx, as the
// insider of the threat model can: the rolled-back removal of a record.
func dropGuards(tx *sql.Tx, e store.Engine, table string) error {
	q := `SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = $1`
	if e == store.Postgres {
		q = `SELECT DISTINCT trigger_name FROM information_schema.triggers WHERE event_object_table = $1 AND trigger_schema = current_schema()`
	}
	rows, err := tx.Query(q, table)
	if err != nil {
		return err
	}
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return err
		}
		names = append(names, n)
	}
	rows.Close()
	for _, n := range names {
		drop := `DROP TRIGGER ` + n
		if e == store.Postgres {
			drop += ` ON ` + table
		}
		if _, err := tx.Exec(drop); err != nil {
			return err
		}
	}
	return nil
}

// ruleCase removes one record (SQL run in a rolled-back transaction, after
// dropping the guards of the tables named in guarded) or changes one live
// fact, and names the ID that must drop from met.
type ruleCase struct {
	id, what string
	sql      []string
	guarded  []string
	live     func(n complianceNode, l *compliance.LiveFacts)
	sqlite   bool // only where the engine has a database file
}

var ruleCases = []ruleCase{
	{id: "G2.1", what: "the receipt from the peer", guarded: []string{"outbox_receipts"}, sql: []string{`DELETE FROM outbox_receipts`}},
	{id: "G2.2", what: "the cosigned checkpoint", sql: []string{`DELETE FROM oplog_checkpoint`}},
	{id: "G2.3", what: "the delivered message", sql: []string{`DELETE FROM outbox`}},
	{id: "G2.4", what: "a network listener that takes no client certificate", live: func(n complianceNode, l *compliance.LiveFacts) { l.NetworkAddr = n.openTo }},
	{id: "G2.4", what: "the network listener's address", live: func(_ complianceNode, l *compliance.LiveFacts) { l.NetworkAddr = "" }},
	{id: "G2.5", what: "the active terminal", sql: []string{`UPDATE access_terminals SET active = 0`}},
	{id: "G2.5", what: "separate listeners", live: func(_ complianceNode, l *compliance.LiveFacts) { l.TerminalAddr = l.NetworkAddr }},
	{id: "G2.5", what: "the terminal listener's address", live: func(_ complianceNode, l *compliance.LiveFacts) { l.TerminalAddr = "" }},
	{id: "G2.6", what: "one operator's template", sql: []string{`DELETE FROM access_templates WHERE collation_id = 'C-CLERK'`}},
	{id: "G2.7", what: "the active operators", sql: []string{`UPDATE access_operators SET status = 'retired'`}},
	{id: "G2.8", what: "the 操作者ID in force", sql: []string{`UPDATE access_operator_ids SET withdrawn_at = 1`}},
	{id: "G2.9", what: "the software asset", sql: []string{`DELETE FROM gov_assets WHERE kind = 'software'`}},
	{id: "G2.10", what: "the computer-room pre-authorizations", sql: []string{`DELETE FROM gov_room_authorizations WHERE room = 'computer_room'`}},
	{id: "G2.11", what: "the council minutes", sql: []string{`UPDATE gov_meetings SET minutes = ''`}},
	{id: "G2.12", what: "the media-room pre-authorizations", sql: []string{`DELETE FROM gov_room_authorizations WHERE room = 'media_storage_room'`}},
	{id: "G3", what: "the セキュリティ統括責任者", sql: []string{`DELETE FROM gov_roles WHERE role = 'security_general_manager'`}},
	{id: "G3", what: "a meeting chaired by the セキュリティ統括責任者", sql: []string{`UPDATE gov_meetings SET chair = 'C-SOMEONE'`}},
	{id: "G4", what: "the システム管理者", sql: []string{`DELETE FROM gov_roles WHERE role = 'system_administrator'`}},
	{id: "G5", what: "the セキュリティ責任者", sql: []string{`DELETE FROM gov_roles WHERE role = 'security_manager'`}},
	{id: "G6.1", what: "a meeting within the year", sql: []string{`UPDATE gov_meetings SET held_on = '2020-01-01'`}},
	{id: "G6.2", what: "a member's attendance", sql: []string{`DELETE FROM gov_attendance WHERE kind = 'member' AND role = 'security_manager'`}},
	{id: "G6.3", what: "the audit item", sql: []string{`UPDATE gov_agenda_items SET category = 'measures' WHERE category = 'audit'`}},
	{id: "G6.4", what: "the review board's opinion", sql: []string{`UPDATE gov_agenda_items SET board_opinion = ''`}},
	{id: "G6.5", what: "the invited staff", sql: []string{`DELETE FROM gov_attendance WHERE kind = 'invited'`}},
	{id: "G6.6", what: "the minutes of the last meeting", sql: []string{`UPDATE gov_meetings SET minutes = '' WHERE held_on = (SELECT MAX(held_on) FROM gov_meetings)`}},
	{id: "G6.6", what: "the secretariat", sql: []string{`DELETE FROM gov_roles WHERE role = 'council_secretariat'`}},
	{id: "G7", what: "the council's instructions", sql: []string{`DELETE FROM gov_instructions WHERE source = 'council'`}},
	{id: "G8.1", what: "the periodic misuse analysis", guarded: []string{"oplog"}, sql: []string{`DELETE FROM oplog WHERE operation = 'oplog.report'`}},
	{id: "G8.1", what: "the case's investigation", sql: []string{`DELETE FROM gov_report_requests`, `DELETE FROM gov_misuse_log_refs`, `DELETE FROM gov_case_entries`}},
	{id: "G8.2", what: "the periodic misuse analysis", guarded: []string{"oplog"}, sql: []string{`DELETE FROM oplog WHERE operation = 'oplog.report'`}},
	{id: "G8.2", what: "a measure for an infringement", sql: []string{`UPDATE gov_misuse_cases SET judgement = 'infringement'`}},
	{id: "G9.1", what: "the pre-authorizations in force", sql: []string{`UPDATE gov_room_authorizations SET revoked_on = '2020-01-01'`}},
	{id: "G9.2", what: "the recorded passages", sql: []string{`DELETE FROM gov_room_events`}},
	{id: "G10", what: "the entry-management report", sql: []string{`DELETE FROM gov_room_reports`}},
	{id: "G11.1", what: "the active terminal", sql: []string{`UPDATE access_terminals SET active = 0`}},
	{id: "G11.2", what: "the biometric login", guarded: []string{"oplog"}, sql: []string{`DELETE FROM oplog WHERE operation = 'access.login'`}},
	{id: "G11.2", what: "one operator's template", sql: []string{`DELETE FROM access_templates WHERE collation_id = 'C-AUDIT'`}},
	{id: "G11-2", what: "the アクセス管理責任者", sql: []string{`DELETE FROM gov_roles WHERE role = 'access_control_manager'`}},
	{id: "G12.1", what: "a private key closed to others", live: func(n complianceNode, _ *compliance.LiveFacts) {
		os.Chmod(filepath.Join(n.live.KeyDir, "352063", "node.key"), 0o644)
	}},
	{id: "G12.1", what: "the key directory", live: func(_ complianceNode, l *compliance.LiveFacts) { l.KeyDir = "" }},
	{id: "G12.1", what: "a database file closed to others", sqlite: true, live: func(n complianceNode, _ *compliance.LiveFacts) { os.Chmod(n.path, 0o644) }},
	{id: "G12.1", what: "the database file", sqlite: true, live: func(_ complianceNode, l *compliance.LiveFacts) { l.DBPath = "" }},
	{id: "G12.2", what: "the OS password policy", sql: []string{`DELETE FROM access_password_policy`}},
	{id: "G12.2", what: "a policy as strict as the baseline", sql: []string{`UPDATE access_password_policy SET min_length = 8`}},
	{id: "G13.1", what: "the rules for 照合ID and 操作者ID", sql: []string{`DELETE FROM gov_rules WHERE article = 'G13.1'`}},
	{id: "G13.2", what: "the rules for 照合情報", sql: []string{`DELETE FROM gov_rules WHERE article = 'G13.2'`}},
	{id: "G13.3", what: "a decision reference", sql: []string{`UPDATE access_operator_ids SET decision_ref = '' WHERE operator_id = (SELECT MIN(operator_id) FROM access_operator_ids)`}},
	{id: "G13.4", what: "the 操作者ID register entries", guarded: []string{"access_history"}, sql: []string{`DELETE FROM access_history WHERE register = 'operator'`}},
	{id: "G14", what: "the biometric login", guarded: []string{"oplog"}, sql: []string{`DELETE FROM oplog WHERE operation = 'access.login'`}},
	{id: "G14", what: "an unlocked operator", sql: []string{`UPDATE access_operators SET locked_at = 1 WHERE collation_id = 'C-CLERK'`}},
	{id: "G15", what: "the first record of the log", guarded: []string{"oplog"}, sql: []string{`DELETE FROM oplog WHERE idx = 0`}},
	{id: "G16.1", what: "the media asset", sql: []string{`DELETE FROM gov_assets WHERE kind = 'media'`}},
	{id: "G16.1", what: "the assets' manager", sql: []string{`DELETE FROM gov_roles WHERE role = 'asset_manager'`}},
	{id: "G16.2", what: "the 本人確認情報管理責任者", sql: []string{`DELETE FROM gov_roles WHERE role = 'identity_info_manager'`}},
	{id: "G16.2", what: "the 情報資産管理責任者", sql: []string{`DELETE FROM gov_roles WHERE role = 'asset_manager'`}},
	{id: "G16-2.1", what: "the designated handlers", sql: []string{`UPDATE gov_identity_handlers SET revoked_on = '2020-01-01'`}},
	{id: "G16-2.2", what: "the form", sql: []string{`DELETE FROM gov_print_log`, `DELETE FROM gov_forms`}},
	{id: "G16-3", what: "an asset's management rules", sql: []string{`UPDATE gov_assets SET management_rules = '' WHERE kind = 'hardware'`}},
	{id: "G17", what: "the protection terms", sql: []string{`UPDATE gov_outsourcing SET protection_terms = ''`}},
	{id: "G17", what: "the active contract", sql: []string{`UPDATE gov_outsourcing SET active_from = ''`}},
	{id: "G18", what: "the council's opinion", sql: []string{`UPDATE gov_outsourcing SET council_opinion = ''`}},
	{id: "G19", what: "the accident-report clause", sql: []string{`DELETE FROM gov_contract_clauses WHERE clause_type = 'accident_report'`}},
	{id: "G20", what: "the inspection", sql: []string{`DELETE FROM gov_inspections`}},
}

// Table-driven: on the seeded node every ID is met; for each ID, removing
// the record its rule names (or breaking its live fact) drops it from met.
func TestComplianceEachRuleNeedsItsRecord(t *testing.T) {
	covered := map[string]bool{}
	for _, c := range ruleCases {
		covered[c.id] = true
	}
	for _, id := range compliance.GuidelineIDs() {
		if !covered[id] {
			t.Errorf("no case removes the evidence of %s", id)
		}
	}
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			n := seededNode(t, e)
			ctx := context.Background()
			rep, err := compliance.Build(ctx, n.db, today, n.live)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range rep.Findings {
				if f.Status != compliance.StatusMet {
					t.Errorf("seeded node, %s: %s (due %q), want met", f.ID, f.Status, f.Due)
				}
			}
			checkJapanese(t, rep)
			for _, c := range ruleCases {
				if c.sqlite && e != store.SQLite {
					continue
				}
				t.Run(c.id+" without "+c.what, func(t *testing.T) {
					live := n.live
					if c.live != nil {
						c.live(n, &live)
						t.Cleanup(func() {
							os.Chmod(filepath.Join(n.live.KeyDir, "352063", "node.key"), 0o600)
							if n.path != "" {
								os.Chmod(n.path, 0o600)
							}
						})
					}
					tx, err := n.db.Bookkeeping(store.Inspect).BeginTx(ctx, nil)
					if err != nil {
						t.Fatal(err)
					}
					defer tx.Rollback()
					for _, g := range c.guarded {
						if err := dropGuards(tx, e, g); err != nil {
							t.Fatal(err)
						}
					}
					for _, q := range c.sql {
						if _, err := tx.Exec(q); err != nil {
							t.Fatalf("%s: %v", q, err)
						}
					}
					got, err := compliance.BuildInTx(ctx, tx, e, n.db.Node(), today, live)
					if err != nil {
						t.Fatal(err)
					}
					if f := byID(got)[c.id]; f.Status == compliance.StatusMet || len(f.Due) == 0 {
						t.Errorf("%s without %s: status %s, due %q; want not met, with the shortfall named", c.id, c.what, f.Status, f.Due)
					}
					checkJapanese(t, got)
				})
			}
		})
	}
}
