package governance

import (
	"testing"

	"github.com/jukinet/jukinet"
)

// TestEveryStatusHasJapanese: each status of the compliance report has a
// Japanese name for the screen (jukinet.CodeJapanese).
func TestEveryStatusHasJapanese(t *testing.T) {
	for _, s := range []Status{StatusMet, StatusEvidenceMissing, StatusOverdue, StatusNotChecked} {
		if _, ok := jukinet.CodeJapanese(jukinet.CodesCompliance, string(s)); !ok {
			t.Errorf("status %q: no Japanese name", s)
		}
	}
}

// TestEveryCodeShownHasJapanese: the asset kinds, room passage sources and
// outcomes, instruction and case sources and judgements the console lists
// have Japanese names.
func TestEveryCodeShownHasJapanese(t *testing.T) {
	for set, codes := range map[string][]string{
		jukinet.CodesAsset:     {string(AssetInformation), string(AssetSoftware), string(AssetHardware), string(AssetNetwork), string(AssetMedia)},
		jukinet.CodesRoom:      {"badge", "manual", "allowed", "refused"},
		jukinet.CodesSource:    {"council", "rooms", "manual", "oplog_report"},
		jukinet.CodesJudgement: {"infringement", "no_infringement"},
	} {
		for _, c := range codes {
			if _, ok := jukinet.CodeJapanese(set, c); !ok {
				t.Errorf("%s %q: no Japanese name", set, c)
			}
		}
	}
}

// TestEveryRequirementHasJapaneseTitle: the compliance screen heads every
// requirement of the guideline in Japanese.
func TestEveryRequirementHasJapaneseTitle(t *testing.T) {
	for _, id := range GuidelineIDs() {
		if got := jukinet.ComplianceTitle(id, "?"); got == "?" {
			t.Errorf("requirement %s: no Japanese title", id)
		}
	}
}
