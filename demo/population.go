// Package demo builds the demo network's synthetic data: plausible Japanese
// residents (names with readings, addresses in the city, households, ages).
// Every person is invented; codes are random and valid.
package demo

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/register"
)

// City describes a municipality of the demo network.
type City struct {
	Code       jukinet.LGCode
	Prefecture string // 山口県
	Name       string // 防府市
	Towns      []string
}

// Cities of the demo network (docs/design.md §3).
var (
	Hofu = City{Code: "352063", Prefecture: "山口県", Name: "防府市", Towns: []string{"松崎町", "天神", "宮市町", "八王子",
		"三田尻", "お茶屋町", "駅南町", "華城中央", "新田", "江泊", "浜方", "西浦", "台道", "大道", "富海", "牟礼今宿", "右田", "佐波",
		"迫戸町", "警固町", "車塚町", "戎町", "岡村町", "鋳物師町", "開出", "田島", "中関", "向島", "勝間", "植松", "伊佐江", "新築地町",
		"自由ヶ丘", "千日", "桑山", "国衙"}}
	Yamaguchi = City{Code: "352012", Prefecture: "山口県", Name: "山口市", Towns: []string{"亀山町", "中央", "湯田温泉", "小郡下郷",
		"大内御堀", "宮野上", "平井", "吉敷", "黒川", "阿知須", "徳地堀", "秋穂東", "道場門前", "米屋町", "大殿大路"}}
	Kurume = City{Code: "402036", Prefecture: "福岡県", Name: "久留米市", Towns: []string{"城南町", "東町", "日吉町", "六ツ門町",
		"合川町", "御井町", "野中町", "津福本町", "国分町", "花畑", "田主丸町田主丸", "三潴町玉満", "城島町楢津", "北野町中"}}
)

type reading struct{ kanji, kana string }

var surnames = []reading{{"佐藤", "サトウ"}, {"鈴木", "スズキ"}, {"高橋", "タカハシ"}, {"田中", "タナカ"}, {"伊藤", "イトウ"},
	{"渡辺", "ワタナベ"}, {"山本", "ヤマモト"}, {"中村", "ナカムラ"}, {"小林", "コバヤシ"}, {"加藤", "カトウ"}, {"吉田", "ヨシダ"},
	{"山田", "ヤマダ"}, {"佐々木", "ササキ"}, {"山口", "ヤマグチ"}, {"松本", "マツモト"}, {"井上", "イノウエ"}, {"木村", "キムラ"},
	{"林", "ハヤシ"}, {"斎藤", "サイトウ"}, {"清水", "シミズ"}, {"藤井", "フジイ"}, {"河村", "カワムラ"}, {"原田", "ハラダ"},
	{"岡村", "オカムラ"}, {"村上", "ムラカミ"}, {"藤本", "フジモト"}, {"西村", "ニシムラ"}, {"中野", "ナカノ"}, {"松田", "マツダ"},
	{"福田", "フクダ"}, {"弘中", "ヒロナカ"}, {"末永", "スエナガ"}, {"兼重", "カネシゲ"}, {"重村", "シゲムラ"}, {"守田", "モリタ"},
	{"田村", "タムラ"}, {"石川", "イシカワ"}, {"古谷", "フルヤ"}, {"國廣", "クニヒロ"},
	// Variant characters, stored verbatim: 髙 (U+9AD9), 﨑 (U+FA11), 神 as U+FA19.
	{"髙橋", "タカハシ"}, {"山﨑", "ヤマサキ"}, {"\uFA19田", "カンダ"}}

var maleNames = []reading{{"翔太", "ショウタ"}, {"大輔", "ダイスケ"}, {"健太", "ケンタ"}, {"蓮", "レン"}, {"悠真", "ユウマ"},
	{"陽翔", "ハルト"}, {"誠", "マコト"}, {"浩", "ヒロシ"}, {"茂", "シゲル"}, {"清", "キヨシ"}, {"隆", "タカシ"}, {"和夫", "カズオ"},
	{"拓也", "タクヤ"}, {"湊", "ミナト"}, {"正男", "マサオ"}, {"一郎", "イチロウ"}, {"修", "オサム"}, {"大和", "ヤマト"}}

var femaleNames = []reading{{"陽菜", "ヒナ"}, {"結衣", "ユイ"}, {"葵", "アオイ"}, {"美咲", "ミサキ"}, {"愛", "アイ"},
	{"恵子", "ケイコ"}, {"幸子", "サチコ"}, {"和子", "カズコ"}, {"洋子", "ヨウコ"}, {"裕子", "ユウコ"}, {"由美", "ユミ"},
	{"直美", "ナオミ"}, {"芽依", "メイ"}, {"花子", "ハナコ"}, {"凛", "リン"}, {"節子", "セツコ"}, {"久美子", "クミコ"}, {"さくら", "サクラ"}}

// cityStream turns an LG code's digits into a generator stream number.
func cityStream(code jukinet.LGCode) uint64 {
	var v uint64
	for _, c := range code {
		v = v*10 + uint64(c-'0')
	}
	return v*7919 + 1
}

// randReader adapts a seeded generator to io.Reader for code generation.
type randReader struct{ r *rand.Rand }

func (rr randReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(rr.r.UintN(256))
	}
	return len(p), nil
}

