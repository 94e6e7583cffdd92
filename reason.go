package jukinet

import (
	"strconv"
	"strings"
)

// ChangeClass is the class of a change to a resident record: 記載 (a record
// is added), 消除 (removed) or 修正 (changed). The identity information is
// reported to the prefecture on each of them (法30条の6).
type ChangeClass uint8

// Change classes; each is also the hundreds digit of its reasons' codes.
const (
	ClassAdd    ChangeClass = 1 // 記載
	ClassRemove ChangeClass = 2 // 消除
	ClassChange ChangeClass = 3 // 修正
)

// String returns "add", "remove" or "change" ("class(N)" if invalid).
func (c ChangeClass) String() string {
	switch c {
	case ClassAdd:
		return "add"
	case ClassRemove:
		return "remove"
	case ClassChange:
		return "change"
	}
	return "class(" + strconv.Itoa(int(c)) + ")"
}

// Japanese returns "記載", "消除" or "修正" ("" if invalid).
func (c ChangeClass) Japanese() string {
	switch c {
	case ClassAdd:
		return "記載"
	case ClassRemove:
		return "消除"
	case ClassChange:
		return "修正"
	}
	return ""
}

// ChangeReason is an 異動事由, the reason a record was added, removed or
// changed (住民記録システム標準仕様書; docs/domain.md §2). The numeric codes are
// jukinet's own (the J-LIS wire codes are not public) and cross the network,
// so they are append-only: never renumber or reuse one. 1xx = 記載, 2xx = 消除,
// 3xx = 修正.
type ChangeReason uint16

// 記載 (a record is added).
const (
	ReasonMoveInDomestic       ChangeReason = 101 // 国内転入
	ReasonMoveInFromAbroad     ChangeReason = 102 // 国外転入
	ReasonBirth                ChangeReason = 103 // 出生
	ReasonExOfficioAdd         ChangeReason = 104 // 職権記載
	ReasonNaturalizationAdd    ChangeReason = 105 // 職権記載(帰化)
	ReasonLossOfNationalityAdd ChangeReason = 106 // 職権記載(国籍喪失)
	ReasonRemakeAdd            ChangeReason = 107 // 改製
	ReasonReissueAdd           ChangeReason = 108 // 再製
	ReasonCancellationAdd      ChangeReason = 109 // 異動の取消し(増)
)

// 消除 (a record is removed).
const (
	ReasonMoveOutDomestic         ChangeReason = 201 // 国内転出
	ReasonMoveOutAbroad           ChangeReason = 202 // 国外転出
	ReasonDeath                   ChangeReason = 203 // 死亡
	ReasonExOfficioRemove         ChangeReason = 204 // 職権消除
	ReasonNaturalizationRemove    ChangeReason = 205 // 職権消除(帰化)
	ReasonLossOfNationalityRemove ChangeReason = 206 // 職権消除(国籍喪失)
	ReasonRemakeRemove            ChangeReason = 207 // 改製
	ReasonReissueRemove           ChangeReason = 208 // 再製
	ReasonCancellationRemove      ChangeReason = 209 // 異動の取消し(減)
)

// 修正 (a record is changed).
const (
	ReasonMoveWithin                          ChangeReason = 301 // 転居
	ReasonMinorCorrection                     ChangeReason = 302 // 軽微な修正
	ReasonExOfficioCorrection                 ChangeReason = 303 // 職権修正
	ReasonClericalCorrection                  ChangeReason = 304 // 誤記修正
	ReasonIndividualNumberChangeRequest       ChangeReason = 305 // 個人番号の変更請求
	ReasonIndividualNumberExOfficioCorrection ChangeReason = 306 // 個人番号の職権修正
	ReasonIndividualNumberExOfficioAdd        ChangeReason = 307 // 個人番号の職権記載
	ReasonResidentCodeChangeRequest           ChangeReason = 308 // 住民票コードの変更請求
	ReasonResidentCodeExOfficioAdd            ChangeReason = 309 // 住民票コードの職権記載
	ReasonHouseholdSplit                      ChangeReason = 310 // 世帯分離
	ReasonHouseholdMerge                      ChangeReason = 311 // 世帯合併
	ReasonHouseholdChange                     ChangeReason = 312 // 世帯変更
	ReasonHouseholderChange                   ChangeReason = 313 // 世帯主変更
	ReasonFormerSurnameAdd                    ChangeReason = 314 // 旧氏の記載
	ReasonFormerSurnameChange                 ChangeReason = 315 // 旧氏の変更
	ReasonFormerSurnameDelete                 ChangeReason = 316 // 旧氏の削除
	ReasonAliasAdd                            ChangeReason = 317 // 通称の記載
	ReasonAliasDelete                         ChangeReason = 318 // 通称の削除
	ReasonNameChange                          ChangeReason = 319 // 氏名の変更
	ReasonCancellationChange                  ChangeReason = 320 // 異動の取消し(修正)
)

type reasonInfo struct {
	slug, japanese string
}

