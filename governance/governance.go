// Package governance keeps operation management (運用管理) as software: the
// role holders of the guideline, the security council and its instructions,
// misuse cases, the computer and media rooms, information assets and forms,
// outsourcing (G3–G10, G12.2, G16–G20), and the evidence of those records
// that package compliance reads for its report (evidence.go).
//
// Every act is one store.DB.Update by the actor in the context. The policy
// table admits the authority of the actor's 操作者ID; the Service then checks
// that the actor's 照合ID holds the role the article names on the day of the
// act. A refusal after authorization (wrong role, wrong order, bad dates) is
// logged as governance.refused with the reason, and nothing else changes.
package governance

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/store"
)

// Role is a post the guideline names; role holders are people identified by
// their 照合ID, with periods.
type Role string

// The roles of the guideline.
const (
	RoleGeneralManager       Role = "security_general_manager" // セキュリティ統括責任者 = deputy mayor (G3)
	RoleSystemAdministrator  Role = "system_administrator"     // システム管理者 = head of Digital Promotion (G4)
	RoleSecurityManager      Role = "security_manager"         // セキュリティ責任者 = head of Citizen Division (G5)
	RoleAccessControlManager Role = "access_control_manager"   // アクセス管理責任者 = head of Citizen Division (G11-2)
	RoleIdentityInfoManager  Role = "identity_info_manager"    // 本人確認情報管理責任者 = head of Citizen Division (G16.2)
	RoleAssetManager         Role = "asset_manager"            // 情報資産管理責任者 = head of Digital Promotion (G16.2)
	RoleCouncilSecretariat   Role = "council_secretariat"      // セキュリティ会議の庶務 (Citizen Division staff, G6.6)
)

// Roles lists every role.
func Roles() []Role {
	return []Role{RoleGeneralManager, RoleSystemAdministrator, RoleSecurityManager, RoleAccessControlManager,
		RoleIdentityInfoManager, RoleAssetManager, RoleCouncilSecretariat}
}

// Valid reports whether r is a known role.
func (r Role) Valid() bool {
	for _, x := range Roles() {
		if x == r {
			return true
		}
	}
	return false
}

// Japanese is the role's name in the guideline.
func (r Role) Japanese() string {
	switch r {
	case RoleGeneralManager:
		return "セキュリティ統括責任者"
	case RoleSystemAdministrator:
		return "システム管理者"
	case RoleSecurityManager:
		return "セキュリティ責任者"
	case RoleAccessControlManager:
		return "アクセス管理責任者"
	case RoleIdentityInfoManager:
		return "本人確認情報管理責任者"
	case RoleAssetManager:
		return "情報資産管理責任者"
	case RoleCouncilSecretariat:
		return "セキュリティ会議庶務"
	}
	return string(r)
}

// BootstrapActor is the system principal that appoints the first セキュリティ統括責任者 at setup.
var BootstrapActor = jukinet.SystemActor("setup")

// Service performs the governance acts on one node's database.
type Service struct {
	db *store.DB
}

// New returns a Service on db.
func New(db *store.DB) *Service { return &Service{db: db} }

// DB is the service's database.
func (s *Service) DB() *store.DB { return s.db }

// refusal kinds: errors of these kinds, raised by the act itself, are logged
// as governance.refused (authorization failures are logged by the store).
func isRefusal(err error) bool {
	switch jukinet.ErrorKind(err) {
	case jukinet.KindInvalid, jukinet.KindForbidden, jukinet.KindConflict, jukinet.KindNotFound, jukinet.KindExpired:
		return true
	}
	return false
}

// act runs fn in one Update of op. today is the civil date (JST) of the
// transaction. A refusal raised by fn is logged afterwards in its own
// transaction, naming the operation and the reason.
func (s *Service) act(ctx context.Context, op jukinet.Operation, detail string, fn func(tx *store.Tx, today jukinet.Date) error) error {
	ran := false
	err := s.db.Update(ctx, store.Op{Operation: op, Detail: detail}, func(tx *store.Tx) error {
		ran = true
		return fn(tx, jukinet.DateOf(time.UnixMicro(tx.NowMicro())))
	})
	if err != nil && ran && isRefusal(err) {
		msg := fmt.Sprintf("refused %s: field=%s: %s", op, refusedFields(err), jukinet.UserMessage(err))
		_ = s.db.RecordRefusal(ctx, store.Op{Operation: jukinet.OpGovRefused, Detail: jukinet.Clip(msg, 500)})
	}
	return err
}

// refusedFields names the fields a refusal concerns: every field of a
// jukinet.FieldErrors, comma-separated, or the one field named.
func refusedFields(err error) string {
	all := jukinet.AllFieldErrors(err)
	if len(all) < 2 {
		return jukinet.ErrorField(err)
	}
	names := make([]string, len(all))
	for i, e := range all {
		names[i] = e.Field
	}
	return strings.Join(names, ",")
}

