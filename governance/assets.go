package governance

import (
	"context"
	"database/sql"
	"errors"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/store"
)

// AssetKind is the kind of an information asset (G16.1).
type AssetKind string

// Asset kinds: all information, software, hardware, network and disks.
const (
	AssetInformation AssetKind = "information"
	AssetSoftware    AssetKind = "software"
	AssetHardware    AssetKind = "hardware"
	AssetNetwork     AssetKind = "network"
	AssetMedia       AssetKind = "media"
)

// Asset is an entry of the information-asset register (情報資産, G16).
type Asset struct {
	Kind AssetKind `json:"kind"`
	Name string    `json:"name"`
	// IdentityInfo marks identity information and the server forms that hold
	// it, managed by the 本人確認情報管理責任者; every other asset by the
	// 情報資産管理責任者 (G16.2).
	IdentityInfo    bool         `json:"identity_info"`
	Location        string       `json:"location,omitempty"`
	ManagementRules string       `json:"management_rules"` // how it is managed (G16-2, G16-3)
	RegisteredOn    jukinet.Date `json:"registered_on"`
}

// ManagerRole is the role responsible for an asset (G16.2).
func (a Asset) ManagerRole() Role {
	if a.IdentityInfo {
		return RoleIdentityInfoManager
	}
	return RoleAssetManager
}

// RegisterAsset adds an asset; only its responsible manager registers it,
// with the management rules.
func (s *Service) RegisterAsset(ctx context.Context, in Asset) (string, error) {
	const op = jukinet.OpGovAssetRegister
	id := newID()
	err := s.act(ctx, op, "asset="+id, func(tx *store.Tx, today jukinet.Date) error {
		var fe jukinet.FieldErrors // every field in error, at once
		fe.Add(oneOf(op, "kind", in.Kind, AssetInformation, AssetSoftware, AssetHardware, AssetNetwork, AssetMedia))
		fe.Add(required(op, "name", in.Name))
		fe.Add(required(op, "management_rules", in.ManagementRules))
		fe.Add(requiredDate(op, "registered_on", in.RegisteredOn))
		if err := fe.Err(); err != nil {
			return err
		}
		if err := requireRole(tx, op, today, in.ManagerRole()); err != nil {
			return err
		}
		_, err := tx.Exec(`INSERT INTO gov_assets (id, kind, name, identity_info, location, manager_role, manager, management_rules, registered_on) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)`,
			id, string(in.Kind), in.Name, b2i(in.IdentityInfo), in.Location, string(in.ManagerRole()), tx.Actor().CollationID, in.ManagementRules, in.RegisteredOn.String())
		return internal(op, err)
	})
	if err != nil {
		return "", err
	}
	return id, nil
}

// HandlerDesignation names a person who may handle identity information
// (本人確認情報を取り扱うことができる者, G16-2.1).
type HandlerDesignation struct {
	CollationID string       `json:"collation_id"`
	Name        string       `json:"name"`
	Scope       string       `json:"scope"` // e.g. 住民異動届の処理
	From        jukinet.Date `json:"from"`
	Until       jukinet.Date `json:"until,omitempty"`
}

// DesignateHandler records a designation; only the 本人確認情報管理責任者
// (under an identity_manager 操作者ID).
func (s *Service) DesignateHandler(ctx context.Context, in HandlerDesignation) (string, error) {
	const op = jukinet.OpGovHandlerDesignate
	id := newID()
	err := s.act(ctx, op, "designation="+id, func(tx *store.Tx, today jukinet.Date) error {
		var fe jukinet.FieldErrors // every field in error, at once
		fe.Add(required(op, "collation_id", in.CollationID))
		fe.Add(required(op, "name", in.Name))
		fe.Add(required(op, "scope", in.Scope))
		fe.Add(requiredDate(op, "from", in.From))
		fe.Add(notBefore(op, "until", in.Until, "from", in.From))
		if err := fe.Err(); err != nil {
			return err
		}
		if err := requireRole(tx, op, today, RoleIdentityInfoManager); err != nil {
			return err
		}
		if tx.Actor().CollationID == in.CollationID {
			// Nobody approves an act that gives themself authority (G13).
			return jukinet.Errorf(string(op), jukinet.KindForbidden, "collation_id", "the 本人確認情報管理責任者 may not designate themself (G16-2.1)")
		}
		_, err := tx.Exec(`INSERT INTO gov_identity_handlers (id, collation_id, name, scope, valid_from, valid_until, designated_by) VALUES ($1,$2,$3,$4,$5,$6,$7)`,
			id, in.CollationID, in.Name, in.Scope, in.From.String(), in.Until.String(), tx.Actor().CollationID)
		return internal(op, err)
	})
	if err != nil {
		return "", err
	}
	return id, nil
}

