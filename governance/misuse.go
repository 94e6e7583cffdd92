package governance

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/store"
)

// LogEvidence references an operation-log record by index, with its
// inclusion proof (JSON, as `jukinet oplog prove` prints it) when given.
type LogEvidence struct {
	Index uint64          `json:"index"`
	Proof json.RawMessage `json:"proof,omitempty"`
}

// CaseOpening opens a misuse case (不適正利用, G8.1).
type CaseOpening struct {
	OpenedOn jukinet.Date  `json:"opened_on"`
	Source   string        `json:"source"` // "manual" or "oplog_report" (a finding of jukinet oplog report)
	Summary  string        `json:"summary"`
	Evidence []LogEvidence `json:"evidence,omitempty"`
}

// OpenCase opens a case; only the セキュリティ統括責任者.
func (s *Service) OpenCase(ctx context.Context, in CaseOpening) (string, error) {
	const op = jukinet.OpGovCaseOpen
	id := newID()
	err := s.act(ctx, op, "case="+id, func(tx *store.Tx, today jukinet.Date) error {
		var fe jukinet.FieldErrors // every field in error, at once
		fe.Add(requiredDate(op, "opened_on", in.OpenedOn))
		fe.Add(oneOf(op, "source", in.Source, "manual", "oplog_report"))
		fe.Add(required(op, "summary", in.Summary))
		if in.Source == "oplog_report" && len(in.Evidence) == 0 {
			fe.Add(jukinet.Errorf(string(op), jukinet.KindInvalid, "evidence", "a case from an oplog report names the log indices of the finding"))
		}
		fe.Add(checkEvidence(op, in.Evidence))
		if err := fe.Err(); err != nil {
			return err
		}
		if err := requireRole(tx, op, today, RoleGeneralManager); err != nil {
			return err
		}
		if _, err := tx.Exec(`INSERT INTO gov_misuse_cases (id, opened_on, source, summary) VALUES ($1,$2,$3,$4)`, id, in.OpenedOn.String(), in.Source, in.Summary); err != nil {
			return internal(op, err)
		}
		return insertEvidence(tx, op, id, in.Evidence)
	})
	if err != nil {
		return "", err
	}
	return id, nil
}

// checkEvidence names every piece of evidence in error, at once.
func checkEvidence(op jukinet.Operation, ev []LogEvidence) error {
	var fe jukinet.FieldErrors
	seen := map[uint64]bool{}
	for i, e := range ev {
		switch {
		case seen[e.Index]:
			fe.Add(jukinet.Errorf(string(op), jukinet.KindInvalid, fmt.Sprintf("evidence[%d].index", i), "log index %d given twice", e.Index))
		case e.Index > 1<<62:
			fe.Add(jukinet.Errorf(string(op), jukinet.KindInvalid, fmt.Sprintf("evidence[%d].index", i), "log index %d is out of range", e.Index))
		}
		seen[e.Index] = true
		switch {
		case len(e.Proof) > 64<<10:
			fe.Add(jukinet.Errorf(string(op), jukinet.KindTooLarge, fmt.Sprintf("evidence[%d].proof", i), "the proof is larger than 64 KiB"))
		case len(e.Proof) > 0 && !json.Valid(e.Proof):
			fe.Add(jukinet.Errorf(string(op), jukinet.KindInvalid, fmt.Sprintf("evidence[%d].proof", i), "the proof is not valid JSON"))
		}
	}
	return fe.Err()
}

func insertEvidence(tx *store.Tx, op jukinet.Operation, caseID string, ev []LogEvidence) error {
	for _, e := range ev {
		if _, err := tx.Exec(`INSERT INTO gov_misuse_log_refs (case_id, log_index, proof) VALUES ($1,$2,$3) ON CONFLICT (case_id, log_index) DO UPDATE SET proof = CASE WHEN excluded.proof = '' THEN gov_misuse_log_refs.proof ELSE excluded.proof END`,
			caseID, int64(e.Index), string(e.Proof)); err != nil {
			return internal(op, err)
		}
	}
	return nil
}

type caseRow struct {
	openedOn, judgement, judgedOn, closedOn string
}

func loadCase(tx *store.Tx, op jukinet.Operation, id string) (caseRow, error) {
	var c caseRow
	err := tx.QueryRow(`SELECT opened_on, judgement, judged_on, closed_on FROM gov_misuse_cases WHERE id = $1`, id).Scan(&c.openedOn, &c.judgement, &c.judgedOn, &c.closedOn)
	if errors.Is(err, sql.ErrNoRows) {
		return c, notFound(op, "case_id", id)
	}
	if err != nil {
		return c, internal(op, err)
	}
	if c.closedOn != "" {
		return c, jukinet.Errorf(string(op), jukinet.KindConflict, "case_id", "case %s was closed on %s", id, c.closedOn)
	}
	return c, nil
}

// CaseEvidence adds log references (and proofs) to an open case.
type CaseEvidence struct {
	CaseID   string        `json:"case_id"`
	Evidence []LogEvidence `json:"evidence"`
}

