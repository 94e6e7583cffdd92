package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/node"
	"github.com/jukinet/jukinet/register"
)

type registerEvent struct {
	summary string
	run     func(ctx context.Context, g *register.Register, dec *json.Decoder) (any, error)
}

func decodeInto[T any](dec *json.Decoder) (T, error) {
	var v T
	if err := dec.Decode(&v); err != nil {
		return v, jukinet.E("register", jukinet.KindInvalid, jukinet.Field("json"), "cannot decode the input", err)
	}
	return v, nil
}

func event[T any](summary string, f func(ctx context.Context, g *register.Register, in T) (any, error)) registerEvent {
	return registerEvent{summary, func(ctx context.Context, g *register.Register, dec *json.Decoder) (any, error) {
		in, err := decodeInto[T](dec)
		if err != nil {
			return nil, err
		}
		return f(ctx, g, in)
	}}
}

type codeDate struct {
	ResidentCode jukinet.ResidentCode `json:"resident_code"`
	Date         jukinet.Date         `json:"date"`
}

type nameInput struct {
	codeDate
	Name jukinet.Name `json:"name"`
}

type surnameInput struct {
	codeDate
	Value string `json:"value"`
	Kana  string `json:"kana"`
}

type numberInput struct {
	codeDate
	Number jukinet.IndividualNumber `json:"individual_number,omitempty"`
	Reason jukinet.ChangeReason     `json:"reason"`
}

type removeInput struct {
	codeDate
	Reason jukinet.ChangeReason `json:"reason,omitempty"`
}

type readInput struct {
	ResidentCode jukinet.ResidentCode `json:"resident_code"`
	Purpose      string               `json:"purpose"`
}

type searchInput struct {
	register.Query
	Purpose string `json:"purpose"`
}

func registerEvents() map[string]registerEvent {
	return map[string]registerEvent{
		"birth": event("出生", func(ctx context.Context, g *register.Register, in register.BirthInput) (any, error) {
			return g.Birth(ctx, in)
		}),
		"move-in": event("国内転入", func(ctx context.Context, g *register.Register, in register.MoveInInput) (any, error) {
			return g.MoveInDomestic(ctx, in)
		}),
		"move-in-from-abroad": event("国外転入", func(ctx context.Context, g *register.Register, in register.MoveInInput) (any, error) {
			return g.MoveInFromAbroad(ctx, in)
		}),
		"move-out": event("転出", func(ctx context.Context, g *register.Register, in register.MoveOutInput) (any, error) {
			return g.MoveOut(ctx, in)
		}),
		"move-within": event("転居", func(ctx context.Context, g *register.Register, in register.MoveWithinInput) (any, error) {
			return g.MoveWithin(ctx, in)
		}),
		"death": event("死亡", func(ctx context.Context, g *register.Register, in register.DeathInput) (any, error) {
			return g.Death(ctx, in)
		}),
		"name-change": event("氏名変更", func(ctx context.Context, g *register.Register, in nameInput) (any, error) {
			return g.NameChange(ctx, in.ResidentCode, in.Name, in.Date)
		}),
		"former-surname": event("旧氏の記載/変更/削除", func(ctx context.Context, g *register.Register, in surnameInput) (any, error) {
			return g.SetFormerSurname(ctx, in.ResidentCode, in.Value, in.Kana, in.Date)
		}),
		"alias": event("通称の記載/削除", func(ctx context.Context, g *register.Register, in surnameInput) (any, error) {
			return g.SetAlias(ctx, in.ResidentCode, in.Value, in.Kana, in.Date)
		}),
		"household-split": event("世帯分離", func(ctx context.Context, g *register.Register, in register.HouseholdSplitInput) (any, error) {
			return g.HouseholdSplit(ctx, in)
		}),
		"household-merge": event("世帯合併", func(ctx context.Context, g *register.Register, in register.HouseholdMergeInput) (any, error) {
			return g.HouseholdMerge(ctx, in)
		}),
		"household-change": event("世帯変更", func(ctx context.Context, g *register.Register, in register.HouseholdChangeInput) (any, error) {
			return g.HouseholdChange(ctx, in)
		}),
		"householder-change": event("世帯主変更", func(ctx context.Context, g *register.Register, in register.HouseholderChangeInput) (any, error) {
			return g.HouseholderChange(ctx, in)
		}),
		"ex-officio-add": event("職権記載", func(ctx context.Context, g *register.Register, in register.ExOfficioAddInput) (any, error) {
			return g.ExOfficioAdd(ctx, in)
		}),
		"ex-officio-remove": event("職権消除", func(ctx context.Context, g *register.Register, in removeInput) (any, error) {
			return g.ExOfficioRemove(ctx, in.ResidentCode, in.Date, in.Reason)
		}),
		"ex-officio-correct": event("職権修正", func(ctx context.Context, g *register.Register, in register.ChangeInput) (any, error) {
			return g.ExOfficioCorrect(ctx, in)
		}),
		"clerical-correction": event("誤記修正", func(ctx context.Context, g *register.Register, in register.ChangeInput) (any, error) {
			return g.ClericalCorrection(ctx, in)
		}),
		"request-number": event("個人番号の変更請求/職権修正/職権記載 (request to the national server)", func(ctx context.Context, g *register.Register, in numberInput) (any, error) {
			return map[string]string{"status": "requested"}, g.RequestIndividualNumber(ctx, in.ResidentCode, in.Reason, in.Date)
		}),
		"designate-number": event("個人番号の指定 (as received)", func(ctx context.Context, g *register.Register, in numberInput) (any, error) {
			return g.DesignateIndividualNumber(ctx, in.ResidentCode, in.Number, in.Reason, in.Date)
		}),
		"change-resident-code": event("住民票コードの変更請求", func(ctx context.Context, g *register.Register, in codeDate) (any, error) {
			return g.ChangeResidentCode(ctx, in.ResidentCode, in.Date)
		}),
		"get": event("住民票の参照 (needs a purpose)", func(ctx context.Context, g *register.Register, in readInput) (any, error) {
			return g.Get(ctx, in.ResidentCode, in.Purpose)
		}),
		"search": event("検索 (kana, kanji, birth_date, address; needs a purpose)", func(ctx context.Context, g *register.Register, in searchInput) (any, error) {
			return g.Search(ctx, in.Query, in.Purpose)
		}),
	}
}