// RevokeHandler ends a designation from a date; only the 本人確認情報管理責任者.
func (s *Service) RevokeHandler(ctx context.Context, in Revocation) error {
	const op = jukinet.OpGovHandlerRevoke
	return s.act(ctx, op, "designation="+in.ID, func(tx *store.Tx, today jukinet.Date) error {
		if err := requiredDate(op, "revoked_on", in.RevokedOn); err != nil {
			return err
		}
		if err := requireRole(tx, op, today, RoleIdentityInfoManager); err != nil {
			return err
		}
		var from, revoked string
		err := tx.QueryRow(`SELECT valid_from, revoked_on FROM gov_identity_handlers WHERE id = $1`, in.ID).Scan(&from, &revoked)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound(op, "id", in.ID)
		}
		if err != nil {
			return internal(op, err)
		}
		if revoked != "" {
			return jukinet.Errorf(string(op), jukinet.KindConflict, "id", "designation %s was already revoked on %s", in.ID, revoked)
		}
		if err := notBeforeStored(op, "revoked_on", in.RevokedOn, "from", from); err != nil {
			return err
		}
		_, err = tx.Exec(`UPDATE gov_identity_handlers SET revoked_on = $1 WHERE id = $2`, in.RevokedOn.String(), in.ID)
		return internal(op, err)
	})
}

const handlerQuery = `SELECT COUNT(*) FROM gov_identity_handlers WHERE collation_id = $1 AND valid_from <= $2 AND (valid_until = '' OR valid_until >= $2) AND (revoked_on = '' OR revoked_on > $2)`

// MayHandleIdentityInfo reports whether the 本人確認情報管理責任者 has
// designated collationID to handle identity information on the day on
// (G16-2.1). Access control calls it before any act on identity
// information; a database error answers false (deny by default).
func MayHandleIdentityInfo(ctx context.Context, db *store.DB, collationID string, on jukinet.Date) bool {
	if collationID == "" || on.IsZero() {
		return false
	}
	return designated(db.Bookkeeping(store.Status).QueryRowContext(ctx, handlerQuery, collationID, on.String()))
}

// designated reads handlerQuery's answer; an error answers false.
func designated(row *sql.Row) bool {
	var n int
	if err := row.Scan(&n); err != nil {
		return false
	}
	return n > 0
}

// Form is a server form (帳票) holding identity information (G16-2.2).
type Form struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	Rules       string `json:"rules"`     // how printouts are kept and handed over
	Retention   string `json:"retention"` // how long, and how they are disposed of
}

// RegisterForm adds a form to the register; only the 本人確認情報管理責任者.
func (s *Service) RegisterForm(ctx context.Context, in Form) (string, error) {
	const op = jukinet.OpGovFormRegister
	id := newID()
	err := s.act(ctx, op, "form="+id, func(tx *store.Tx, today jukinet.Date) error {
		var fe jukinet.FieldErrors // every field in error, at once
		fe.Add(required(op, "name", in.Name))
		fe.Add(required(op, "rules", in.Rules))
		fe.Add(required(op, "retention", in.Retention))
		if err := fe.Err(); err != nil {
			return err
		}
		if err := requireRole(tx, op, today, RoleIdentityInfoManager); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRow(`SELECT COUNT(*) FROM gov_forms WHERE name = $1`, in.Name).Scan(&n); err != nil {
			return internal(op, err)
		}
		if n > 0 {
			return jukinet.Errorf(string(op), jukinet.KindConflict, "name", "a form named %q is already registered", in.Name)
		}
		_, err := tx.Exec(`INSERT INTO gov_forms (id, name, description, rules, retention, created_by, created_on) VALUES ($1,$2,$3,$4,$5,$6,$7)`,
			id, in.Name, in.Description, in.Rules, in.Retention, tx.Actor().CollationID, today.String())
		return internal(op, err)
	})
	if err != nil {
		return "", err
	}
	return id, nil
}