// AddCaseEvidence attaches log indices and proofs; only the セキュリティ統括責任者.
func (s *Service) AddCaseEvidence(ctx context.Context, in CaseEvidence) error {
	const op = jukinet.OpGovCaseEvidence
	return s.act(ctx, op, "case="+in.CaseID, func(tx *store.Tx, today jukinet.Date) error {
		if len(in.Evidence) == 0 {
			return jukinet.Errorf(string(op), jukinet.KindInvalid, "evidence", "give at least one log index")
		}
		if err := checkEvidence(op, in.Evidence); err != nil {
			return err
		}
		if err := requireRole(tx, op, today, RoleGeneralManager); err != nil {
			return err
		}
		if _, err := loadCase(tx, op, in.CaseID); err != nil {
			return err
		}
		return insertEvidence(tx, op, in.CaseID, in.Evidence)
	})
}

// ReportRequest asks the state, another local government, the Organization
// or another party for a report (G8.1).
type ReportRequest struct {
	CaseID        string       `json:"case_id"`
	AddresseeKind string       `json:"addressee_kind"` // state, local_government, organization, other
	Addressee     string       `json:"addressee"`
	RequestedOn   jukinet.Date `json:"requested_on"`
	DueOn         jukinet.Date `json:"due_on"`
}

// RequestReport records a request for a report; only the セキュリティ統括責任者.
func (s *Service) RequestReport(ctx context.Context, in ReportRequest) (string, error) {
	const op = jukinet.OpGovReportRequest
	id := newID()
	err := s.act(ctx, op, "case="+in.CaseID, func(tx *store.Tx, today jukinet.Date) error {
		var fe jukinet.FieldErrors // every field in error, at once
		fe.Add(oneOf(op, "addressee_kind", in.AddresseeKind, "state", "local_government", "organization", "other"))
		fe.Add(required(op, "addressee", in.Addressee))
		fe.Add(requiredDate(op, "requested_on", in.RequestedOn))
		fe.Add(requiredDate(op, "due_on", in.DueOn))
		fe.Add(notBefore(op, "due_on", in.DueOn, "requested_on", in.RequestedOn))
		if err := fe.Err(); err != nil {
			return err
		}
		if err := requireRole(tx, op, today, RoleGeneralManager); err != nil {
			return err
		}
		c, err := loadCase(tx, op, in.CaseID)
		if err != nil {
			return err
		}
		if err := notBeforeStored(op, "requested_on", in.RequestedOn, "opened_on", c.openedOn); err != nil {
			return err
		}
		_, err = tx.Exec(`INSERT INTO gov_report_requests (id, case_id, addressee_kind, addressee, requested_on, due_on) VALUES ($1,$2,$3,$4,$5,$6)`,
			id, in.CaseID, in.AddresseeKind, in.Addressee, in.RequestedOn.String(), in.DueOn.String())
		return internal(op, err)
	})
	if err != nil {
		return "", err
	}
	return id, nil
}

// ReportAnswer is the answer to a report request.
type ReportAnswer struct {
	RequestID  string       `json:"request_id"`
	Answer     string       `json:"answer"`
	AnsweredOn jukinet.Date `json:"answered_on"`
}

// RecordReportAnswer records the answer received; only the セキュリティ統括責任者.
func (s *Service) RecordReportAnswer(ctx context.Context, in ReportAnswer) error {
	const op = jukinet.OpGovReportAnswer
	return s.act(ctx, op, "request="+in.RequestID, func(tx *store.Tx, today jukinet.Date) error {
		var fe jukinet.FieldErrors // every field in error, at once
		fe.Add(required(op, "answer", in.Answer))
		fe.Add(requiredDate(op, "answered_on", in.AnsweredOn))
		if err := fe.Err(); err != nil {
			return err
		}
		if err := requireRole(tx, op, today, RoleGeneralManager); err != nil {
			return err
		}
		var caseID, requested, answered string
		err := tx.QueryRow(`SELECT case_id, requested_on, answered_on FROM gov_report_requests WHERE id = $1`, in.RequestID).Scan(&caseID, &requested, &answered)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound(op, "request_id", in.RequestID)
		}
		if err != nil {
			return internal(op, err)
		}
		if answered != "" {
			return jukinet.Errorf(string(op), jukinet.KindConflict, "request_id", "request %s was already answered on %s", in.RequestID, answered)
		}
		if _, err := loadCase(tx, op, caseID); err != nil {
			return err
		}
		if err := notBeforeStored(op, "answered_on", in.AnsweredOn, "requested_on", requested); err != nil {
			return err
		}
		_, err = tx.Exec(`UPDATE gov_report_requests SET answer = $1, answered_on = $2 WHERE id = $3`, in.Answer, in.AnsweredOn.String(), in.RequestID)
		return internal(op, err)
	})
}

// CaseEntry is an investigation note or a protective measure (G8.2).
type CaseEntry struct {
	CaseID string       `json:"case_id"`
	Kind   string       `json:"kind"` // "note" or "measure"
	Body   string       `json:"body"`
	On     jukinet.Date `json:"on"`
}