// runRegister: jukinet register EVENT --db PATH --node LG < input.json
func runRegister(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	events := registerEvents()
	names := make([]string, 0, len(events))
	for n := range events {
		names = append(names, n)
	}
	sort.Strings(names)
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		fmt.Fprintln(stderr, "usage: jukinet register EVENT --db PATH --node LGCODE --token T --keys DIR < input.json\nevents:")
		for _, n := range names {
			fmt.Fprintf(stderr, "  %-22s %s\n", n, events[n].summary)
		}
		return usageErr("no event given")
	}
	ev, ok := events[args[0]]
	if !ok {
		return usageErr("unknown event %q (one of: %s)", args[0], strings.Join(names, ", "))
	}
	fs := newFlags("register "+args[0], stderr)
	var dbf dbFlags
	var af actorFlags
	dbf.register(fs, "352063")
	af.register(fs)
	netPath := fs.String("network", "", "network description (network.toml): resolves a 本籍 to the municipality that receives the 附票 notice")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	mc := node.MunicipalityConfig{}
	if *netPath != "" {
		desc, err := loadDescription(*netPath)
		if err != nil {
			return err
		}
		mc.DomicileCodes = node.DomicileCodesOf(desc)
	}
	actx, db, err := openAs(ctx, &af, &dbf)
	if err != nil {
		return err
	}
	defer db.Close()
	// The municipality's CS, not a bare register: an event recorded from the
	// console queues the same flows as one from the terminal (転入通知; 附票
	// with --network, as serve resolves 本籍 from the network description)
	// and takes new resident codes from the node's pool (法30条の2).
	mc.Municipality = jukinet.LGCode(db.Node())
	m, err := node.NewMunicipality(db, mc)
	if err != nil {
		return err
	}
	g := m.Register()
	dec := json.NewDecoder(stdin)
	dec.DisallowUnknownFields()
	out, err := ev.run(actx, g, dec)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
