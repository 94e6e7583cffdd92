package node

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jukinet/jukinet"
)

// identityJSONSeeds are stored forms and near misses of identity information.
func identityJSONSeeds(t testing.TB) []string {
	var seeds []string
	for i := range 5 {
		info := jukinet.IdentityInfo{Municipality: "352063", ResidentCode: jukinet.ResidentCode(fmt.Sprintf("1000000%04d", i)),
			Name:      jukinet.Name{Kanji: "山田 太郎" + strconv.Itoa(i), Kana: "ヤマダ タロウ"},
			BirthDate: jukinet.Date{Year: 1980 + i, Month: time.March, Day: 1 + i}, Sex: jukinet.Sex(1 + i%2),
			Address: jukinet.Address{LGCode: "352063", Text: "山口県防府市寿町" + strconv.Itoa(i) + "番"},
			Change:  jukinet.ChangeInfo{Reason: jukinet.ReasonRemakeAdd, Date: jukinet.Date{Year: 2026, Month: time.November, Day: 2}}, Version: uint64(i + 1)}
		if i == 1 {
			info.Name.FormerSurname, info.Name.Alias = "旧氏", "通称"
			info.Change.PreviousResidentCode = "12345678903"
			info.IndividualNumber = "123456789018"
		}
		b, err := json.Marshal(info)
		if err != nil {
			t.Fatal(err)
		}
		seeds = append(seeds, string(b))
	}
	// json.Marshal's form cut short, with its keys reordered, with a space.
	seeds = append(seeds, seeds[1][:len(seeds[1])/2], strings.Replace(seeds[0], `"kanji"`, `"kana":"","kanji"`, 1),
		strings.Replace(seeds[1], `"version":`, `"version": `, 1), strings.Replace(seeds[1], `"alias"`, `"alias_kana":"ツウショウ","alias"`, 1))
	return append(seeds,
		``, `{}`, `null`, `[]`, `{"version":1}`, `{"version":01}`, `{"version":-1}`, `{"version":1.5}`,
		`{"version":18446744073709551616}`, `{"Version":3}`, `{"name":null}`, `{"name":{"kanji":"\u5c71"}}`,
		`{"sex":"x"}`, `{"sex":1}`, `{"birth_date":"2020-02-30"}`, `{"change":{"reason":"nonsense"}}`,
		`{"municipality":"352063"} x`, `{"municipality":"352063",}`, `{"name":{"kanji":"a"},"name":{"kana":"b"}}`,
		"{\"name\":{\"kanji\":\"\xff\"}}", "{\"name\":{\"kanji\":\"a\tb\"}}", `{"extra":1}`, ` { "version" : 2 } `, `{"name":{"alias":"\u003c\u0026\u003e \ud800"}}`)
}

func decodeBoth(b []byte) (fast, slow jukinet.IdentityInfo, fastErr, slowErr error) {
	fastErr = unmarshalIdentity(b, &fast)
	slowErr = json.Unmarshal(b, &slow)
	return
}

func TestUnmarshalIdentityAgreesWithJSON(t *testing.T) {
	for _, s := range identityJSONSeeds(t) {
		t.Run(s, func(t *testing.T) {
			fast, slow, fastErr, slowErr := decodeBoth([]byte(s))
			if (fastErr == nil) != (slowErr == nil) || !reflect.DeepEqual(fast, slow) {
				t.Errorf("unmarshalIdentity(%q) = %+v, %v; want json.Unmarshal's %+v, %v", s, fast, fastErr, slow, slowErr)
			}
		})
	}
	// The stored form takes the hand-written path (no fallback).
	for _, s := range identityJSONSeeds(t)[:5] {
		var got jukinet.IdentityInfo
		if sc := (identityScanner{src: s}); !sc.canonical(&got) {
			t.Errorf("identityScanner(%q): not read as json.Marshal's form", s)
		}
	}
}

func FuzzUnmarshalIdentity(f *testing.F) {
	for _, s := range identityJSONSeeds(f) {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		fast, slow, fastErr, slowErr := decodeBoth(b)
		if (fastErr == nil) != (slowErr == nil) || !reflect.DeepEqual(fast, slow) {
			t.Errorf("unmarshalIdentity(%q) = %+v, %v; want json.Unmarshal's %+v, %v", b, fast, fastErr, slow, slowErr)
		}
	})
}

// BenchmarkUnmarshalIdentity decodes the stored form of one person's
// identity information (as a batch lookup does per record).
func BenchmarkUnmarshalIdentity(b *testing.B) {
	s := identityJSONSeeds(b)[1]
	b.SetBytes(int64(len(s)))
	var ru0, ru1 syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
	for b.Loop() {
		var info jukinet.IdentityInfo
		if err := unmarshalIdentityString(s, &info); err != nil {
			b.Fatal(err)
		}
	}
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
	cpu := ru1.Utime.Nano() + ru1.Stime.Nano() - ru0.Utime.Nano() - ru0.Stime.Nano()
	b.ReportMetric(float64(cpu)/float64(b.N), "cpu-ns/op") // steadier than ns/op on a shared machine
}
