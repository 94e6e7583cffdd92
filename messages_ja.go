package jukinet

import (
	"errors"
	"regexp"
	"strings"
	"unicode/utf8"
)

// JapaneseMessage is the text shown to a user (利用者向けメッセージ) for err:
// the rule a backend error names (in English, for logs and APIs) in clear
// Japanese. A message that is already Japanese is kept; a rule the table
// does not know falls back to a sentence per Kind followed by the original
// rule; internal and unclassified errors show a generic sentence only, since
// their details belong in the log (as UserMessage). nil gives "".
func JapaneseMessage(err error) string {
	if err == nil {
		return ""
	}
	msg, _ := japaneseMessage(err)
	return msg
}

// japaneseMessage is JapaneseMessage and whether the table knew the rule
// (false: the generic fallback was used).
func japaneseMessage(err error) (string, bool) {
	kind := ErrorKind(err)
	if _, known := kindJapanese[kind]; !known || kind == KindInternal {
		return kindJapanese[KindInternal], true
	}
	rule := innermostMessage(err)
	if rule == "" {
		return kindJapanese[kind], true
	}
	if ja, ok := translateRule(rule, 0); ok {
		return ja, true
	}
	return kindJapanese[kind] + "（" + rule + "）", false
}

// innermostMessage is the message of the innermost *Error that has one:
// the rule broken, without the operations it passed through.
func innermostMessage(err error) string {
	var many FieldErrors
	if errors.As(err, &many) && len(many) > 0 {
		return innermostMessage(many[0]) // the first rule; a form shows each
	}
	msg := ""
	for e := err; e != nil; e = errors.Unwrap(e) {
		if je, ok := e.(*Error); ok && je.Message != "" {
			msg = je.Message
		}
	}
	if msg == "" {
		var je *Error
		if !errors.As(err, &je) {
			return err.Error()
		}
	}
	return strings.TrimSpace(msg)
}

// translateRule finds the first rule of the table that matches msg. depth
// bounds the recursion of "line N: …" prefixes.
func translateRule(msg string, depth int) (string, bool) {
	if isJapaneseText(msg) {
		return msg, true
	}
	if depth < 3 {
		if m := linePrefix.FindStringSubmatch(msg); m != nil {
			if ja, ok := translateRule(m[2], depth+1); ok {
				return m[1] + "行目: " + ja, true
			}
			return "", false
		}
	}
	for _, r := range japaneseRules {
		if idx := r.re.FindStringSubmatchIndex(msg); idx != nil {
			return string(r.re.ExpandString(nil, r.ja, msg, idx)), true
		}
	}
	return "", false
}

var linePrefix = regexp.MustCompile(`^line (\d+): (.+)$`)

// isJapaneseText: messages written for users already (the web's own checks)
// have Japanese and no ASCII words.
func isJapaneseText(s string) bool {
	japanese := false
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z':
			return false
		case r >= utf8.RuneSelf:
			japanese = true
		}
	}
	return japanese
}

// kindJapanese is the generic sentence for each kind.
var kindJapanese = map[Kind]string{
	KindInvalid:      "入力内容を確認してください。",
	KindNotFound:     "該当するものが見つかりません。",
	KindConflict:     "現在の状態では、この処理はできません。",
	KindUnauthorized: "認証できませんでした。",
	KindForbidden:    "この操作を行う権限がありません。",
	KindInternal:     "システム内部でエラーが発生しました。しばらくしてからやり直し、続く場合はシステム管理者に連絡してください。",
	KindUnavailable:  "相手のサーバに接続できません。しばらくしてからやり直してください。",
	KindTooLarge:     "大きすぎます（上限を超えています）。",
	KindRateLimited:  "要求が多すぎます。しばらくしてからやり直してください。",
	KindLocked:       "ロックされています。",
	KindExpired:      "期限が切れています。",
}

type japaneseRule struct {
	re *regexp.Regexp
	ja string // may refer to the pattern's groups as ${1}
}

