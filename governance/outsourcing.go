package governance

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/store"
)

// ClauseType is one of the five clauses every outsourcing contract states (G19).
type ClauseType string

// The clauses of G19.
const (
	ClauseSubcontracting  ClauseType = "subcontracting"  // (1) 再委託の禁止又は制限
	ClauseMaterials       ClauseType = "materials"       // (2) 資料の保管、返還又は廃棄
	ClauseOtherUse        ClauseType = "other_use"       // (3) 目的外使用、複製・複写、第三者提供の禁止
	ClauseConfidentiality ClauseType = "confidentiality" // (4) 秘密保持
	ClauseAccidentReport  ClauseType = "accident_report" // (5) 事故等の報告
)

// RequiredClauses lists the five clauses of G19 in the article's order.
func RequiredClauses() []ClauseType {
	return []ClauseType{ClauseSubcontracting, ClauseMaterials, ClauseOtherUse, ClauseConfidentiality, ClauseAccidentReport}
}

// Clause is a clause of a contract: its type and where the contract states it.
type Clause struct {
	Type      ClauseType `json:"type"`
	Reference string     `json:"reference"` // e.g. "第8条（再委託の禁止）"
}

// CheckClauses checks that clauses contain each of the five of G19 with a
// reference, and no unknown or repeated type. The error names every clause
// in error and every missing one (field "clauses.<type>"), at once.
func CheckClauses(clauses []Clause) error {
	const op = "governance.CheckClauses"
	var fe jukinet.FieldErrors
	seen := map[ClauseType]bool{}
	for i, c := range clauses {
		if err := oneOf(op, fmt.Sprintf("clauses[%d].type", i), c.Type, RequiredClauses()...); err != nil {
			fe.Add(err)
			continue
		}
		if seen[c.Type] {
			fe.Add(jukinet.Errorf(op, jukinet.KindInvalid, fmt.Sprintf("clauses[%d].type", i), "clause %s given twice", c.Type))
			continue
		}
		switch {
		case strings.TrimSpace(c.Reference) == "":
			fe.Add(jukinet.Errorf(op, jukinet.KindInvalid, fmt.Sprintf("clauses[%d].reference", i), "clause %s has no reference to the contract text", c.Type))
		case len(c.Reference) > 2000:
			fe.Add(jukinet.Errorf(op, jukinet.KindTooLarge, fmt.Sprintf("clauses[%d].reference", i), "reference is longer than 2000 bytes"))
		}
		seen[c.Type] = true
	}
	for i, t := range RequiredClauses() {
		if !seen[t] {
			fe.Add(jukinet.Errorf(op, jukinet.KindInvalid, "clauses."+string(t), "the contract lacks clause (%d) %s required by G19", i+1, t))
		}
	}
	return fe.Err()
}

// OutsourcingRequest is a request to outsource work (G17–18).
type OutsourcingRequest struct {
	Title           string       `json:"title"`
	Contractor      string       `json:"contractor"`
	Content         string       `json:"content"`
	Reason          string       `json:"reason"`
	ProtectionTerms string       `json:"protection_terms"`
	RequestedOn     jukinet.Date `json:"requested_on"`
}

// RequestOutsourcing records a request; by any role holder (the department
// that wants to outsource). The council's opinion comes from a council item
// linked to the request (AgendaItem.OutsourcingID, DecideItem).
func (s *Service) RequestOutsourcing(ctx context.Context, in OutsourcingRequest) (string, error) {
	const op = jukinet.OpGovOutsourcingRequest
	id := newID()
	err := s.act(ctx, op, "outsourcing="+id, func(tx *store.Tx, today jukinet.Date) error {
		var fe jukinet.FieldErrors // every field in error, at once
		fe.Add(required(op, "title", in.Title))
		fe.Add(required(op, "contractor", in.Contractor))
		fe.Add(required(op, "content", in.Content))
		fe.Add(required(op, "reason", in.Reason))
		fe.Add(required(op, "protection_terms", in.ProtectionTerms))
		fe.Add(requiredDate(op, "requested_on", in.RequestedOn))
		if err := fe.Err(); err != nil {
			return err
		}
		if err := requireAnyRole(tx, op, today); err != nil {
			return err
		}
		_, err := tx.Exec(`INSERT INTO gov_outsourcing (id, title, contractor, content, reason, protection_terms, requested_on, requested_by) VALUES ($1,$2,$3,$4,$5,$6,$7,$8)`,
			id, in.Title, in.Contractor, in.Content, in.Reason, in.ProtectionTerms, in.RequestedOn.String(), tx.Actor().CollationID)
		return internal(op, err)
	})
	if err != nil {
		return "", err
	}
	return id, nil
}

