package governance

import (
	"testing"

	"github.com/jukinet/jukinet"
)

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