// japaneseRules translate the rule messages of the register, access, flows
// (node) and governance packages and of the root types. Specific rules come
// first; the generic ones ("required", "too long"…) last. The test walks the
// packages' sources and checks every message matches one.
var japaneseRules = func() []japaneseRule {
	table := [][2]string{
		// Dates (jukinet.ParseDate) and date rules.
		{`^want (ISO )?YYYY-MM-DD|^not a date: |^too long; want`, "日付は 2025-04-01、2025/4/1 または 令和7年4月1日 の形で入力してください。"},
		{`^year must be between`, "年は1から9999の間で入力してください。"},
		{`^month must be between 1 and 12$`, "月は1から12の間で入力してください。"},
		{`^day (\d+) does not exist in (\d+)-(\d+)$`, "${2}年${3}月に${1}日はありません。"},
		{`^era year must be 1`, "和暦の年は元年（1年）以上で入力してください。"},
		{`^(\S+) began on (\S+)$`, "${1}は${2}に始まりました。それより前の日付は前の元号で入力してください。"},
		{`^(\S+) ended before (\S+)$`, "${1}は${2}の前日で終わりました。新しい元号で入力してください。"},
		{`is in the future$`, "未来の日付は入力できません。"},
		{`^before the birth date$`, "生年月日より前の日付です。"},
		{`^before the current address was set \((.+)\)$`, "現在の住所を定めた日（${1}）より前の日付です。"},
		{`^before the person became a resident \((.+)\)$`, "住民となった日（${1}）より前の日付です。"},
		{`^before the move-in date$`, "転入日より前の日付です。"},
		{`^the envelope's ordering key or version \((\d+)\) differ from the body's \((\d+)\)$`, "封筒の順序キーまたは版（${1}）が本文（${2}）と一致しません。"},
		{`^a measure lasts at most a year`, "支援措置の期間は1年以内です。延長は新たな申出で行います。"},
		{`^must be dv, stalking, child_abuse or similar$`, "支援の種類を選んでください（DV、ストーカー行為等、児童虐待、これらに準ずる行為）。"},
		{`^no support measure is open for this person$`, "この方に設定中の支援措置はありません。"},
		{`^not a current resident here$`, "この市区町村の住民ではありません。"},
		{`^required, not before the start$`, "終了日を開始日以降の日付で入力してください。"},
		{`^is not an address in (\S+): `, "${1}の住所ではありません（この市区町村の住所だけを記録できます）。"},
		{`^(\S+) \S+ is before (\S+) \S+$`, "日付の前後が正しくありません（${1} が ${2} より前になっています）。"},

		// Codes (住民票コード, 個人番号, 地方公共団体コード).
		{`check digit does not match`, "検査数字が一致しません。番号を確かめてください。"},
		{`^must be (\d+) digits, got (\d+)$`, "${1}桁で入力してください（${2}桁入力されています）。"},
		{`^non-digit character at position (\d+)$`, "${1}文字目に数字以外の文字があります。"},
		{`^only single spaces or hyphens between digits`, "数字の区切りには空白またはハイフンを一つずつだけ使えます。"},
		{`^prefecture part \(first 2 digits\) must be 01–47`, "先頭2桁（都道府県）は01から47です。"},
		{`^need exactly \d+ ASCII digits$|^must be \d+ ASCII digits without separators$`, "桁数が正しくありません。"},
		{`住民票コード \(11 digits|^not a resident code`, "住民票コード（11桁、検査数字付き）が正しくありません。"},
		{`^not an individual number$`, "個人番号の形式が正しくありません。"},
		{`not a municipality's code$`, "市区町村の地方公共団体コードではありません。"},
		{`is not a prefecture's code$`, "都道府県の地方公共団体コードではありません。"},

		// Text.
		{`^not valid UTF-8$`, "文字コードが正しくありません。"},
		{`^longer than (\d+) characters$`, "${1}文字以内で入力してください。"},
		{`control character`, "制御文字は使えません。"},
		{`^reading may contain only kana`, "ふりがなはカタカナ・ひらがな（ー・・・空白を含む）で入力してください。"},
		{`^must not be only white space$`, "空白だけの入力はできません。"},
		{`^a reading needs the part it reads$`, "ふりがなだけでなく、読む対象（旧氏・通称）も入力してください。"},
		{`^must be male or female$|want "male" or "female"|^unknown value`, "男または女を選択してください。"},
		{`required, at most (\d+) characters$`, "入力してください（${1}文字以内）。"},
		{`required, at most (\d+) bytes$`, "入力してください（${1}バイト以内）。"},
		{`must be valid text of at most (\d+) characters$`, "${1}文字以内で入力してください。"},
		{`^at most (\d+) characters$`, "${1}文字以内で入力してください。"},
		{`must be 1–32 letters, digits, '-' or '_'$`, "半角英数字・ハイフン・下線で1〜32文字で入力してください。"},
		{`^4 to 32 ASCII letters or digits$`, "半角英数字4〜32文字で入力してください。"},
		{`^1 to 32 ASCII letters or digits$`, "半角英数字1〜32文字で入力してください。"},
		{`^4 digits$`, "4桁の数字で入力してください。"},

		// The register (住民基本台帳).
		{`^required: the country or address abroad$`, "国名または国外の住所を入力してください。"},
		{`^required when joining an existing household$`, "既存の世帯に入る場合は続柄を入力してください。"},
		{`^required with a former surname$`, "旧氏を記載する場合は、旧氏のふりがなも入力してください。"},
		{`the household already has a householder`, "その世帯には世帯主がいます。世帯主を替える場合は世帯主変更を記録してください。"},
		{`is the householder of a household with other members`, "この住民は世帯主で、ほかに世帯員がいます。先に世帯主変更を記録してください。"},
		{`is the householder of the household being split$`, "分離元の世帯の世帯主は世帯分離で移れません。先に世帯主変更を記録するか、世帯員を選んでください。"},
		{`^differs from the address of household`, "住所が、入る世帯の住所と異なります。"},
		{`^no household (\S+)$`, "世帯番号 ${1} の世帯はありません。"},
		{`has no members left$`, "その世帯には世帯員がいません（消滅した世帯です）。"},
		{`^is the current address$`, "現在の住所と同じです。"},
		{`^is the current name$`, "現在の氏名と同じです。"},
		{`^there is no alias to delete$`, "削除する通称が記載されていません。"},
		{`^there is no former surname to delete$`, "削除する旧氏が記載されていません。"},
		{`is not a member of the household$`, "この世帯の世帯員ではありません。"},
		{`^is already the householder$`, "既に世帯主です。"},
		{`^must be one of the members$`, "新しい世帯主は、移る世帯員の中から選んでください。"},
		{`^all members must belong to one household$`, "移る世帯員は、同じ世帯の人にしてください。"},
		{`^give two different households$`, "異なる二つの世帯を指定してください。"},
		{`households at different addresses cannot merge`, "住所の異なる世帯は合併できません。先に転居を記録してください。"},
		{`the household is at another address`, "その世帯は別の住所にあります。転居を記録してください。"},
		{`^already in that household$`, "既にその世帯に属しています。"},
		{`a 続柄 other than 世帯主 is required`, "世帯主以外の続柄を入力してください。"},
		{`続柄 of (\S+|every member) in the new household is required`, "新しい世帯での続柄を入力してください（世帯主以外の全員）。"},
		{`the new 続柄 of the former householder`, "これまでの世帯主の、新しい世帯主からみた続柄を入力してください。"},
		{`must have exactly one 世帯主`, "世帯には世帯主が一人だけ必要です。"},
		{`a move within the municipality is a 転居, not a 転出`, "同じ市区町村の中での移動は転居です（転出ではありません）。"},
		{`a move within the municipality is a 転居, not a 転入`, "同じ市区町村の中での移動は転居です（転入ではありません）。"},
		{`is already a current resident here$|^a current resident with (code \S+|this resident code) already exists$`, "この住民票コードの住民は、既に住民票に記載されています。"},
		{`resident code\(s\) in rows`, "既に記載されている住民票コードがあります。"},
		{`^nothing to correct`, "修正する項目を一つ以上入力してください。"},
		{`is not an ex-officio addition reason$`, "職権記載の事由ではありません。"},
		{`is not an ex-officio removal reason$`, "職権消除の事由ではありません。"},
		{`not an individual-number reason$`, "個人番号の指定の事由ではありません。"},
		{`^is already designated to this resident$`, "その個人番号は既にこの住民に指定されています。"},
		{`individual number or resident code is already designated to a current resident`, "個人番号または住民票コードが、既に他の住民に記載されています。"},
		{`already designated to another current resident$`, "その個人番号は他の住民に指定されています。"},
		{`is not a current resident \(removed record only\)`, "この住民は住民票に記載されていません（消除された除票だけがあります）。"},
		{`the resident-code pool is empty: the national server was restored`, "住民票コードの在庫がありません。全国サーバがバックアップから復元され、すべての市区町村から保有する住民票コードの報告が揃うまで払出しを止めています。揃い次第、要求中の払出しが届きます。"},
		{`the resident-code pool is empty`, "住民票コードの在庫がありません。全国サーバに補充を求めてください。"},
		{`^waiting for the national server to confirm the resident-code pool`, "起動時の確認として、全国サーバが住民票コードの払出し回数を照合するまで住民票コードを付番できません（復元したデータベースが同じコードを二度付番しないため）。回答が届き次第付番できます。"},
		{`this database was restored from a backup`, "バックアップから復元したデータベースです。未使用の住民票コードを破棄して補充を求めるまで、住民票コードを付番できません。ノードを起動してください。"},
		{`^this register has no resident-code pool`, "この登録簿には住民票コードの在庫がありません。新しい住民票コードはノードを通じて全国サーバから受け取ります。"},
		{`^a prefecture has no resident register$`, "都道府県には住民基本台帳がありません。"},
		{`^cannot read the header line$`, "CSVの見出し行を読み取れません。"},
		{`cannot be written in Shift_JIS`, "Shift_JIS で書けない文字があります。--encoding utf-8 で出力してください。"},
		{`^no resident with (code|this resident code)`, "この住民票コードの住民はいません。"},
		{`^no identity information for`, "本人確認情報がありません。"},
		{`^no notice of this person is recorded here$`, "この人の本人確認情報通知の記録がありません。"},
		{`^no (open )?CS 整合性確認 run`, "該当する整合性確認の実行がありません。"},
		{`asked for the digests of .*: a municipality may compare only its own residents$`, "整合性確認は自団体の住民についてのみ行えます。"},
		{`no 附票本人確認情報 for`, "附票本人確認情報がありません。"},
		{`^duplicate of line (\d+)$`, "${1}行目と重複しています。"},
		{`^a lookup requires a purpose or case number$`, "閲覧の目的または事案番号を入力してください。"},
		{`^give at least one of kana, kanji, birth date or address$`, "検索条件を一つ以上入力してください。"},
		{`^unknown reason`, "異動事由が正しくありません。"},
		{`^want 0 or 1, got`, "0 または 1 を入力してください。"},
		{`^unknown encoding`, "文字コードは utf-8 または sjis を指定してください。"},
		{`^column \d+ is |^want \d+ columns`, "CSVの見出し行が正しくありません。"},
		{`^no record removed by a domestic move-out`, "国内転出による除票がありません。"},
		{`a move-in notice for .+ was already recorded`, "転入通知は既に記録されています。"},
		{`^is the municipality moved out of$`, "転出元の市区町村です。"},
		{`does not change the 附票本人確認情報`, "国外に住む人の附票本人確認情報を変える事由ではありません。"},
		{`^abroad must be true exactly for a 国外転出$`, "国外転出のときだけ国外を指定します。"},
		{`the address abroad is required`, "国外の住所を入力してください（200文字以内）。"},
		{`^differs from the municipality$`, "市区町村が一致しません。"},
		{`the 本籍 is not in this municipality$`, "本籍がこの市区町村にありません。"},

		// The counter's flows (特例転入, 広域交付, 個人番号).
		{`^wrong PIN \((\d+) of \d+ tries left on the card\)$`, "暗証番号が一致しません（あと${1}回でロックされます）。"},
		{`^the card's PIN is locked after \d+ wrong PINs`, "暗証番号の誤りが続いたため、カードがロックされています（市区町村の窓口で解除します）。"},
		{`^not the card the move-out certificate information names$`, "提示されたカードは、転出証明書情報に記録されたカードではありません。"},
		{`^the card's certificate is not the one recorded for this person$`, "カードの電子証明書が、この方について記録されたものと一致しません。"},
		{`^the card did not answer the challenge$`, "カードが応答しません。"},
		{`^the card's signature does not verify with the recorded certificate$`, "カードの署名を確認できません。"},
		{`^the card's certificate has expired$`, "カードの電子証明書の有効期限が切れています。"},
		{`^the card is (\S+) and its certificate (\S+)$`, "カードが有効ではありません（カード ${1}、電子証明書 ${2}）。"},
		{`^the move-in date is after today$`, "転入日が今日より後です。"},
		{`^no card in the reader$`, "リーダーにカードがありません。"},
		{`^no 継続利用 is pending for this card$`, "このカードに継続利用の手続きは必要ありません。"},
		{`^the 継続利用 was due by`, "継続利用の期限を過ぎたため、カードは失効しています。"},
		{`^a resident code and a card in the reader are required$`, "住民票コードとリーダーのカードが必要です。"},
		{`certificate information has lapsed$`, "転出予定日から30日を過ぎたため、転出証明書情報は失効しています。"},
		{`^did not move out with the card holder`, "カードの所持者と同じ世帯・同じ日・同じ転入先で転出した方ではありません。"},
		{`^no move-out certificate information received for this member$`, "この世帯員の転出証明書情報は届いていません。"},
		{`^required: the card holder joins the household of another mover$`, "続柄を入力してください（カードの所持者は他の方の世帯に入ります）。"},
		{`^required: their 世帯主 did not move with them$`, "続柄を入力してください（世帯主が共に転入しません）。"},
		{`^not a resident code, or named twice$`, "住民票コードが正しくないか、重複しています。"},
		{`^a DER certificate of at most \d+ bytes$|^not a card certificate$`, "カードの電子証明書を読み取れません。"},
		{`^not valid today \(expired or not yet valid\)$`, "カードの電子証明書が有効期間内ではありません。"},
		{`^at most 64 bytes, relationship at most 16 characters$`, "世帯番号または続柄が長すぎます。"},
		{`^no card \S+ of this resident here$|^no card status for`, "この住民のカードの記録がありません。"},
		{`^card \S+ is already recorded$`, "このカードは既に記録されています。"},
		{`^the card is (\S+)$`, "カードが有効ではありません（${1}）。"},
		{`a certificate cannot be valid on a card that is`, "カードが有効でないため、電子証明書を有効にできません。"},
		{`special move-in must be reported within \d+ days`, "特例転入の届出は、転入した日から14日以内です。"},
		{`more than \d+ days after the planned move-out date`, "転出予定日から30日を過ぎています。"},
		{`^no move-out certificate information received`, "この住民票コードの転出証明書情報は届いていません。"},
		{`has no single current resident with this name and birth date`, "住所地の市区町村で、この氏名・生年月日の住民を一人に特定できませんでした。"},
		{`the person lives here: issue the copy locally`, "この市区町村の住民です。広域交付ではなく通常の交付をしてください。"},
		{`^the copy data is no longer held`, "写しのデータは保存期間を過ぎたため、もうありません。"},
		{`^no copy request`, "その写しの請求はありません。"},
		{`has used all \d+ number generations`, "個人番号の生成回数の上限に達しました。先に住民票コードを変更してください。"},
		{`^generated or refused$`, "応答の状態が正しくありません。"},
		{`^no 符号 for this agency under this 取得番号$`, "この取得番号で、この機関に渡せる符号はありません。"},
		{`^this 取得番号 was used before$`, "この取得番号は既に使われています。"},
		{`^an agency ID: `, "機関の識別子（英小文字・数字・_・- の1～32文字）を指定してください。"},
		{`^the 最終住民登録地 on the 転出証明書 must be another municipality$`, "転出証明書の最終住民登録地には、他の市区町村を指定してください。"},
		{`^a 国外転入 has no 転出証明書 and sends no 転入通知$`, "国外転入には転出証明書がなく、最終住民登録地は指定できません。"},
		{`^must be 記載 \(1\), 消除 \(2\) or 修正 \(3\)$`, "記載・消除・修正の区分が正しくありません。"},
		{`^a 国外転出者 has no address`, "国外転出者には住所を付けず、それ以外の者には住所が必要です。"},
		{`^no such request$|^no pending request with this number$`, "該当する請求がありません。"},
		{`already answered`, "既に回答済みです。"},
		{`^not asked for$`, "請求されていない項目です。"},
		{`^(required|only) when found$`, "応答の形式が正しくありません。"},
		{`^one of (.+)$`, "次のいずれかを指定してください: ${1}"},
		{`^32 lowercase hex digits$|^32 letters or digits$|^a UUID$|^a 16-byte salt|message ID must be a UUIDv7`, "形式が正しくありません。"},
		{`^must not be negative$`, "0以上の数を指定してください。"},
		{`^\d+ to \d+$|^1 to \d+ (resident )?codes$|^at most \d+$`, "値が範囲外です。"},
		{`^exactly one of cosigned and refusal is required$`, "連署と拒否のどちらか一方を指定してください。"},
		{`^unknown refusal reason`, "拒否の理由が正しくありません。"},
		{`^the checkpoint is missing$`, "チェックポイントがありません。"},
		{`^(the note|the checkpoint|the proof|the detail) (is|has) \d+`, "大きすぎます（上限を超えています）。"},
		{`is not the witness of|is not witnessed by`, "このノードのログの証人ではありません。"},
		{`signing key of \S+ is not this node's key`, "ネットワーク記述の署名鍵が、このノードの鍵と一致しません。"},
		{`ordering key/version`, "メッセージの順序キー・版が本文と一致しません。"},
		{`is not handled by this server yet$|is not relayed$`, "このサーバでは扱わない種類のメッセージです。"},
		{`(sent|reported|requested|relayed|counted) by |^(response|grant|tally) (for|of) \S+ from |the notice comes from|^the request went to|is not this municipality$|does not belong to prefecture|^addressed to`, "送信元または宛先が一致しません（ネットワーク上のメッセージの誤り）。"},
		{`^no witness for node`, "このノードの証人がネットワーク記述にありません。"},
		{`^cannot build an envelope$`, "送信するメッセージの封筒を作れません。"},
		{`^cannot re-encode the envelope`, "メッセージを中継用に作り直せません。"},
		{`not a node ID|is not in the network description|the description lists no nodes`, "ネットワーク記述にないノードです。"},

		{`^at most (\d+) characters$`, "${1}文字以内で入力してください。"},
		// Separation of duties (G13) and the console.
		{`^照合ID \S+ already has 照合情報: `, "この操作者には照合情報が登録済みです。再登録は本人の現在の読取で行うか、指の紛失・負傷の場合はアクセス管理権限を持つもう一人の立会いとセキュリティ責任者の決定により行います。"},
		{`^照合ID \S+ has no 照合情報 to replace`, "この操作者には照合情報が登録されていません。新規登録を行ってください。"},
		{`^the current reading does not match the operator's 照合情報$`, "本人の現在の読取が登録済みの照合情報と一致しません。"},
		{`^an operator may not do this on their own 照合ID`, "自分自身の照合IDに対しては、この操作はできません（G13）。"},
		{`^a second operator holding アクセス管理 must give`, "アクセス管理権限を持つ立会いの操作者の照合IDと読取が必要です。"},
		{`^the second operator must be another person`, "立会いの操作者は、あなた自身・対象の操作者以外の人でなければなりません。"},
		{`^the second operator holds no valid アクセス管理 操作者ID`, "立会いの操作者は、この端末で有効なアクセス管理の操作者IDを持っていません。"},
		{`^the セキュリティ責任者's recorded decision is required`, "セキュリティ責任者が記録した決定の番号を入力してください（G13.3）。"},
		{`^a セキュリティ責任者 is appointed: every 操作者ID needs`, "セキュリティ責任者が任命されているため、操作者IDの付与には決定の記録が必要です（G13.3）。"},
		{`^decision_id is the ID of a recorded decision$`, "決定の番号を正しく入力してください。"},
		{`^no セキュリティ責任者 decision ".*" is recorded`, "その番号のセキュリティ責任者の決定は記録されていません（G13.3）。"},
		{`^decision \S+ was already used`, "この決定は既に使われています（決定は一度だけ使えます）。"},
		{`^decision \S+ is a \S+ decision, not \S+$`, "この決定は別の種類の決定です。"},
		{`^decision \S+ concerns 照合ID \S+, not \S+$`, "この決定は別の操作者についての決定です。"},
		{`^decision \S+ allows authority \S+, not \S+$`, "この決定は別の権限についての決定です。"},
		{`^decision \S+ was made by the person it concerns`, "対象者本人が行った決定は使えません（G13.3）。"},
		{`^decision \S+ was not made by the セキュリティ責任者 of`, "この決定は、その日のセキュリティ責任者によるものではありません。"},
		{`^the decision's date is unreadable$`, "決定の日付を読み取れません。"},
		{`is not designated by the 本人確認情報管理責任者 to handle identity information`, "本人確認情報を取り扱う者として指定されていないため、住民の情報は扱えません（G16-2.1）。"},
		{`^no such console token`, "コンソール用トークンが無効です（不明・使用済み・期限切れ、または別のノードのもの）。端末で新しいトークンを発行してください。"},
		{`^only an operator logged in at a terminal may issue a console token$`, "コンソール用トークンは、端末にログインした操作者だけが発行できます。"},
		{`^the operator's 操作者ID is no longer in force`, "トークンを発行した操作者の操作者IDは、もう有効ではありません。"},
		{`^an export of personal data requires an authenticated operator$`, "個人情報の出力には、端末で認証された操作者のトークンが必要です。"},
		{`^an export of personal data requires a purpose or case number$`, "個人情報の出力には、目的または事案番号が必要です。"},
		// Access (照合情報認証, 操作者ID).
		{`照合ID and reading do not match`, "照合できませんでした。照合IDを確かめ、もう一度リーダーで読み取ってください。"},
		{`locked after repeated failures`, "照合の失敗が続いたため、この照合IDはロックされています。アクセス管理責任者に解除を依頼してください。"},
		{`made under a withdrawn node key|node key version \d+ is withdrawn`, "照合情報の再登録が必要です。アクセス管理責任者に連絡してください。"},
		{`^no such login in progress$|the time to choose a 操作者ID ran out|login was started on another terminal`, "照合からやり直してください。"},
		{`this 操作者ID is not one of the operator's|^choose one of \d+ valid 操作者ID$`, "有効な操作者IDの中から選んでください。"},
		{`^no such session$`, "セッションが無効です。もう一度ログインしてください。"},
		{`^scope "[^"]*" names node \S+, but this is node`, "範囲には、この端末が属するノードを指定してください（node:* はノードのすべての端末）。"},
		{`^scope "[^"]*": a terminal ID is`, "範囲の端末IDは、英数字・「-」・「_」の1～32文字で指定してください。"},
		{`^scope "[^"]*" is not one of`, "範囲は「node:*」「node:ノードID」「terminal:端末ID」のいずれかで指定してください。"},
		{`has scope "[^"]*", which does not include terminal`, "この操作者IDは、この端末では使えません（利用範囲外）。"},
		{`操作者ID (\S+ )?is withdrawn or outside its validity period`, "操作者IDが廃止されたか、有効期間外です。"},
		{`not a registered(, active)? terminal$`, "この端末は統合端末として登録されていないか、停止されています。"},
		{`^terminal \S+ is already registered$`, "この端末は既に登録されています。"},
		{`^the node already has \d+ operator\(s\)`, "このノードには既に操作者がいます。操作者の追加はアクセス管理責任者が管理画面で行います。"},
		{`^the reference of the decision appointing the first operator`, "最初の操作者（アクセス管理責任者）を任命した決定の文書番号を指定してください。"},
		{`^照合ID \S+ already exists$`, "この照合IDは既に登録されています。"},
		{`^操作者ID \S+ already exists$`, "この操作者IDは既に登録されています。"},
		{`^照合ID \S+ does not exist$`, "この照合IDは登録されていません。"},
		{`has no 照合情報 to renew$`, "更新する照合情報がありません。"},
		{`^照合ID \S+ is not locked$`, "この照合IDはロックされていません。"},
		{`^照合ID \S+ already holds \S+ on`, "この照合IDは既にその役割を持っています。"},
		{`^照合ID (\S+) is (\S+)$`, "照合ID ${1} は「${2}」の状態です。"},
		{`is not an operator authority$`, "操作者の権限として正しくありません。"},
		{`valid_from before valid_until`, "有効期間の開始日を終了日より前にしてください。"},
		{`^(min_length|char_classes|rotation_days|lockout_threshold) must be`, "設定値が範囲外です。"},
		{`node key ring is empty|at least one node key is required|biometric node key|^missing (version|secret) line$|^the (version|secret) must be`, "照合情報の鍵ファイルが正しくありません。"},
		{`^register must be `, "管理簿の種類が正しくありません。"},
		{`^status must be active, retired or transferred`, "状態は active・retired・transferred のいずれかです。"},

		// The policy table (権限).
		{`^operation (\S+) is not allowed for authority (\S+)$`, "この操作（${1}）は、この操作者IDの権限（${2}）では行えません。"},
		{`the system authority belongs to system principals only`, "システム権限はシステムの処理だけが持てます。"},

		// Operation management (運用管理).
		{`may only appoint the first セキュリティ統括責任者`, "システムが任命できるのは最初のセキュリティ統括責任者だけです。以後はセキュリティ統括責任者が任命します。"},
		{`^only the (.+) may do this`, "この操作は ${1} だけが行えます。"},
		{`is not designated to handle identity information`, "この照合IDは本人確認情報を取り扱う者に指定されていません（G16-2.1）。"},
		{`^only the addressee`, "指示の宛先の者だけが回答できます。"},
		{`was closed on (\S+)$`, "既に終結しています（${1}）。"},
		{`was already (revoked|disposed of|judged|approved) on (\S+)$`, "既に処理済みです（${2}）。"},
		{`is already decided; the opinion must come before the decision`, "既に決定済みです。意見は決定の前に記録します。"},
		{`is already decided$`, "既に決定済みです。"},
		{`is marked important: record the privacy review board's opinion first`, "重要事項のため、先に個人情報保護審議会の意見を記録してください（G6.4）。"},
		{`is not decided yet`, "まだ決定されていません。指示は協議会の結果に基づいて出します（G7）。"},
		{`^give the decided council item`, "決定済みの協議事項、または入退室管理の報告を指定してください。"},
		{`^a meeting needs at least one agenda item$`, "会議には議題が一つ以上必要です。"},
		{`^role \S+ listed twice$`, "同じ役割が二度指定されています。"},
		{`^(.+) is absent: record the reason`, "${1}が欠席です。欠席の理由を記録してください（G6.1–2）。"},
		{`^the council member .+ is missing`, "出欠が記録されていない委員がいます。"},
		{`^a form named .+ is already registered$`, "同じ名前の様式が既に登録されています。"},
		{`^copies \d+ is not between 1 and 10000$`, "部数は1から10000の間で入力してください。"},
		{`already has an assignment starting on or after`, "引継ぎの日付は、既にある任命の日付より後にしてください。"},
		{`^\S+ "[^"]*" is not one of `, "選択肢の中から選んでください。"},
		{`^no record with `, "該当する記録がありません。"},
		{`^no unanswered alert`, "未対応の警報はありません。"},
		{`names the log indices of the finding|^give at least one log index$`, "操作履歴の番号を一つ以上指定してください。"},
		{`^log index \d+ given twice$`, "同じ操作履歴の番号が二度指定されています。"},
		{`^log index \d+ is out of range$`, "操作履歴の番号が範囲外です。"},
		{`^the proof is not valid JSON$`, "証明の形式が正しくありません。"},
		{`has no judgement yet`, "判定の前には終結できません。先に判定を記録してください（G8.2）。"},
		{`record the protective measures before closing`, "保護措置を記録してから終結してください（G8.2）。"},
		{`^clause \S+ given twice$`, "同じ条項が二度指定されています。"},
		{`has no reference to the contract text$`, "条項に契約書の該当箇所を記入してください。"},
		{`the contract lacks clause \((\d+)\) (\S+)`, "契約書に G19 で必要な条項（${1}）${2} がありません。"},
		{`has not passed the clause check`, "契約書が G19 の条項の確認を通っていません。"},
		{`has no opinion of the security council`, "セキュリティ会議の意見がありません。承認の前に意見を聴いてください（G18）。"},
		{`is not approved by the セキュリティ統括責任者`, "セキュリティ統括責任者の承認がありません（G18）。"},
		{`is already active since (\S+)$`, "契約は既に有効です（${1}から）。"},
		{`is not active$`, "契約が有効ではありません。"},
		{`has no open follow-up$`, "未完了の改善措置はありません。"},
		{`^at \(RFC 3339`, "日時を入力してください。"},
		{`^witness state of \S+ changed meanwhile$`, "処理中に状態が変わりました。やり直してください。"},
		// A restored national server's re-sent identity information (identity.resync).
		{`^\S+ answered by \S+$`, "応答した市区町村が本文の市区町村と一致しません。"},
		{`^not the municipality of the answer$`, "応答した市区町村以外の本人確認情報が含まれています。"},
		{`^repeated$`, "同じ住民の本人確認情報が重複しています。"},
		{`^empty or an RFC 3339 time$`, "日時の形式が正しくありません。"},
		{`^invalid identity information$`, "本人確認情報が正しくありません。"},
		{`^invalid move-out confirmation$`, "転出確定通知が正しくありません。"},
		{`^not the identity resync this server asked for$`, "この全国サーバが依頼した本人確認情報の再送ではありません。"},
		{`^at most \d+ with the confirms$`, "一度に送る件数が上限を超えています。"},

		// Generic rules, last.
		{`holds version \d+$|^two node keys have version`, "鍵ファイルの版が正しくありません。"},
		{`^\S+ already exists$`, "既に存在します。"},
		{`^\S+ does not exist$`, "存在しません。"},
		{`^required$|^\S+ is required( \(YYYY-MM-DD\))?$`, "入力してください。"},
		{`are required$|is required$`, "必要な項目が入力されていません。"},
		{`^too long$|longer than \d+ bytes$|larger than \d+ KiB$|^reference is longer`, "長すぎます（上限を超えています）。"},
	}
	out := make([]japaneseRule, len(table))
	for i, t := range table {
		out[i] = japaneseRule{regexp.MustCompile(t[0]), t[1]}
	}
	return out
}()

