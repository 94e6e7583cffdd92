package access

import (
	"context"
	"encoding/csv"
	"fmt"
	"html/template"
	"io"
	"strconv"
	"time"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/store"
)

// HistoryEntry is one event in the 管理簿 history: who did what to which
// 照合ID, 操作者ID or terminal, when.
type HistoryEntry struct {
	Time     time.Time `json:"time"`
	Register string    `json:"register"` // "collation", "operator" or "terminal"
	ID       string    `json:"id"`
	Event    string    `json:"event"`
	Detail   string    `json:"detail"`
	Actor    string    `json:"actor"`
}

// RegisterBook is the 管理簿 of 照合ID and 操作者ID (G13.4) with their full
// history, as of GeneratedAt.
type RegisterBook struct {
	Node        string             `json:"node"`
	GeneratedAt time.Time          `json:"generated_at"`
	Operators   []Operator         `json:"operators"`
	OperatorIDs []OperatorIDRecord `json:"operator_ids"`
	Terminals   []Terminal         `json:"terminals"`
	History     []HistoryEntry     `json:"history"`
}

// Registers reads the 管理簿 (G13.4). Reading it is logged (it names staff);
// only under アクセス管理 or 監査. Errors: KindForbidden, KindUnauthorized.
func Registers(ctx context.Context, db *store.DB) (RegisterBook, error) {
	const op = "access.Registers"
	book := RegisterBook{Node: db.Node(), GeneratedAt: db.Now().UTC()}
	err := db.Update(ctx, store.Op{Operation: jukinet.OpAccessRegisterRead}, func(tx *store.Tx) error {
		rows, err := tx.Query(`SELECT o.collation_id, o.name, o.department, o.status, o.created_at, o.failures, o.locked_at, COALESCE(t.key_version, 0), COALESCE(t.enrolled_at, 0)
			FROM access_operators o LEFT JOIN access_templates t ON t.collation_id = o.collation_id ORDER BY o.collation_id`)
		if err != nil {
			return err
		}
		for rows.Next() {
			var o Operator
			var status string
			var created, locked, version, enrolled int64
			if err := rows.Scan(&o.CollationID, &o.Name, &o.Department, &status, &created, &o.Failures, &locked, &version, &enrolled); err != nil {
				rows.Close()
				return err
			}
			o.Status, o.CreatedAt, o.Locked, o.TemplateVersion, o.EnrolledAt = Status(status), fromMicro(created), locked != 0, uint32(version), fromMicro(enrolled)
			book.Operators = append(book.Operators, o)
		}
		if err := rows.Close(); err != nil {
			return err
		}
		rows, err = tx.Query(operatorIDSelect + ` ORDER BY collation_id, operator_id`)
		if err != nil {
			return err
		}
		if book.OperatorIDs, err = scanOperatorIDs(rows); err != nil {
			return err
		}
		rows, err = tx.Query(`SELECT terminal_id, name, location, active FROM access_terminals ORDER BY terminal_id`)
		if err != nil {
			return err
		}
		for rows.Next() {
			var t Terminal
			var active int64
			if err := rows.Scan(&t.ID, &t.Name, &t.Location, &active); err != nil {
				rows.Close()
				return err
			}
			t.Active = active != 0
			book.Terminals = append(book.Terminals, t)
		}
		if err := rows.Close(); err != nil {
			return err
		}
		rows, err = tx.Query(`SELECT time, register, id, event, detail, actor FROM access_history ORDER BY seq`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var h HistoryEntry
			var at int64
			if err := rows.Scan(&at, &h.Register, &h.ID, &h.Event, &h.Detail, &h.Actor); err != nil {
				return err
			}
			h.Time = fromMicro(at)
			book.History = append(book.History, h)
		}
		return rows.Err()
	})
	if err != nil {
		if jukinet.ErrorKind(err) != jukinet.KindOther {
			return RegisterBook{}, err
		}
		return RegisterBook{}, jukinet.E(op, jukinet.KindInternal, err)
	}
	return book, nil
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04:05Z")
}

// The registers WriteCSV can write.
const (
	CSVCollation = "collation" // 照合ID 管理簿
	CSVOperator  = "operator"  // 操作者ID 管理簿
	CSVHistory   = "history"   // the history of both
)

// WriteCSV writes one register as CSV with a header row: which is
// CSVCollation, CSVOperator or CSVHistory. Errors: KindInvalid for another
// name, the writer's error.
func (b RegisterBook) WriteCSV(w io.Writer, which string) error {
	cw := safeCSV{csv.NewWriter(w)}
	switch which {
	case CSVCollation:
		cw.Write([]string{"collation_id", "name", "department", "status", "created_at", "template_key_version", "enrolled_at", "locked", "failures"})
		for _, o := range b.Operators {
			v := ""
			if o.TemplateVersion != 0 {
				v = strconv.FormatUint(uint64(o.TemplateVersion), 10)
			}
			cw.Write([]string{o.CollationID, o.Name, o.Department, string(o.Status), fmtTime(o.CreatedAt), v, fmtTime(o.EnrolledAt), strconv.FormatBool(o.Locked), strconv.Itoa(o.Failures)})
		}
	case CSVOperator:
		cw.Write([]string{"operator_id", "collation_id", "authority", "authority_ja", "scope", "valid_from", "valid_until", "security_manager", "decision_ref", "assigned_at", "assigned_by", "withdrawn_at", "withdrawn_by"})
		for _, r := range b.OperatorIDs {
			cw.Write([]string{r.OperatorID, r.CollationID, string(r.Authority), r.Authority.Japanese(), r.Scope, fmtTime(r.ValidFrom), fmtTime(r.ValidUntil),
				r.SecurityManager, r.DecisionRef, fmtTime(r.AssignedAt), r.AssignedBy, fmtTime(r.WithdrawnAt), r.WithdrawnBy})
		}
	case CSVHistory:
		cw.Write([]string{"time", "register", "id", "event", "detail", "actor"})
		for _, h := range b.History {
			cw.Write([]string{fmtTime(h.Time), h.Register, h.ID, h.Event, h.Detail, h.Actor})
		}
	default:
		return jukinet.Errorf("access.WriteCSV", jukinet.KindInvalid, "register", "register must be %s, %s or %s, not %q", CSVCollation, CSVOperator, CSVHistory, which)
	}
	cw.Flush()
	return cw.Error()
}

