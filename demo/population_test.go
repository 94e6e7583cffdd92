package demo

import (
	"testing"

	"github.com/jukinet/jukinet"
)

// Each demo municipality has its own people: no resident code, 個人番号 or
// name is shared between two cities' populations (a shared population made a
// real 防府市 → 山口市 move fail, the person being "already a resident").
func TestPopulationsDifferByCity(t *testing.T) {
	today := jukinet.Date{Year: 2026, Month: 12, Day: 1}
	codes := map[jukinet.ResidentCode]jukinet.LGCode{}
	numbers := map[jukinet.IndividualNumber]jukinet.LGCode{}
	for _, city := range []City{Hofu, Yamaguchi, Kurume} {
		rows, err := Population(city, 500, 1, today)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			if other, ok := codes[r.ResidentCode]; ok {
				t.Fatalf("resident code of row %d of %s also in %s", r.Line, city.Name, other)
			}
			codes[r.ResidentCode] = city.Code
			if r.IndividualNumber == "" {
				continue
			}
			if other, ok := numbers[r.IndividualNumber]; ok {
				t.Fatalf("individual number of row %d of %s also in %s", r.Line, city.Name, other)
			}
			numbers[r.IndividualNumber] = city.Code
		}
	}
}