// kindTitle is the heading of an error page (エラー画面の見出し) for each
// kind: the terminal never shows an HTTP status text such as "Conflict".
var kindTitle = map[Kind]string{
	KindOther:        "内部エラー",
	KindInvalid:      "入力に誤りがあります",
	KindNotFound:     "見つかりません",
	KindConflict:     "競合",
	KindUnauthorized: "認証が必要です",
	KindForbidden:    "権限がありません",
	KindInternal:     "内部エラー",
	KindUnavailable:  "接続できません",
	KindTooLarge:     "大きすぎます",
	KindRateLimited:  "要求が多すぎます",
	KindLocked:       "ロックされています",
	KindExpired:      "期限切れ",
}

// JapaneseTitle is the heading of the error page that shows err; nil gives "".
func JapaneseTitle(err error) string {
	if err == nil {
		return ""
	}
	return KindTitle(ErrorKind(err))
}

// KindTitle is the heading of an error page of kind k; an unknown kind is an
// internal error.
func KindTitle(k Kind) string {
	if t, ok := kindTitle[k]; ok {
		return t
	}
	return kindTitle[KindInternal]
}

// Code sets: the kinds of code a screen shows by name (CodeJapanese).
const (
	CodesReason     = "reason"     // network.Reason.String and the listener's handshake refusals
	CodesOutbox     = "outbox"     // states of an outbox message
	CodesOperator   = "operator"   // access.Status
	CodesCompliance = "compliance" // governance.Status
	CodesRoom       = "room"       // sources and outcomes of a room passage
	CodesAsset      = "asset"      // governance.AssetKind
	CodesSource     = "source"     // where an instruction or a misuse case comes from
	CodesJudgement  = "judgement"  // a misuse case's judgement
	CodesResult     = "result"     // an operation-log record's result
)

