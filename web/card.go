package web

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/card"
	"github.com/jukinet/jukinet/node"
	"github.com/jukinet/jukinet/register"
)

// errNoCardReader answers the card screens of a terminal without a reader.
var errNoCardReader = jukinet.E("web.card", jukinet.KindUnavailable, "この端末にはカードリーダーが接続されていません")

func cardIssuePage() formPage {
	return formPage{Title: "個人番号カードの交付", Action: "/counter/card-issue", Submit: "交付を記録",
		Help: "カードをリーダーに置き、本人が暗証番号（利用者証明用、4桁）を設定します。暗証番号はカードにだけ書き込まれ、システムには記録されません。",
		Fields: []formField{
			{"resident_code", "住民票コード", "text", "11桁", true, nil},
			{"card_serial", "カードのシリアル番号", "text", "カードから読み取り（英数字4〜32文字）", true, nil},
			{"pin", "暗証番号", "password", "4桁（本人が入力）", true, nil},
		}}
}

func (s *server) cardIssueForm(w http.ResponseWriter, r *http.Request) error {
	if s.cfg.Flows == nil || s.cfg.Cards == nil {
		return errNoCardReader
	}
	return s.render(w, r, "form", cardIssuePage())
}

// cardIssueSubmit: the reader hands over the card with the holder's PIN
// set on it; the CS records the card's certificate (IssueCard, logged).
func (s *server) cardIssueSubmit(w http.ResponseWriter, r *http.Request) error {
	if s.cfg.Flows == nil || s.cfg.Cards == nil {
		return errNoCardReader
	}
	p := cardIssuePage()
	if err := r.ParseForm(); err != nil {
		return jukinet.E("web.cardIssue", jukinet.KindInvalid, "フォームを読み取れません")
	}
	f := r.PostForm
	code, serial := jukinet.ResidentCode(strings.TrimSpace(f.Get("resident_code"))), strings.TrimSpace(f.Get("card_serial"))
	var err error
	switch {
	case !jukinet.ValidResidentCode(string(code)):
		err = jukinet.Errorf("web.cardIssue", jukinet.KindInvalid, "resident_code", "11桁の住民票コードではありません")
	case !card.ValidPIN(f.Get("pin")):
		err = jukinet.Errorf("web.cardIssue", jukinet.KindInvalid, "pin", "4桁の数字で設定してください")
	default:
		var c card.Card
		if c, err = s.cfg.Cards.Issue(serial, f.Get("pin")); err != nil {
			err = jukinet.Errorf("web.cardIssue", jukinet.KindInvalid, "card_serial", "カードを読み取れません（%v）", err)
		} else {
			err = s.cfg.Flows.IssueCard(r.Context(), node.IssueCardInput{ResidentCode: code, Serial: c.Serial(), Certificate: c.Certificate()})
		}
	}
	r.PostForm.Del("pin") // never echo the PIN back
	if err == nil {
		http.Redirect(w, r, "/residents/"+string(code)+"?"+url.Values{"purpose": {"個人番号カード交付の確認"}, "done": {"card-issue"}}.Encode(), http.StatusSeeOther)
		return nil
	}
	return s.formFailed(w, r, p, err)
}

// presentedCard is the card in the reader with the serial the form names.
func (s *server) presentedCard(serial string) (card.Card, error) {
	if s.cfg.Cards == nil {
		return nil, errNoCardReader
	}
	c, err := s.cfg.Cards.Card(strings.TrimSpace(serial))
	if errors.Is(err, card.ErrNoCard) {
		return nil, jukinet.Errorf("web.specialMoveIn", jukinet.KindUnauthorized, "card_serial", "リーダーにこのシリアル番号のカードがありません")
	}
	return c, err
}

// specialMembers parses the 同一世帯員 field: resident codes separated by
// spaces or commas, each optionally followed by ":続柄".
func specialMembers(v string) ([]node.SpecialMember, error) {
	var out []node.SpecialMember
	for _, tok := range strings.FieldsFunc(v, func(r rune) bool { return r == ' ' || r == ',' || r == '、' || r == '\u3000' || r == '\n' }) {
		code, rel, _ := strings.Cut(tok, ":")
		if !jukinet.ValidResidentCode(code) {
			return nil, jukinet.Errorf("web.specialMoveIn", jukinet.KindInvalid, "members", "%d人目: 11桁の住民票コードではありません", len(out)+1)
		}
		out = append(out, node.SpecialMember{ResidentCode: jukinet.ResidentCode(code), Relationship: rel})
	}
	return out, nil
}

// specialInput reads the 特例転入 form: the card comes from the reader, the
// PIN goes to the card.
func (s *server) specialInput(code jukinet.ResidentCode, f url.Values) (node.SpecialMoveInInput, error) {
	md, err := dateOf(f, "move_in_date")
	if err != nil {
		return node.SpecialMoveInInput{}, err
	}
	members, err := specialMembers(f.Get("members"))
	if err != nil {
		return node.SpecialMoveInInput{}, err
	}
	c, err := s.presentedCard(f.Get("card_serial"))
	if err != nil {
		return node.SpecialMoveInInput{}, err
	}
	return node.SpecialMoveInInput{ResidentCode: code, Card: c, PIN: f.Get("pin"), MoveInDate: md, Members: members,
		AddressText: strings.TrimSpace(f.Get("address_text")),
		Household:   register.HouseholdChoice{ID: strings.TrimSpace(f.Get("household.id")), Relationship: strings.TrimSpace(f.Get("household.relationship"))}}, nil
}

// membersField maps the node's members[i] fields to the form's one field.
func membersField(err error) error {
	if f := string(jukinet.ErrorField(err)); strings.HasPrefix(f, "members[") {
		return jukinet.Errorf("web.specialMoveIn", jukinet.ErrorKind(err), "members", "%s: %s", f, ruleOf(err))
	}
	return err
}