type outsourcingRow struct {
	requestedOn, opinion, opinionOn, approvedOn, checkedOn, activeFrom string
}

func loadOutsourcing(tx *store.Tx, op jukinet.Operation, id string) (outsourcingRow, error) {
	var r outsourcingRow
	err := tx.QueryRow(`SELECT requested_on, council_opinion, opinion_on, approved_on, clauses_checked_on, active_from FROM gov_outsourcing WHERE id = $1`, id).
		Scan(&r.requestedOn, &r.opinion, &r.opinionOn, &r.approvedOn, &r.checkedOn, &r.activeFrom)
	if errors.Is(err, sql.ErrNoRows) {
		return r, notFound(op, "outsourcing_id", id)
	}
	return r, internal(op, err)
}

// Approval is the セキュリティ統括責任者's approval of an outsourcing (G18).
type Approval struct {
	OutsourcingID string       `json:"outsourcing_id"`
	ApprovedOn    jukinet.Date `json:"approved_on"`
}

// ApproveOutsourcing records the approval; only the セキュリティ統括責任者, and
// only after the council's opinion (G18).
func (s *Service) ApproveOutsourcing(ctx context.Context, in Approval) error {
	const op = jukinet.OpGovOutsourcingApprove
	return s.act(ctx, op, "outsourcing="+in.OutsourcingID, func(tx *store.Tx, today jukinet.Date) error {
		if err := requiredDate(op, "approved_on", in.ApprovedOn); err != nil {
			return err
		}
		if err := requireRole(tx, op, today, RoleGeneralManager); err != nil {
			return err
		}
		r, err := loadOutsourcing(tx, op, in.OutsourcingID)
		if err != nil {
			return err
		}
		if r.opinion == "" {
			return jukinet.Errorf(string(op), jukinet.KindConflict, "council_opinion", "outsourcing %s has no opinion of the security council yet: hear the council before approving (G18)", in.OutsourcingID)
		}
		if r.approvedOn != "" {
			return jukinet.Errorf(string(op), jukinet.KindConflict, "outsourcing_id", "outsourcing %s was already approved on %s", in.OutsourcingID, r.approvedOn)
		}
		if err := notBeforeStored(op, "approved_on", in.ApprovedOn, "the council opinion date", r.opinionOn); err != nil {
			return err
		}
		_, err = tx.Exec(`UPDATE gov_outsourcing SET approved_on = $1, approved_by = $2 WHERE id = $3`, in.ApprovedOn.String(), tx.Actor().CollationID, in.OutsourcingID)
		return internal(op, err)
	})
}

// ContractCheck submits the contract's clauses for the G19 check.
type ContractCheck struct {
	OutsourcingID string       `json:"outsourcing_id"`
	Clauses       []Clause     `json:"clauses"`
	CheckedOn     jukinet.Date `json:"checked_on"`
}