// codeJapanese names in Japanese, per set, the codes that other packages
// record by English name and that screens show. The packages own the codes;
// this is the one table of their Japanese names.
var codeJapanese = map[string]map[string]string{
	CodesReason: {
		"none":            "受理",
		"malformed":       "形式の誤り",
		"too_large":       "大きすぎる",
		"bad_signature":   "署名が正しくない",
		"bad_proof":       "包含証明が正しくない",
		"unknown_signer":  "署名者が不明",
		"forbidden_kind":  "この送信元からは受け付けない種別",
		"from_mismatch":   "送信元が証明書と一致しない",
		"wrong_recipient": "宛先がこのノードではない",
		"relay_mismatch":  "中継の誤り",
		"invalid_body":    "本文が種別の規則に合わない",
		"stale_version":   "古い版",
		"rate_limited":    "要求が多すぎる",
		"internal":        "受信側の内部エラー",
		"unauthorized":    "証明書による識別ができない",
		"refused":         "受信側の記録により拒否",
		// Handshake refusals of the network listener.
		"tls_unknown_authority": "別の認証局の証明書",
		"tls_no_certificate":    "クライアント証明書がない",
		"tls_bad_certificate":   "証明書が無効（失効・期限切れ・ノード以外）",
		"tls_handshake":         "TLS の接続確立に失敗",
		"revoked":               "失効した証明書",
	},
	CodesOutbox:     {"pending": "送信待ち", "delivered": "配達済み", "rejected": "拒否された", "parked": "順序待ち"},
	CodesOperator:   {"active": "在職", "retired": "退職", "transferred": "異動"},
	CodesCompliance: {"met": "充足", "evidence-missing": "根拠なし", "overdue": "期限超過", "not-checked": "未確認"},
	CodesRoom:       {"badge": "入退室カード", "manual": "手動記録", "allowed": "許可", "refused": "拒否"},
	CodesAsset:      {"information": "情報", "software": "ソフトウェア", "hardware": "ハードウェア", "network": "ネットワーク", "media": "媒体"},
	CodesSource:     {"council": "協議会の結果", "rooms": "入退室管理の報告", "manual": "職員の申出", "oplog_report": "操作履歴の分析"},
	CodesJudgement:  {"infringement": "侵害あり", "no_infringement": "侵害なし"},
	CodesResult: {"ok": "成功", "shown": "表示", "not_found": "該当なし", "forbidden": "権限なし", "unauthorized": "認証なし",
		"mismatch": "照合不一致", "applied": "適用", "accepted": "受理", "refused": "拒否", "rejected": "相手が拒否",
		"retry": "再送", "sent": "送信", "duplicate": "重複", "parked": "順序待ち"},
}

