package jukinet

// operationJapanese names every operation of the policy table in Japanese,
// as the terminal shows it (the operation-log search, a refusal's message);
// the log and the command line keep the code.
var operationJapanese = map[Operation]string{
	OpAccessAssign: "操作者IDの付与", OpAccessConsoleToken: "コンソール用トークン", OpAccessEnroll: "照合情報の登録",
	OpAccessLockout: "ロックアウト", OpAccessLogin: "ログイン", OpAccessLoginFailure: "ログインの失敗",
	OpAccessLogout: "ログアウト", OpAccessOperatorChange: "操作者の状態の変更", OpAccessOperatorCreate: "照合IDの発行",
	OpAccessPasswordPolicy: "パスワード規則の記録", OpAccessReenroll: "照合情報の再登録", OpAccessRefused: "アクセス管理の拒否",
	OpAccessRegisterRead: "管理簿の閲覧", OpAccessRenew: "照合情報の更新", OpAccessRevoke: "照合情報の削除",
	OpAccessSessionEnd: "セッションの終了", OpAccessTerminal: "統合端末の登録・変更", OpAccessUnlock: "ロックの解除",
	OpAccessVerified: "照合の成功", OpAccessWatch: "監視対象の変更", OpAccessWithdraw: "操作者IDの取消",

	OpCardIssue: "個人番号カードの交付", OpCardStatus: "カードの状態の変更", OpCodePoolRequest: "住民票コードの払出し要求",
	OpCopyReceive: "住民票の写しの受領", OpCopyRequest: "住民票の写しの広域交付の請求", OpIdentityLoad: "本人確認情報の一括登録",
	OpLinkCodeRequest: "情報提供用個人識別符号の取得", OpFlowsRead: "都道府県・全国サーバの情報の閲覧", OpSpecialMoveIn: "転入届の特例",

	OpGovAccessDecide: "操作者IDの決定", OpGovAlertAnswer: "警告への対応", OpGovAssetRegister: "情報資産の登録",
	OpGovComplianceReport: "遵守状況の報告", OpGovBoardOpinion: "審議会の意見", OpGovMeetingConvene: "セキュリティ会議の招集",
	OpGovItemDecide: "会議の決定", OpGovMinutesRecord: "議事録の記録", OpGovFormDispose: "帳票の廃棄",
	OpGovFormPrint: "帳票の印刷", OpGovFormRegister: "帳票の登録", OpGovHandlerDesignate: "本人確認情報を取り扱う者の指定",
	OpGovHandlerRevoke: "取扱者の指定の取消", OpGovInstructionIssue: "指示・要請", OpGovInstructionRespond: "指示への回答",
	OpGovCaseClose: "不正利用事案の終結", OpGovCaseEntry: "不正利用事案の記録", OpGovCaseEvidence: "不正利用事案の証拠",
	OpGovCaseJudge: "不正利用事案の判定", OpGovCaseOpen: "不正利用事案の開始", OpGovReportAnswer: "報告の提出",
	OpGovReportRequest: "報告の要求", OpGovContractActivate: "委託契約の開始", OpGovOutsourcingApprove: "外部委託の承認",
	OpGovContractCheck: "契約条項の確認", OpGovFollowUpDone: "委託先の改善の確認", OpGovInspectionRecord: "委託先の検査",
	OpGovOutsourcingRequest: "外部委託の申請", OpGovRefused: "運用管理の拒否", OpGovRoleAssign: "役割の任命",
	OpGovRoomAuthorize: "入室の許可", OpGovRoomBadge: "入退室カードの記録", OpGovRoomManualEntry: "入退室の手動記録",
	OpGovRoomReport: "入退室の報告", OpGovRoomRevoke: "入室許可の取消", OpGovRulesSet: "規程の設定",
	OpGovSeed: "運用管理の初期設定",

	OpIdentityLookup: "本人確認情報の照会", OpNumberGenerate: "個人番号の生成", OpNationalProvide: "国の機関等への提供",
	OpSelfDisclosure: "本人への開示",

	OpNetworkDeliveryResult: "配達結果", OpNetworkReceive: "受信", OpNetworkReconcile: "整合性確認",
	OpNetworkRefused: "受信の拒否", OpNetworkRelay: "中継", OpNetworkSend: "送信",

	OpOplogCosignRequest: "チェックポイントの副署の依頼", OpOplogExport: "操作履歴の書出し", OpOplogProve: "操作履歴の証明",
	OpOplogPurge: "操作履歴の削除", OpOplogQuery: "操作履歴の検索", OpOplogReport: "操作履歴の定期分析",
	OpOplogSeal: "操作履歴の月次封印",

	OpAlias: "通称の記載", OpBirth: "出生届", OpClericalCorrection: "誤記の修正", OpDeath: "死亡届",
	OpExOfficioAdd: "職権記載", OpExOfficioCorrect: "職権修正", OpExOfficioRemove: "職権消除",
	OpFormerSurname: "旧氏の記載", OpHouseholdChange: "世帯変更届", OpHouseholdMerge: "世帯合併届",
	OpHouseholdSplit: "世帯分離届", OpHouseholderChange: "世帯主変更届", OpIndividualNumberSet: "個人番号の記載",
	OpMoveInDomestic: "転入届", OpMoveInFromAbroad: "国外からの転入届", OpMoveOut: "転出届", OpMoveWithin: "転居届",
	OpNameChange: "氏名の変更", OpResidentCodeChange: "住民票コードの変更", OpSupportMeasureLift: "支援措置の終了",
	OpSupportMeasureSet: "支援措置の開始",

	OpResidentExport: "住民データの書出し", OpResidentImport: "住民データの取込み", OpResidentRead: "住民票の閲覧",
	OpResidentSearch: "住民検索", OpNetworkStatusView: "ネットワーク状況の閲覧",
}

// Japanese is the operation's Japanese name as the terminal shows it, or
// its code when it has none (an operation recorded by an older version).
func (o Operation) Japanese() string {
	if ja, ok := operationJapanese[o]; ok {
		return ja
	}
	return string(o)
}