func newID() string {
	id, err := uuid.NewV7()
	if err != nil {
		panic(err) // crypto/rand failing is not recoverable
	}
	return id.String()
}

// holderOf returns the 照合ID holding role on day (or "").
func holderOf(tx *store.Tx, role Role, day jukinet.Date) (string, error) {
	var id string
	err := tx.QueryRow(`SELECT collation_id FROM gov_roles WHERE role = $1 AND valid_from <= $2 AND (valid_until = '' OR valid_until >= $2) ORDER BY valid_from DESC LIMIT 1`,
		string(role), day.String()).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return id, err
}

// requireRole checks that the actor's 照合ID holds one of roles on day.
func requireRole(tx *store.Tx, op jukinet.Operation, day jukinet.Date, roles ...Role) error {
	a := tx.Actor()
	names := make([]string, len(roles))
	for i, r := range roles {
		names[i] = r.Japanese() + " (" + string(r) + ")"
	}
	if a.IsSystem() || a.CollationID == "" {
		return jukinet.Errorf(string(op), jukinet.KindForbidden, "actor", "only the %s may do this; %s holds no role", strings.Join(names, " or "), a)
	}
	for _, r := range roles {
		h, err := holderOf(tx, r, day)
		if err != nil {
			return jukinet.E(string(op), jukinet.KindInternal, err)
		}
		if h == a.CollationID {
			return nil
		}
	}
	return jukinet.Errorf(string(op), jukinet.KindForbidden, "actor", "only the %s may do this; 照合ID %s does not hold that role on %s", strings.Join(names, " or "), a.CollationID, day)
}

// holdsAnyRole checks that the actor holds some role on day (acts of "the
// entrusting party", G18, G20).
func requireAnyRole(tx *store.Tx, op jukinet.Operation, day jukinet.Date) error {
	return requireRole(tx, op, day, Roles()...)
}

// HolderOf returns the 照合ID of the holder of role on day ("" if vacant).
func HolderOf(ctx context.Context, db *store.DB, role Role, day jukinet.Date) (string, error) {
	var id string
	err := db.Bookkeeping(store.Status).QueryRowContext(ctx, `SELECT collation_id FROM gov_roles WHERE role = $1 AND valid_from <= $2 AND (valid_until = '' OR valid_until >= $2) ORDER BY valid_from DESC LIMIT 1`,
		string(role), day.String()).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", jukinet.E("governance.HolderOf", jukinet.KindInternal, err)
	}
	return id, nil
}

// validation helpers -------------------------------------------------------

func required(op jukinet.Operation, field, v string) error {
	if strings.TrimSpace(v) == "" {
		return jukinet.Errorf(string(op), jukinet.KindInvalid, field, "%s is required", field)
	}
	if len(v) > 20000 {
		return jukinet.Errorf(string(op), jukinet.KindTooLarge, field, "%s is longer than 20000 bytes", field)
	}
	return nil
}

func requiredDate(op jukinet.Operation, field string, d jukinet.Date) error {
	if d.IsZero() {
		return jukinet.Errorf(string(op), jukinet.KindInvalid, field, "%s is required (YYYY-MM-DD)", field)
	}
	return nil
}

// notBefore checks later >= earlier when both are set.
func notBefore(op jukinet.Operation, laterField string, later jukinet.Date, earlierField string, earlier jukinet.Date) error {
	if !later.IsZero() && !earlier.IsZero() && later.Before(earlier) {
		return jukinet.Errorf(string(op), jukinet.KindInvalid, laterField, "%s %s is before %s %s", laterField, later, earlierField, earlier)
	}
	return nil
}

// notBeforeStored is notBefore against a date read from the database.
func notBeforeStored(op jukinet.Operation, laterField string, later jukinet.Date, earlierField, earlier string) error {
	if earlier != "" && later.String() < earlier {
		return jukinet.Errorf(string(op), jukinet.KindConflict, laterField, "%s %s is before %s %s", laterField, later, earlierField, earlier)
	}
	return nil
}

func oneOf[T ~string](op jukinet.Operation, field string, v T, allowed ...T) error {
	for _, a := range allowed {
		if v == a {
			return nil
		}
	}
	names := make([]string, len(allowed))
	for i, a := range allowed {
		names[i] = string(a)
	}
	return jukinet.Errorf(string(op), jukinet.KindInvalid, field, "%s %q is not one of %s", field, string(v), strings.Join(names, ", "))
}

func notFound(op jukinet.Operation, field, id string) error {
	return jukinet.Errorf(string(op), jukinet.KindNotFound, field, "no record with %s %q", field, id)
}

func internal(op jukinet.Operation, err error) error {
	if err == nil {
		return nil
	}
	var je *jukinet.Error
	if errors.As(err, &je) {
		return err
	}
	return jukinet.E(string(op), jukinet.KindInternal, err)
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