// CheckContract checks the contract has the five clauses of G19 and keeps
// them with their references; a contract missing one is refused, naming it.
// By any role holder (the entrusting party).
func (s *Service) CheckContract(ctx context.Context, in ContractCheck) error {
	const op = jukinet.OpGovContractCheck
	return s.act(ctx, op, "outsourcing="+in.OutsourcingID, func(tx *store.Tx, today jukinet.Date) error {
		var fe jukinet.FieldErrors // every field in error, at once
		fe.Add(requiredDate(op, "checked_on", in.CheckedOn))
		fe.Add(CheckClauses(in.Clauses))
		if err := fe.Err(); err != nil {
			return err
		}
		if err := requireAnyRole(tx, op, today); err != nil {
			return err
		}
		r, err := loadOutsourcing(tx, op, in.OutsourcingID)
		if err != nil {
			return err
		}
		if r.activeFrom != "" {
			return jukinet.Errorf(string(op), jukinet.KindConflict, "outsourcing_id", "the contract of %s is already active since %s", in.OutsourcingID, r.activeFrom)
		}
		if err := notBeforeStored(op, "checked_on", in.CheckedOn, "requested_on", r.requestedOn); err != nil {
			return err
		}
		if _, err := tx.Exec(`DELETE FROM gov_contract_clauses WHERE outsourcing_id = $1`, in.OutsourcingID); err != nil {
			return internal(op, err)
		}
		for _, c := range in.Clauses {
			if _, err := tx.Exec(`INSERT INTO gov_contract_clauses (outsourcing_id, clause_type, reference) VALUES ($1,$2,$3)`, in.OutsourcingID, string(c.Type), c.Reference); err != nil {
				return internal(op, err)
			}
		}
		_, err = tx.Exec(`UPDATE gov_outsourcing SET clauses_checked_on = $1 WHERE id = $2`, in.CheckedOn.String(), in.OutsourcingID)
		return internal(op, err)
	})
}

// Activation makes a contract active.
type Activation struct {
	OutsourcingID      string       `json:"outsourcing_id"`
	ActiveFrom         jukinet.Date `json:"active_from"`
	ActiveUntil        jukinet.Date `json:"active_until"`
	FirstInspectionDue jukinet.Date `json:"first_inspection_due"` // when the entrusting party inspects (G20)
}

// ActivateContract makes the contract active; refused before the council's
// opinion, the approval and the clause check (G18–19).
func (s *Service) ActivateContract(ctx context.Context, in Activation) error {
	const op = jukinet.OpGovContractActivate
	return s.act(ctx, op, "outsourcing="+in.OutsourcingID, func(tx *store.Tx, today jukinet.Date) error {
		var fe jukinet.FieldErrors // every field in error, at once
		fe.Add(requiredDate(op, "active_from", in.ActiveFrom))
		fe.Add(requiredDate(op, "active_until", in.ActiveUntil))
		fe.Add(requiredDate(op, "first_inspection_due", in.FirstInspectionDue))
		fe.Add(notBefore(op, "active_until", in.ActiveUntil, "active_from", in.ActiveFrom))
		fe.Add(notBefore(op, "first_inspection_due", in.FirstInspectionDue, "active_from", in.ActiveFrom))
		if err := fe.Err(); err != nil {
			return err
		}
		if err := requireAnyRole(tx, op, today); err != nil {
			return err
		}
		r, err := loadOutsourcing(tx, op, in.OutsourcingID)
		if err != nil {
			return err
		}
		switch {
		case r.opinion == "":
			return jukinet.Errorf(string(op), jukinet.KindConflict, "council_opinion", "outsourcing %s has no opinion of the security council (G18)", in.OutsourcingID)
		case r.approvedOn == "":
			return jukinet.Errorf(string(op), jukinet.KindConflict, "approved_on", "outsourcing %s is not approved by the セキュリティ統括責任者 (G18)", in.OutsourcingID)
		case r.checkedOn == "":
			return jukinet.Errorf(string(op), jukinet.KindConflict, "clauses", "the contract of %s has not passed the clause check of G19", in.OutsourcingID)
		case r.activeFrom != "":
			return jukinet.Errorf(string(op), jukinet.KindConflict, "outsourcing_id", "the contract of %s is already active since %s", in.OutsourcingID, r.activeFrom)
		}
		if err := notBeforeStored(op, "active_from", in.ActiveFrom, "approved_on", r.approvedOn); err != nil {
			return err
		}
		_, err = tx.Exec(`UPDATE gov_outsourcing SET active_from = $1, active_until = $2, next_inspection_due = $3 WHERE id = $4`,
			in.ActiveFrom.String(), in.ActiveUntil.String(), in.FirstInspectionDue.String(), in.OutsourcingID)
		return internal(op, err)
	})
}