// Print is one printing of a form.
type Print struct {
	FormID    string       `json:"form_id"`
	Copies    int          `json:"copies"`
	Purpose   string       `json:"purpose"`
	PrintedOn jukinet.Date `json:"printed_on"`
}

// RecordPrint logs a printout. The printer must be designated to handle
// identity information on that day (G16-2.1); the printer is the actor.
func (s *Service) RecordPrint(ctx context.Context, in Print) (string, error) {
	const op = jukinet.OpGovFormPrint
	id := newID()
	err := s.act(ctx, op, "print="+id, func(tx *store.Tx, today jukinet.Date) error {
		var fe jukinet.FieldErrors // every field in error, at once
		if in.Copies < 1 || in.Copies > 10000 {
			fe.Add(jukinet.Errorf(string(op), jukinet.KindInvalid, "copies", "copies %d is not between 1 and 10000", in.Copies))
		}
		fe.Add(required(op, "purpose", in.Purpose))
		fe.Add(requiredDate(op, "printed_on", in.PrintedOn))
		if in.PrintedOn.After(today) {
			fe.Add(jukinet.Errorf(string(op), jukinet.KindInvalid, "printed_on", "printed_on %s is in the future", in.PrintedOn))
		}
		if err := fe.Err(); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRow(`SELECT COUNT(*) FROM gov_forms WHERE id = $1`, in.FormID).Scan(&n); err != nil {
			return internal(op, err)
		}
		if n == 0 {
			return notFound(op, "form_id", in.FormID)
		}
		who := tx.Actor().CollationID
		if err := tx.QueryRow(handlerQuery, who, in.PrintedOn.String()).Scan(&n); err != nil {
			return internal(op, err)
		}
		if n == 0 || who == "" {
			return jukinet.Errorf(string(op), jukinet.KindForbidden, "actor", "照合ID %q is not designated to handle identity information on %s (G16-2.1)", who, in.PrintedOn)
		}
		_, err := tx.Exec(`INSERT INTO gov_print_log (id, form_id, printed_by, printed_on, copies, purpose) VALUES ($1,$2,$3,$4,$5,$6)`,
			id, in.FormID, who, in.PrintedOn.String(), in.Copies, in.Purpose)
		return internal(op, err)
	})
	if err != nil {
		return "", err
	}
	return id, nil
}

// Disposal records how a printout was disposed of.
type Disposal struct {
	PrintID    string       `json:"print_id"`
	Method     string       `json:"method"` // e.g. shredded, dissolved
	DisposedOn jukinet.Date `json:"disposed_on"`
}

// RecordDisposal records disposal; by the printer or the 本人確認情報管理責任者.
func (s *Service) RecordDisposal(ctx context.Context, in Disposal) error {
	const op = jukinet.OpGovFormDispose
	return s.act(ctx, op, "print="+in.PrintID, func(tx *store.Tx, today jukinet.Date) error {
		var fe jukinet.FieldErrors // every field in error, at once
		fe.Add(required(op, "method", in.Method))
		fe.Add(requiredDate(op, "disposed_on", in.DisposedOn))
		if err := fe.Err(); err != nil {
			return err
		}
		var printer, printed, disposed string
		err := tx.QueryRow(`SELECT printed_by, printed_on, disposed_on FROM gov_print_log WHERE id = $1`, in.PrintID).Scan(&printer, &printed, &disposed)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound(op, "print_id", in.PrintID)
		}
		if err != nil {
			return internal(op, err)
		}
		if tx.Actor().CollationID != printer || printer == "" {
			if err := requireRole(tx, op, today, RoleIdentityInfoManager); err != nil {
				return err
			}
		}
		if disposed != "" {
			return jukinet.Errorf(string(op), jukinet.KindConflict, "print_id", "printout %s was already disposed of on %s", in.PrintID, disposed)
		}
		if err := notBeforeStored(op, "disposed_on", in.DisposedOn, "printed_on", printed); err != nil {
			return err
		}
		_, err = tx.Exec(`UPDATE gov_print_log SET disposed_on = $1, disposal_method = $2, disposed_by = $3 WHERE id = $4`,
			in.DisposedOn.String(), in.Method, tx.Actor().CollationID, in.PrintID)
		return internal(op, err)
	})
}
