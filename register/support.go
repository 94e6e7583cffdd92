package register

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/store"
)

// SupportKind is why a 支援措置 is given: the victims the law protects from
// an offender who would find them through the register (住民基本台帳事務における
// 支援措置: DV防止法, ストーカー規制法, 児童虐待防止法, and those like them).
type SupportKind string

const (
	SupportDV         SupportKind = "dv"          // 配偶者からの暴力
	SupportStalking   SupportKind = "stalking"    // ストーカー行為等
	SupportChildAbuse SupportKind = "child_abuse" // 児童虐待
	SupportSimilar    SupportKind = "similar"     // これらに準ずる行為
)

// Valid reports whether k is one of the kinds.
func (k SupportKind) Valid() bool {
	switch k {
	case SupportDV, SupportStalking, SupportChildAbuse, SupportSimilar:
		return true
	}
	return false
}

// MaxSupportPeriod bounds one measure: a year, renewed by a new request, as
// the handling rules give it.
const MaxSupportPeriod = 366

// SupportMeasure is a 支援措置 (住民票の写し等の交付制限): while it holds, the
// person's 住民票, its copies and their address are not disclosed to a third
// party — not by a 広域交付, not by 閲覧 — and every refusal is logged.
type SupportMeasure struct {
	ID           string               `json:"id"`
	ResidentCode jukinet.ResidentCode `json:"resident_code"`
	Kind         SupportKind          `json:"kind"`
	Requester    string               `json:"requester"` // 申出者
	Start        jukinet.Date         `json:"start"`
	End          jukinet.Date         `json:"end"`
	// From is the municipality the measure came from with a 転出 ("" when it
	// was requested here).
	From       jukinet.LGCode `json:"from,omitempty"`
	SetAt      time.Time      `json:"set_at"`
	LiftedAt   time.Time      `json:"lifted_at,omitzero"`
	LiftReason string         `json:"lift_reason,omitempty"`
}

// Holds reports whether the measure restricts disclosure on day.
func (s SupportMeasure) Holds(day jukinet.Date) bool {
	return s.LiftedAt.IsZero() && !day.Before(s.Start) && !day.After(s.End)
}

// SupportMeasureInput sets a measure.
type SupportMeasureInput struct {
	ResidentCode jukinet.ResidentCode `json:"resident_code"`
	Kind         SupportKind          `json:"kind"`
	Requester    string               `json:"requester"`
	Start        jukinet.Date         `json:"start"`
	End          jukinet.Date         `json:"end"`
}

// Validate checks every field (KindInvalid naming it).
// All of them at once: a form shows every field in error.
func (in SupportMeasureInput) Validate(op string) error {
	var fe jukinet.FieldErrors
	if !jukinet.ValidResidentCode(string(in.ResidentCode)) {
		fe.Add(jukinet.Errorf(op, jukinet.KindInvalid, "resident_code", "not a resident code"))
	}
	if !in.Kind.Valid() {
		fe.Add(jukinet.Errorf(op, jukinet.KindInvalid, "kind", "must be dv, stalking, child_abuse or similar"))
	}
	if strings.TrimSpace(in.Requester) == "" || utf8.RuneCountInString(in.Requester) > 100 {
		fe.Add(jukinet.Errorf(op, jukinet.KindInvalid, "requester", "required, at most 100 characters"))
	}
	if in.Start.IsZero() {
		fe.Add(jukinet.Errorf(op, jukinet.KindInvalid, "start", "required"))
	}
	switch {
	case in.End.IsZero() || (!in.Start.IsZero() && in.End.Before(in.Start)):
		fe.Add(jukinet.Errorf(op, jukinet.KindInvalid, "end", "required, not before the start"))
	case !in.Start.IsZero() && in.End.After(in.Start.AddDays(MaxSupportPeriod)):
		fe.Add(jukinet.Errorf(op, jukinet.KindInvalid, "end", "a measure lasts at most a year; renew it with a new request"))
	}
	return fe.Err()
}

// SetSupportMeasure records a 支援措置 for a current resident; it replaces a
// measure still held (a renewal). Errors: KindInvalid naming the field,
// KindNotFound/KindConflict for a person who is not a current resident.
func (g *Register) SetSupportMeasure(ctx context.Context, in SupportMeasureInput) (*SupportMeasure, error) {
	const op = "register.SetSupportMeasure"
	in.Requester = strings.TrimSpace(in.Requester)
	if err := in.Validate(op); err != nil {
		return nil, err
	}
	var out *SupportMeasure
	err := g.update(ctx, jukinet.OpSupportMeasureSet, in.ResidentCode, "", func(tx *store.Tx) error {
		if _, err := loadCurrent(tx, op, "resident_code", in.ResidentCode); err != nil {
			return err
		}
		m := &SupportMeasure{ID: newID(), ResidentCode: in.ResidentCode, Kind: in.Kind, Requester: in.Requester, Start: in.Start, End: in.End}
		if err := g.putSupportMeasure(tx, m); err != nil {
			return jukinet.E(op, jukinet.KindInternal, err)
		}
		tx.SetDetail("support measure " + string(in.Kind) + " " + in.Start.String() + "–" + in.End.String())
		out = m
		return nil
	})
	return out, err
}