// Population generates n synthetic residents of city, grouped in households,
// deterministically from seed. today bounds every date.
func Population(city City, n int, seed uint64, today jukinet.Date) ([]register.ImportRow, error) {
	// The stream is keyed by the city's code: each municipality has its own
	// people (a key shared by two cities gave them the same residents).
	r := rand.New(rand.NewPCG(seed, cityStream(city.Code)))
	p := &populator{r: r, codes: randReader{r}, city: city, today: today,
		usedCodes: map[jukinet.ResidentCode]bool{}, usedNumbers: map[jukinet.IndividualNumber]bool{}}
	rows := make([]register.ImportRow, 0, n)
	household := 0
	for len(rows) < n {
		household++
		size := householdSize(r)
		if size > n-len(rows) {
			size = n - len(rows)
		}
		var err error
		if rows, err = p.household(rows, "H"+strconv.Itoa(household), size); err != nil {
			return nil, err
		}
	}
	return rows, nil
}

// populator draws a city's households from one random stream; the order
// of the draws is the population's, so it never changes.
type populator struct {
	r           *rand.Rand
	codes       randReader
	city        City
	today       jukinet.Date
	usedCodes   map[jukinet.ResidentCode]bool
	usedNumbers map[jukinet.IndividualNumber]bool
}

// member is one person of a household as drawn.
type member struct {
	rel string
	age int
	sex jukinet.Sex
}

// household appends the size members of household key to rows.
func (p *populator) household(rows []register.ImportRow, key string, size int) ([]register.ImportRow, error) {
	r, city := p.r, p.city
	town := city.Towns[r.IntN(len(city.Towns))]
	addr := fmt.Sprintf("%s%s%s%d丁目%d番%d号", city.Prefecture, city.Name, town, 1+r.IntN(5), 1+r.IntN(30), 1+r.IntN(25))
	domicile := fmt.Sprintf("%s%s%s%d番地", city.Prefecture, city.Name, town, 1+r.IntN(900))
	if r.IntN(4) == 0 {
		domicile = fmt.Sprintf("%s%s%d番地", []string{"広島県広島市中区", "福岡県福岡市博多区", "東京都千代田区", "大阪府大阪市北区"}[r.IntN(4)],
			city.Towns[r.IntN(len(city.Towns))], 1+r.IntN(900))
	}
	family := surnames[r.IntN(len(surnames))]
	headName := ""
	for _, m := range p.members(size) {
		given := maleNames[r.IntN(len(maleNames))]
		if m.sex == jukinet.SexFemale {
			given = femaleNames[r.IntN(len(femaleNames))]
		}
		birth := p.today.AddDays(-(m.age*365 + r.IntN(365)))
		if birth.Year < 1900 {
			birth = p.today.AddDays(-(80*365 + r.IntN(365)))
		}
		code, number, err := p.codesFor()
		if err != nil {
			return nil, err
		}
		name := jukinet.Name{Kanji: family.kanji + "\u3000" + given.kanji, Kana: family.kana + "\u3000" + given.kana}
		if m.rel == register.RelationshipHead {
			headName = name.Kanji
		}
		since := birth
		if m.age > 18 {
			since = p.today.AddDays(-r.IntN(max(1, (m.age-18)*365)))
		}
		rows = append(rows, register.ImportRow{
			Line: len(rows) + 2, ResidentCode: code, IndividualNumber: number, Name: name, BirthDate: birth, Sex: m.sex,
			AddressText: addr, AddressSince: since, ResidentSince: since, HouseholdKey: key, Relationship: m.rel,
			Domicile: domicile, DomicileHead: headName, CardHolder: number != "" && r.IntN(100) < 78,
		})
	}
	return rows, nil
}

// members draws a household of size: its head, then a spouse or children.
func (p *populator) members(size int) []member {
	r := p.r
	headAge := 20 + r.IntN(70)
	if size >= 3 {
		headAge = 30 + r.IntN(30)
	}
	members := []member{{register.RelationshipHead, headAge, randomSex(r)}}
	for i := 1; i < size; i++ {
		switch {
		case i == 1 && headAge >= 24:
			members = append(members, member{spouseTitle(members[0].sex), clamp(headAge+r.IntN(9)-4, 18, 100), 3 - members[0].sex})
		case headAge >= 60 && r.IntN(3) == 0:
			members = append(members, member{"子", clamp(headAge-25-r.IntN(10), 0, 80), randomSex(r)})
		default:
			members = append(members, member{"子", clamp(headAge-22-r.IntN(20), 0, 60), randomSex(r)})
		}
	}
	return members
}

// codesFor draws a 住民票コード not drawn before and, for 97 % of people, a
// 個人番号 likewise.
func (p *populator) codesFor() (jukinet.ResidentCode, jukinet.IndividualNumber, error) {
	var code jukinet.ResidentCode
	for code == "" || p.usedCodes[code] {
		c, err := jukinet.NewResidentCode(p.codes)
		if err != nil {
			return "", "", err
		}
		code = c
	}
	p.usedCodes[code] = true
	var number jukinet.IndividualNumber
	if p.r.IntN(100) < 97 {
		for number == "" || p.usedNumbers[number] {
			c, err := jukinet.NewIndividualNumber(p.codes)
			if err != nil {
				return "", "", err
			}
			number = c
		}
		p.usedNumbers[number] = true
	}
	return code, number, nil
}

func householdSize(r *rand.Rand) int {
	switch p := r.IntN(100); {
	case p < 35:
		return 1
	case p < 63:
		return 2
	case p < 80:
		return 3
	case p < 94:
		return 4
	default:
		return 5
	}
}

func randomSex(r *rand.Rand) jukinet.Sex { return jukinet.Sex(1 + r.IntN(2)) }

func spouseTitle(headSex jukinet.Sex) string {
	if headSex == jukinet.SexMale {
		return "妻"
	}
	return "夫"
}

func clamp(v, lo, hi int) int { return max(lo, min(hi, v)) }

// Today is the demo's idea of today, in JST.
func Today() jukinet.Date { return jukinet.DateOf(time.Now()) }