// Inspection is an inspection of how the contractor carries out security
// measures (G20).
type Inspection struct {
	OutsourcingID string       `json:"outsourcing_id"`
	InspectedOn   jukinet.Date `json:"inspected_on"`
	Inspector     string       `json:"inspector"`
	Findings      string       `json:"findings"`
	FollowUp      string       `json:"follow_up,omitempty"`
	FollowUpDue   jukinet.Date `json:"follow_up_due,omitempty"`
	NextDue       jukinet.Date `json:"next_due,omitempty"` // the next inspection; zero when none is planned
}

// RecordInspection records an inspection of an active contract; by any role
// holder (the entrusting party). A follow-up needs a due date.
func (s *Service) RecordInspection(ctx context.Context, in Inspection) (string, error) {
	const op = jukinet.OpGovInspectionRecord
	id := newID()
	err := s.act(ctx, op, "inspection="+id, func(tx *store.Tx, today jukinet.Date) error {
		var fe jukinet.FieldErrors // every field in error, at once
		fe.Add(requiredDate(op, "inspected_on", in.InspectedOn))
		fe.Add(required(op, "inspector", in.Inspector))
		fe.Add(required(op, "findings", in.Findings))
		if in.FollowUp != "" {
			fe.Add(requiredDate(op, "follow_up_due", in.FollowUpDue))
		}
		fe.Add(notBefore(op, "follow_up_due", in.FollowUpDue, "inspected_on", in.InspectedOn))
		fe.Add(notBefore(op, "next_due", in.NextDue, "inspected_on", in.InspectedOn))
		if err := fe.Err(); err != nil {
			return err
		}
		if err := requireAnyRole(tx, op, today); err != nil {
			return err
		}
		r, err := loadOutsourcing(tx, op, in.OutsourcingID)
		if err != nil {
			return err
		}
		if r.activeFrom == "" {
			return jukinet.Errorf(string(op), jukinet.KindConflict, "outsourcing_id", "the contract of %s is not active", in.OutsourcingID)
		}
		if err := notBeforeStored(op, "inspected_on", in.InspectedOn, "active_from", r.activeFrom); err != nil {
			return err
		}
		if _, err := tx.Exec(`INSERT INTO gov_inspections (id, outsourcing_id, inspected_on, inspector, findings, follow_up, follow_up_due) VALUES ($1,$2,$3,$4,$5,$6,$7)`,
			id, in.OutsourcingID, in.InspectedOn.String(), in.Inspector, in.Findings, in.FollowUp, in.FollowUpDue.String()); err != nil {
			return internal(op, err)
		}
		_, err = tx.Exec(`UPDATE gov_outsourcing SET next_inspection_due = $1 WHERE id = $2`, in.NextDue.String(), in.OutsourcingID)
		return internal(op, err)
	})
	if err != nil {
		return "", err
	}
	return id, nil
}

// FollowUpDone records that an inspection's follow-up was carried out.
type FollowUpDone struct {
	InspectionID string       `json:"inspection_id"`
	DoneOn       jukinet.Date `json:"done_on"`
}

// CompleteFollowUp records the follow-up; by any role holder.
func (s *Service) CompleteFollowUp(ctx context.Context, in FollowUpDone) error {
	const op = jukinet.OpGovFollowUpDone
	return s.act(ctx, op, "inspection="+in.InspectionID, func(tx *store.Tx, today jukinet.Date) error {
		if err := requiredDate(op, "done_on", in.DoneOn); err != nil {
			return err
		}
		if err := requireAnyRole(tx, op, today); err != nil {
			return err
		}
		var inspected, followUp, done string
		err := tx.QueryRow(`SELECT inspected_on, follow_up, follow_up_done_on FROM gov_inspections WHERE id = $1`, in.InspectionID).Scan(&inspected, &followUp, &done)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound(op, "inspection_id", in.InspectionID)
		}
		if err != nil {
			return internal(op, err)
		}
		if followUp == "" || done != "" {
			return jukinet.Errorf(string(op), jukinet.KindConflict, "inspection_id", "inspection %s has no open follow-up", in.InspectionID)
		}
		if err := notBeforeStored(op, "done_on", in.DoneOn, "inspected_on", inspected); err != nil {
			return err
		}
		_, err = tx.Exec(`UPDATE gov_inspections SET follow_up_done_on = $1 WHERE id = $2`, in.DoneOn.String(), in.InspectionID)
		return internal(op, err)
	})
}