// ReceiveSupportMeasureTx records, inside tx, a measure that came with a
// person's 転出 from municipality from: it holds here from now on, for the
// rest of its period.
func (g *Register) ReceiveSupportMeasureTx(tx *store.Tx, m SupportMeasure, from jukinet.LGCode) error {
	const op = "register.ReceiveSupportMeasure"
	if err := (SupportMeasureInput{ResidentCode: m.ResidentCode, Kind: m.Kind, Requester: m.Requester, Start: m.Start, End: m.End}).Validate(op); err != nil {
		return err
	}
	m.ID, m.From = newID(), from
	if err := g.putSupportMeasure(tx, &m); err != nil {
		return jukinet.E(op, jukinet.KindInternal, err)
	}
	tx.Note(string(m.ResidentCode), "support measure received from "+string(from))
	return nil
}

// putSupportMeasure lifts any measure of the person still open and inserts m.
func (g *Register) putSupportMeasure(tx *store.Tx, m *SupportMeasure) error {
	now := tx.NowMicro()
	m.SetAt = time.UnixMicro(now).In(jukinet.JST)
	if _, err := tx.Exec(`UPDATE support_measures SET lifted_at = $1, lift_reason = 'replaced' WHERE resident_code = $2 AND lifted_at = 0`,
		now, string(m.ResidentCode)); err != nil {
		return err
	}
	_, err := tx.Exec(`INSERT INTO support_measures (id, resident_code, kind, requester, start_date, end_date, from_lg, set_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8)`,
		m.ID, string(m.ResidentCode), string(m.Kind), m.Requester, m.Start.String(), m.End.String(), string(m.From), now)
	return err
}

// LiftSupportMeasure ends the person's measure (the person withdrew the
// request, or it no longer applies). Errors: KindInvalid for a missing
// reason, KindNotFound when no measure is open.
func (g *Register) LiftSupportMeasure(ctx context.Context, code jukinet.ResidentCode, reason string) error {
	const op = "register.LiftSupportMeasure"
	reason = strings.TrimSpace(reason)
	if reason == "" || utf8.RuneCountInString(reason) > 200 {
		return jukinet.Errorf(op, jukinet.KindInvalid, "reason", "required, at most 200 characters")
	}
	return g.update(ctx, jukinet.OpSupportMeasureLift, code, "", func(tx *store.Tx) error {
		res, err := tx.Exec(`UPDATE support_measures SET lifted_at = $1, lift_reason = $2 WHERE resident_code = $3 AND lifted_at = 0`,
			tx.NowMicro(), reason, string(code))
		if err != nil {
			return jukinet.E(op, jukinet.KindInternal, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return jukinet.Errorf(op, jukinet.KindNotFound, "resident_code", "no support measure is open for this person")
		}
		return nil
	})
}

// SupportMeasureTx returns the person's open measure, read inside tx (nil
// when there is none). Whether it holds today is Holds.
func (g *Register) SupportMeasureTx(tx *store.Tx, code jukinet.ResidentCode) (*SupportMeasure, error) {
	var m SupportMeasure
	var kind, start, end, from string
	var set int64
	err := tx.QueryRow(`SELECT id, kind, requester, start_date, end_date, from_lg, set_at FROM support_measures WHERE resident_code = $1 AND lifted_at = 0`,
		string(code)).Scan(&m.ID, &kind, &m.Requester, &start, &end, &from, &set)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, jukinet.E("register.SupportMeasure", jukinet.KindInternal, err)
	}
	m.ResidentCode, m.Kind, m.From = code, SupportKind(kind), jukinet.LGCode(from)
	m.SetAt = time.UnixMicro(set).In(jukinet.JST)
	if m.Start, err = jukinet.ParseDate("start", start); err != nil {
		return nil, jukinet.E("register.SupportMeasure", jukinet.KindInternal, err)
	}
	if m.End, err = jukinet.ParseDate("end", end); err != nil {
		return nil, jukinet.E("register.SupportMeasure", jukinet.KindInternal, err)
	}
	return &m, nil
}

// RestrictedTx reports whether a measure holds today for code: the check
// every path that discloses an address to a third party makes.
func (g *Register) RestrictedTx(tx *store.Tx, code jukinet.ResidentCode) (bool, error) {
	m, err := g.SupportMeasureTx(tx, code)
	if err != nil || m == nil {
		return false, err
	}
	return m.Holds(g.today()), nil
}

// markSupported sets Resident.SupportMeasure on the records of people for
// whom a measure holds today, so that screens flag them.
func (g *Register) markSupported(tx *store.Tx, rs []Resident) error {
	for i := range rs {
		held, err := g.RestrictedTx(tx, rs[i].ResidentCode)
		if err != nil {
			return err
		}
		rs[i].SupportMeasure = held
	}
	return nil
}