// AddCaseEntry records a note or a measure; only the セキュリティ統括責任者.
func (s *Service) AddCaseEntry(ctx context.Context, in CaseEntry) error {
	const op = jukinet.OpGovCaseEntry
	return s.act(ctx, op, "case="+in.CaseID, func(tx *store.Tx, today jukinet.Date) error {
		var fe jukinet.FieldErrors // every field in error, at once
		fe.Add(oneOf(op, "kind", in.Kind, "note", "measure"))
		fe.Add(required(op, "body", in.Body))
		fe.Add(requiredDate(op, "on", in.On))
		if err := fe.Err(); err != nil {
			return err
		}
		if err := requireRole(tx, op, today, RoleGeneralManager); err != nil {
			return err
		}
		c, err := loadCase(tx, op, in.CaseID)
		if err != nil {
			return err
		}
		if err := notBeforeStored(op, "on", in.On, "opened_on", c.openedOn); err != nil {
			return err
		}
		_, err = tx.Exec(`INSERT INTO gov_case_entries (id, case_id, kind, body, entry_on, entry_by) VALUES ($1,$2,$3,$4,$5,$6)`,
			newID(), in.CaseID, in.Kind, in.Body, in.On.String(), tx.Actor().CollationID)
		return internal(op, err)
	})
}

// Judgement says whether citizens' rights are infringed (G8.2).
type Judgement struct {
	CaseID       string       `json:"case_id"`
	Infringement bool         `json:"infringement"`
	Reason       string       `json:"reason"`
	JudgedOn     jukinet.Date `json:"judged_on"`
}

// Judge records the judgement; only the セキュリティ統括責任者, once.
func (s *Service) Judge(ctx context.Context, in Judgement) error {
	const op = jukinet.OpGovCaseJudge
	return s.act(ctx, op, "case="+in.CaseID, func(tx *store.Tx, today jukinet.Date) error {
		var fe jukinet.FieldErrors // every field in error, at once
		fe.Add(required(op, "reason", in.Reason))
		fe.Add(requiredDate(op, "judged_on", in.JudgedOn))
		if err := fe.Err(); err != nil {
			return err
		}
		if err := requireRole(tx, op, today, RoleGeneralManager); err != nil {
			return err
		}
		c, err := loadCase(tx, op, in.CaseID)
		if err != nil {
			return err
		}
		if c.judgement != "" {
			return jukinet.Errorf(string(op), jukinet.KindConflict, "case_id", "case %s was already judged on %s", in.CaseID, c.judgedOn)
		}
		if err := notBeforeStored(op, "judged_on", in.JudgedOn, "opened_on", c.openedOn); err != nil {
			return err
		}
		j := "no_infringement"
		if in.Infringement {
			j = "infringement"
		}
		_, err = tx.Exec(`UPDATE gov_misuse_cases SET judgement = $1, judgement_reason = $2, judged_on = $3 WHERE id = $4`, j, in.Reason, in.JudgedOn.String(), in.CaseID)
		return internal(op, err)
	})
}

// Closure closes a case.
type Closure struct {
	CaseID   string       `json:"case_id"`
	ClosedOn jukinet.Date `json:"closed_on"`
}

// CloseCase closes a judged case; if infringement was judged, at least one
// measure must be recorded (G8.2). Only the セキュリティ統括責任者.
func (s *Service) CloseCase(ctx context.Context, in Closure) error {
	const op = jukinet.OpGovCaseClose
	return s.act(ctx, op, "case="+in.CaseID, func(tx *store.Tx, today jukinet.Date) error {
		if err := requiredDate(op, "closed_on", in.ClosedOn); err != nil {
			return err
		}
		if err := requireRole(tx, op, today, RoleGeneralManager); err != nil {
			return err
		}
		c, err := loadCase(tx, op, in.CaseID)
		if err != nil {
			return err
		}
		if c.judgement == "" {
			return jukinet.Errorf(string(op), jukinet.KindConflict, "judgement", "case %s has no judgement yet: judge before closing (G8.2)", in.CaseID)
		}
		if err := notBeforeStored(op, "closed_on", in.ClosedOn, "judged_on", c.judgedOn); err != nil {
			return err
		}
		if c.judgement == "infringement" {
			var n int
			if err := tx.QueryRow(`SELECT COUNT(*) FROM gov_case_entries WHERE case_id = $1 AND kind = 'measure'`, in.CaseID).Scan(&n); err != nil {
				return internal(op, err)
			}
			if n == 0 {
				return jukinet.Errorf(string(op), jukinet.KindConflict, "measures", "infringement was judged in case %s: record the protective measures before closing (G8.2)", in.CaseID)
			}
		}
		_, err = tx.Exec(`UPDATE gov_misuse_cases SET closed_on = $1 WHERE id = $2`, in.ClosedOn.String(), in.CaseID)
		return internal(op, err)
	})
}
