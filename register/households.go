package register

import (
	"context"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/store"
)

// HouseholdSplitInput records a 世帯分離: members leave their household and form
// a new one at the same address, headed by NewHead.
type HouseholdSplitInput struct {
	Members       []jukinet.ResidentCode          `json:"members"`
	NewHead       jukinet.ResidentCode            `json:"new_head"`
	Relationships map[jukinet.ResidentCode]string `json:"relationships,omitempty"` // 続柄 in the new household (others than the head)
	Date          jukinet.Date                    `json:"date"`
}

// HouseholdSplit records a 世帯分離.
func (g *Register) HouseholdSplit(ctx context.Context, in HouseholdSplitInput) ([]*Resident, error) {
	const op = "register.HouseholdSplit"
	var fe jukinet.FieldErrors // every field in error, at once
	if len(in.Members) == 0 {
		fe.Add(jukinet.Errorf(op, jukinet.KindInvalid, "members", "required"))
	}
	if !containsCode(in.Members, in.NewHead) {
		fe.Add(jukinet.Errorf(op, jukinet.KindInvalid, "new_head", "must be one of the members"))
	}
	fe.Add(g.checkDate(op, "date", in.Date))
	if err := fe.Err(); err != nil {
		return nil, err
	}
	var out []*Resident
	err := g.update(ctx, jukinet.OpHouseholdSplit, in.NewHead, "", func(tx *store.Tx) error {
		var from string
		movers := make([]*Resident, 0, len(in.Members))
		for _, c := range in.Members {
			r, err := loadCurrent(tx, op, "members", c)
			if err != nil {
				return err
			}
			if from == "" {
				from = r.HouseholdID
			} else if r.HouseholdID != from {
				return jukinet.Errorf(op, jukinet.KindInvalid, "members", "all members must belong to one household")
			}
			if r.Relationship == RelationshipHead {
				return jukinet.Errorf(op, jukinet.KindConflict, "members", "a member is the householder of the household being split")
			}
			movers = append(movers, r)
		}
		hh, err := loadHousehold(tx, op, from)
		if err != nil {
			return err
		}
		householdID := newID()
		if _, err := tx.Exec(`INSERT INTO households (id, head_code, address_lg, address_text, created_at) VALUES ($1,$2,$3,$4,$5)`,
			householdID, string(in.NewHead), string(hh.Address.LGCode), hh.Address.Text, tx.NowMicro()); err != nil {
			return jukinet.E(op, jukinet.KindInternal, err)
		}
		for _, r := range movers {
			prev := *r
			r.HouseholdID = householdID
			r.Relationship = in.Relationships[r.ResidentCode]
			if r.ResidentCode == in.NewHead {
				r.Relationship = RelationshipHead
			} else if r.Relationship == "" {
				return jukinet.Errorf(op, jukinet.KindInvalid, "relationships", "the 続柄 of every member in the new household is required")
			}
			if err := g.record(tx, jukinet.OpHouseholdSplit, r, &prev, jukinet.ChangeInfo{Reason: jukinet.ReasonHouseholdSplit, Date: in.Date}, false); err != nil {
				return err
			}
			out = append(out, r)
		}
		tx.SetSubject(string(in.NewHead))
		return nil
	})
	return out, err
}

// HouseholdMergeInput records a 世帯合併: every member of From joins Into.
type HouseholdMergeInput struct {
	From          string                          `json:"from"`
	Into          string                          `json:"into"`
	Relationships map[jukinet.ResidentCode]string `json:"relationships"` // 続柄 in the merged household, for every member of From
	Date          jukinet.Date                    `json:"date"`
}

// HouseholdMerge records a 世帯合併 (both households at the same address).
func (g *Register) HouseholdMerge(ctx context.Context, in HouseholdMergeInput) ([]*Resident, error) {
	const op = "register.HouseholdMerge"
	var fe jukinet.FieldErrors // every field in error, at once
	if in.From == "" || in.Into == "" || in.From == in.Into {
		fe.Add(jukinet.Errorf(op, jukinet.KindInvalid, "into", "give two different households"))
	}
	fe.Add(g.checkDate(op, "date", in.Date))
	if err := fe.Err(); err != nil {
		return nil, err
	}
	var out []*Resident
	err := g.update(ctx, jukinet.OpHouseholdMerge, "", "", func(tx *store.Tx) error {
		from, err := loadHousehold(tx, op, in.From)
		if err != nil {
			return err
		}
		into, err := loadHousehold(tx, op, in.Into)
		if err != nil {
			return err
		}
		if from.Address != into.Address {
			return jukinet.Errorf(op, jukinet.KindConflict, "into", "households at different addresses cannot merge: record a 転居 first")
		}
		members, err := householdMembers(tx, in.From)
		if err != nil {
			return jukinet.E(op, jukinet.KindInternal, err)
		}
		for _, r := range members {
			rel := in.Relationships[r.ResidentCode]
			if rel == "" || rel == RelationshipHead {
				return jukinet.Errorf(op, jukinet.KindInvalid, "relationships", "a 続柄 other than 世帯主 is required for every member")
			}
			prev := *r
			r.HouseholdID, r.Relationship = in.Into, rel
			if err := g.record(tx, jukinet.OpHouseholdMerge, r, &prev, jukinet.ChangeInfo{Reason: jukinet.ReasonHouseholdMerge, Date: in.Date}, false); err != nil {
				return err
			}
			out = append(out, r)
		}
		_, err = tx.Exec(`UPDATE households SET dissolved_at = $1 WHERE id = $2`, tx.NowMicro(), in.From)
		if err == nil && len(out) > 0 {
			tx.SetSubject(string(out[0].ResidentCode))
		}
		return err
	})
	return out, err
}

