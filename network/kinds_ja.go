package network

// kindJapanese names each message kind as the terminal's network page
// shows it; the wire, the log and the command line keep the kind's code.
var kindJapanese = map[Kind]string{
	KindIdentityNotify:           "本人確認情報の通知",
	KindIdentityRelay:            "本人確認情報の中継",
	KindMoveInNotice:             "転入通知",
	KindMoveOutConfirm:           "転出の確認",
	KindMoveOutCertificate:       "転出証明書情報",
	KindCopyRequest:              "住民票の写しの請求",
	KindCopyResponse:             "住民票の写しの回答",
	KindAnnexNotice:              "附票の通知",
	KindMyNumberRequest:          "個人番号の生成要求",
	KindMyNumberResponse:         "個人番号の回答",
	KindLinkCodeRequest:          "情報提供用個人識別符号の要求",
	KindLinkCodeResponse:         "情報提供用個人識別符号の回答",
	KindCardStatus:               "カードの状態",
	KindResidentCodePoolRequest:  "住民票コードの払出し要求",
	KindResidentCodePoolGrant:    "住民票コードの払出し",
	KindAnnexIdentityNotify:      "附票本人確認情報の通知",
	KindCheckpointCosignRequest:  "チェックポイントの副署の依頼",
	KindCheckpointCosignResponse: "チェックポイントの副署",
	KindSupportMeasure:           "支援措置の通知",
	KindReconcileRequest:         "整合性確認の要求",
	KindReconcileDigests:         "整合性確認の要約",
	KindResidentCodeReportAsk:    "保有住民票コードの報告依頼",
	KindResidentCodeReport:       "保有住民票コードの報告",
	KindIdentityResyncAsk:        "本人確認情報の再送依頼",
	KindIdentityResync:           "本人確認情報の再送",
	KindResidentCodeTally:        "住民票コード払出し回数の照合",
	KindResidentCodeTallyAnswer:  "住民票コード払出し回数の回答",
	KindResidentCodeTallyAsk:     "住民票コード払出し回数の照会",
}

// Japanese is the kind's Japanese name, or its code when it has none.
func (k Kind) Japanese() string {
	if ja, ok := kindJapanese[k]; ok {
		return ja
	}
	return k.String()
}

// KindJapanese is the Japanese name of the kind whose code is name, or name
// itself for a code no kind has.
func KindJapanese(name string) string {
	if k, ok := ParseKind(name); ok {
		return k.Japanese()
	}
	return name
}
