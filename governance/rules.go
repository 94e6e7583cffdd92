package governance

import (
	"context"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/store"
)

// RuleArticle names the rules the アクセス管理責任者 sets.
type RuleArticle string

// The rule sets of the guideline.
const (
	RulesIDs       RuleArticle = "G13.1" // 照合ID・操作者IDの管理に関する規程
	RulesTemplates RuleArticle = "G13.2" // 照合情報の登録及び削除に関する規程
)

// Rules is one version of a rule set.
type Rules struct {
	Article RuleArticle  `json:"article"`
	Body    string       `json:"body"`
	SetOn   jukinet.Date `json:"set_on"`
}

// SetRules records a version of the rules for managing 照合ID and 操作者ID
// (G13.1) or for registering and deleting 照合情報 (G13.2). Only the
// アクセス管理責任者 in office sets them; earlier versions are kept.
// Errors: KindInvalid (field named), KindForbidden (actor).
func (s *Service) SetRules(ctx context.Context, in Rules) (string, error) {
	const op = jukinet.OpGovRulesSet
	id := newID()
	err := s.act(ctx, op, "rules="+string(in.Article), func(tx *store.Tx, today jukinet.Date) error {
		var fe jukinet.FieldErrors // every field in error, at once
		fe.Add(oneOf(op, "article", in.Article, RulesIDs, RulesTemplates))
		fe.Add(required(op, "body", in.Body))
		fe.Add(requiredDate(op, "set_on", in.SetOn))
		if in.SetOn.After(today) {
			fe.Add(jukinet.Errorf(string(op), jukinet.KindInvalid, "set_on", "set_on %s is after today %s", in.SetOn, today))
		}
		if err := fe.Err(); err != nil {
			return err
		}
		if err := requireRole(tx, op, today, RoleAccessControlManager); err != nil {
			return err
		}
		_, err := tx.Exec(`INSERT INTO gov_rules (id, article, body, set_on, set_by) VALUES ($1,$2,$3,$4,$5)`,
			id, string(in.Article), in.Body, in.SetOn.String(), tx.Actor().CollationID)
		return internal(op, err)
	})
	if err != nil {
		return "", err
	}
	return id, nil
}