// HouseholdChangeInput records a 世帯変更: one member moves to another household at the same address.
type HouseholdChangeInput struct {
	ResidentCode jukinet.ResidentCode `json:"resident_code"`
	Into         string               `json:"into"`
	Relationship string               `json:"relationship"`
	Date         jukinet.Date         `json:"date"`
}

// HouseholdChange records a 世帯変更.
func (g *Register) HouseholdChange(ctx context.Context, in HouseholdChangeInput) (*Resident, error) {
	const op = "register.HouseholdChange"
	var fe jukinet.FieldErrors // every field in error, at once
	if in.Relationship == "" || in.Relationship == RelationshipHead {
		fe.Add(jukinet.Errorf(op, jukinet.KindInvalid, "relationship", "a 続柄 other than 世帯主 is required"))
	}
	if !in.Date.IsZero() {
		fe.Add(g.checkDate(op, "date", in.Date))
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	return g.change(ctx, op, jukinet.OpHouseholdChange, jukinet.ReasonHouseholdChange, ChangeInput{ResidentCode: in.ResidentCode, Date: in.Date}, func(r *Resident) (jukinet.ChangeReason, error) {
		return 0, nil
	}, func(tx *store.Tx, r *Resident) error {
		if r.HouseholdID == in.Into {
			return jukinet.Errorf(op, jukinet.KindInvalid, "into", "already in that household")
		}
		into, err := loadHousehold(tx, op, in.Into)
		if err != nil {
			return err
		}
		if into.Address != r.Address {
			return jukinet.Errorf(op, jukinet.KindConflict, "into", "the household is at another address: record a 転居 instead")
		}
		if err := leaveHousehold(tx, op, r, false); err != nil {
			return err
		}
		r.HouseholdID, r.Relationship = in.Into, in.Relationship
		return nil
	})
}

// HouseholderChangeInput records a 世帯主変更.
type HouseholderChangeInput struct {
	HouseholdID   string                          `json:"household_id"`
	NewHead       jukinet.ResidentCode            `json:"new_head"`
	Relationships map[jukinet.ResidentCode]string `json:"relationships,omitempty"` // new 続柄 of the other members (optional)
	Date          jukinet.Date                    `json:"date"`
}

// HouseholderChange records a 世帯主変更; the former head becomes an ordinary member.
func (g *Register) HouseholderChange(ctx context.Context, in HouseholderChangeInput) ([]*Resident, error) {
	const op = "register.HouseholderChange"
	if err := g.checkDate(op, "date", in.Date); err != nil {
		return nil, err
	}
	var out []*Resident
	err := g.update(ctx, jukinet.OpHouseholderChange, in.NewHead, "", func(tx *store.Tx) error {
		hh, err := loadHousehold(tx, op, in.HouseholdID)
		if err != nil {
			return err
		}
		if hh.HeadCode == string(in.NewHead) {
			return jukinet.Errorf(op, jukinet.KindInvalid, "new_head", "is already the householder")
		}
		members, err := householdMembers(tx, in.HouseholdID)
		if err != nil {
			return jukinet.E(op, jukinet.KindInternal, err)
		}
		found := false
		for _, m := range members {
			found = found || m.ResidentCode == in.NewHead
		}
		if !found {
			return jukinet.Errorf(op, jukinet.KindInvalid, "new_head", "%s is not a member of the household", in.NewHead)
		}
		for _, m := range members {
			prev := *m
			switch {
			case m.ResidentCode == in.NewHead:
				m.Relationship = RelationshipHead
			case in.Relationships[m.ResidentCode] != "":
				m.Relationship = in.Relationships[m.ResidentCode]
			case m.Relationship == RelationshipHead:
				return jukinet.Errorf(op, jukinet.KindInvalid, "relationships", "the new 続柄 of the former householder is required")
			default:
				continue
			}
			if err := g.record(tx, jukinet.OpHouseholderChange, m, &prev, jukinet.ChangeInfo{Reason: jukinet.ReasonHouseholderChange, Date: in.Date}, false); err != nil {
				return err
			}
			out = append(out, m)
		}
		_, err = tx.Exec(`UPDATE households SET head_code = $1 WHERE id = $2`, string(in.NewHead), in.HouseholdID)
		tx.SetSubject(string(in.NewHead))
		return err
	})
	return out, err
}

func containsCode(list []jukinet.ResidentCode, c jukinet.ResidentCode) bool {
	for _, x := range list {
		if x == c {
			return true
		}
	}
	return false
}