// complianceTitle is the Japanese heading of each requirement of the
// compliance report (compliance.GuidelineIDs), as the report and the screen show it.
var complianceTitle = map[string]string{
	"G2.1": "ネットワークとノード", "G2.2": "セキュリティ（正確性・機密性・継続性）", "G2.3": "CS が交換する情報",
	"G2.4": "ファイアウォール", "G2.5": "統合端末", "G2.6": "照合情報認証（不可逆な生体情報）",
	"G2.7": "照合ID による操作者の識別", "G2.8": "操作者ID による権限の識別", "G2.9": "プログラム",
	"G2.10": "電算機室", "G2.11": "文書", "G2.12": "媒体保管室",
	"G3": "セキュリティ統括責任者（副市長）", "G4": "システム管理者（デジタル推進課長）", "G5": "セキュリティ責任者（市民課長）",
	"G6.1": "セキュリティ会議", "G6.2": "会議の構成員（三つの役割）", "G6.3": "会議の審議事項（対策・遵守・監査・研修）",
	"G6.4": "重要事項についての個人情報保護審議会の意見", "G6.5": "職員の出席要求", "G6.6": "庶務（市民課、議事録）",
	"G7": "会議の結果に基づく指示・要請", "G8.1": "不正利用：報告の要求と調査", "G8.2": "不正利用：保護措置",
	"G9.1": "入退室：システム管理者の事前承認", "G9.2": "入退室の管理", "G10": "入退室：統括責任者への報告と指示",
	"G11.1": "CS・端末のアクセス管理", "G11.2": "照合情報認証と操作履歴", "G11-2": "アクセス管理責任者",
	"G12.1": "OS のセキュリティ対策", "G12.2": "OS のパスワード規則", "G13.1": "照合ID・操作者ID の規程",
	"G13.2": "照合情報の登録・削除の規程", "G13.3": "操作者ID の種類ごとの保有者", "G13.4": "照合ID・操作者ID の管理簿",
	"G14": "操作者による規程の遵守", "G15": "操作履歴の7年間の保存", "G16.1": "情報資産ごとの管理者",
	"G16.2": "本人確認情報管理責任者と情報資産管理責任者", "G16-2.1": "本人確認情報を取り扱う者の指定", "G16-2.2": "帳票の管理",
	"G16-3": "資産ごとの管理規程", "G17": "個人情報保護条例に基づく外部委託", "G18": "外部委託：会議の意見と承認",
	"G19": "契約条項 (1)〜(5)", "G20": "委託先の検査",
}