// safeCSV writes every cell through jukinet.CSVCell: a name or a detail
// that begins with '=' is not a formula when the register is opened in a
// spreadsheet.
type safeCSV struct{ *csv.Writer }

func (w safeCSV) Write(rec []string) error {
	for i, v := range rec {
		rec[i] = jukinet.CSVCell(v)
	}
	return w.Writer.Write(rec)
}

var registerPage = template.Must(template.New("registers").Funcs(template.FuncMap{"t": fmtTime}).Parse(`<!DOCTYPE html>
<html lang="ja"><head><meta charset="utf-8">
<title>照合ID・操作者ID管理簿 {{.Node}}</title>
<style>
body { font-family: "Noto Sans JP", sans-serif; font-size: 10pt; margin: 1.5em; }
table { border-collapse: collapse; width: 100%; margin-bottom: 1.5em; }
th, td { border: 1px solid #444; padding: 2px 4px; text-align: left; vertical-align: top; }
th { background: #eee; }
h1 { font-size: 14pt; } h2 { font-size: 12pt; }
.meta { color: #444; }
@media print {
  @page { size: A4 landscape; margin: 12mm; }
  body { margin: 0; font-size: 8pt; }
  h2 { break-before: page; } h2:first-of-type { break-before: auto; }
  thead { display: table-header-group; }
  tr { break-inside: avoid; }
  th { background: none; }
}
</style></head><body>
<h1>照合ID・操作者ID管理簿（G13.4）</h1>
<p class="meta">ノード {{.Node}} ／ 作成 {{t .GeneratedAt}}</p>
<h2>照合ID管理簿</h2>
<table><thead><tr><th>照合ID</th><th>氏名</th><th>所属</th><th>状態</th><th>登録日時</th><th>照合情報(鍵版)</th><th>照合情報登録日時</th><th>ロック</th></tr></thead><tbody>
{{range .Operators}}<tr><td>{{.CollationID}}</td><td>{{.Name}}</td><td>{{.Department}}</td><td>{{.Status}}</td><td>{{t .CreatedAt}}</td><td>{{if .TemplateVersion}}v{{.TemplateVersion}}{{else}}なし{{end}}</td><td>{{t .EnrolledAt}}</td><td>{{if .Locked}}ロック中{{end}}</td></tr>
{{end}}</tbody></table>
<h2>操作者ID管理簿</h2>
<table><thead><tr><th>操作者ID</th><th>照合ID</th><th>権限</th><th>範囲</th><th>有効期間</th><th>セキュリティ責任者</th><th>決定</th><th>付与</th><th>取消</th></tr></thead><tbody>
{{range .OperatorIDs}}<tr><td>{{.OperatorID}}</td><td>{{.CollationID}}</td><td>{{.Authority.Japanese}} ({{.Authority}})</td><td>{{.Scope}}</td><td>{{t .ValidFrom}} 〜 {{t .ValidUntil}}</td><td>{{.SecurityManager}}</td><td>{{.DecisionRef}}</td><td>{{t .AssignedAt}} {{.AssignedBy}}</td><td>{{t .WithdrawnAt}} {{.WithdrawnBy}}</td></tr>
{{end}}</tbody></table>
<h2>統合端末</h2>
<table><thead><tr><th>端末ID</th><th>名称</th><th>設置場所</th><th>状態</th></tr></thead><tbody>
{{range .Terminals}}<tr><td>{{.ID}}</td><td>{{.Name}}</td><td>{{.Location}}</td><td>{{if .Active}}有効{{else}}無効{{end}}</td></tr>
{{end}}</tbody></table>
<h2>履歴</h2>
<table><thead><tr><th>日時</th><th>管理簿</th><th>ID</th><th>事象</th><th>内容</th><th>実施者</th></tr></thead><tbody>
{{range .History}}<tr><td>{{t .Time}}</td><td>{{.Register}}</td><td>{{.ID}}</td><td>{{.Event}}</td><td>{{.Detail}}</td><td>{{.Actor}}</td></tr>
{{end}}</tbody></table>
</body></html>
`))

// WriteHTML writes the registers as one printable page (A4 landscape).
func (b RegisterBook) WriteHTML(w io.Writer) error {
	if err := registerPage.Execute(w, b); err != nil {
		return fmt.Errorf("access.WriteHTML: %w", err)
	}
	return nil
}