// reasonsByClass[class-1][code%100-1]; codes are dense within each class.
var reasonsByClass = [3][]reasonInfo{
	{ // 1xx 記載
		{"move_in_domestic", "国内転入"},
		{"move_in_from_abroad", "国外転入"},
		{"birth", "出生"},
		{"ex_officio_add", "職権記載"},
		{"naturalization_add", "職権記載(帰化)"},
		{"loss_of_nationality_add", "職権記載(国籍喪失)"},
		{"remake_add", "改製(記載)"},
		{"reissue_add", "再製(記載)"},
		{"cancellation_add", "異動の取消し(増)"},
	},
	{ // 2xx 消除
		{"move_out_domestic", "国内転出"},
		{"move_out_abroad", "国外転出"},
		{"death", "死亡"},
		{"ex_officio_remove", "職権消除"},
		{"naturalization_remove", "職権消除(帰化)"},
		{"loss_of_nationality_remove", "職権消除(国籍喪失)"},
		{"remake_remove", "改製(消除)"},
		{"reissue_remove", "再製(消除)"},
		{"cancellation_remove", "異動の取消し(減)"},
	},
	{ // 3xx 修正
		{"move_within", "転居"},
		{"minor_correction", "軽微な修正"},
		{"ex_officio_correction", "職権修正"},
		{"clerical_correction", "誤記修正"},
		{"individual_number_change_request", "個人番号の変更請求"},
		{"individual_number_ex_officio_correction", "個人番号の職権修正"},
		{"individual_number_ex_officio_add", "個人番号の職権記載"},
		{"resident_code_change_request", "住民票コードの変更請求"},
		{"resident_code_ex_officio_add", "住民票コードの職権記載"},
		{"household_split", "世帯分離"},
		{"household_merge", "世帯合併"},
		{"household_change", "世帯変更"},
		{"householder_change", "世帯主変更"},
		{"former_surname_add", "旧氏の記載"},
		{"former_surname_change", "旧氏の変更"},
		{"former_surname_delete", "旧氏の削除"},
		{"alias_add", "通称の記載"},
		{"alias_delete", "通称の削除"},
		{"name_change", "氏名の変更"},
		{"cancellation_change", "異動の取消し(修正)"},
	},
}

func (r ChangeReason) info() (reasonInfo, bool) {
	class, n := int(r/100), int(r%100)
	if class < 1 || class > len(reasonsByClass) || n < 1 || n > len(reasonsByClass[class-1]) {
		return reasonInfo{}, false
	}
	return reasonsByClass[class-1][n-1], true
}

// Valid reports whether r is a defined reason.
func (r ChangeReason) Valid() bool {
	_, ok := r.info()
	return ok
}

// Class returns the class of r, or 0 if r is not valid.
func (r ChangeReason) Class() ChangeClass {
	if !r.Valid() {
		return 0
	}
	return ChangeClass(r / 100)
}

// String returns the stable English slug, e.g. "move_in_domestic"
// ("reason(N)" if r is not valid).
func (r ChangeReason) String() string {
	if i, ok := r.info(); ok {
		return i.slug
	}
	return "reason(" + strconv.Itoa(int(r)) + ")"
}

// Japanese returns the Japanese name, e.g. "国内転入" ("" if r is not valid).
// 改製 and 再製 exist as both 記載 and 消除 and say which in parentheses.
func (r ChangeReason) Japanese() string {
	i, _ := r.info()
	return i.japanese
}

// ParseChangeReason accepts a slug ("move_in_domestic") or a numeric code
// ("101"), surrounding white space trimmed. Errors: KindInvalid, field "reason".
func ParseChangeReason(s string) (ChangeReason, error) {
	const op = "jukinet.ParseChangeReason"
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, E(op, KindInvalid, Field("reason"), "required")
	}
	if n, ok := number(s, 3, 3); ok {
		if r := ChangeReason(n); r.Valid() {
			return r, nil
		}
		return 0, E(op, KindInvalid, Field("reason"), "unknown reason code "+s)
	}
	for ci, infos := range reasonsByClass {
		for i, info := range infos {
			if info.slug == s {
				return ChangeReason((ci+1)*100 + i + 1), nil
			}
		}
	}
	if len(s) > 64 {
		s = s[:64] + "…"
	}
	return 0, E(op, KindInvalid, Field("reason"), "unknown reason "+strconv.Quote(s))
}

// ChangeReasons returns every reason in code order.
func ChangeReasons() []ChangeReason {
	var all []ChangeReason
	for ci, infos := range reasonsByClass {
		for i := range infos {
			all = append(all, ChangeReason((ci+1)*100+i+1))
		}
	}
	return all
}

// MarshalText encodes r as its slug, and the zero value (unset) as "".
// Errors: KindInvalid if r is another invalid value.
func (r ChangeReason) MarshalText() ([]byte, error) {
	if r == 0 {
		return []byte{}, nil
	}
	if !r.Valid() {
		return nil, E("jukinet.ChangeReason.MarshalText", KindInvalid, Field("reason"), "unknown reason code "+strconv.Itoa(int(r)))
	}
	return []byte(r.String()), nil
}

// UnmarshalText accepts what ParseChangeReason accepts; "" gives the zero value.
func (r *ChangeReason) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*r = 0
		return nil
	}
	v, err := ParseChangeReason(string(b))
	if err != nil {
		return err
	}
	*r = v
	return nil
}