// ComplianceTitle is the Japanese heading of requirement id of the
// compliance report, or fallback (the report's own) when the table lacks it.
func ComplianceTitle(id, fallback string) string {
	if t, ok := complianceTitle[id]; ok {
		return t
	}
	return fallback
}

// CodeJapanese is the Japanese name of a code of set that a screen shows,
// and whether the table has it; an unknown code is returned as it is.
func CodeJapanese(set, code string) (string, bool) {
	if ja, ok := codeJapanese[set][code]; ok {
		return ja, true
	}
	return code, false
}

// JapaneseReasonText renders a recorded "reason: detail" text (the last
// error of an outbox message) for a screen: the reason by its Japanese
// name, the detail translated when its rule is known.
func JapaneseReasonText(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	code, detail, _ := strings.Cut(s, ":")
	ja, ok := CodeJapanese(CodesReason, strings.TrimSpace(code))
	if !ok {
		if t, ok := translateRule(s, 0); ok {
			return t
		}
		return s
	}
	detail = strings.TrimSpace(detail)
	if detail == "" {
		return ja
	}
	// The detail is "op: field: rule" as the receiver wrote it: the rule
	// is what a known translation needs.
	for rest := detail; rest != ""; {
		if t, ok := translateRule(rest, 0); ok {
			detail = t
			break
		}
		_, rest, _ = strings.Cut(rest, ": ")
	}
	return ja + "（" + detail + "）"
}
