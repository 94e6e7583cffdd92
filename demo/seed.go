package demo

import (
	"context"
	"path/filepath"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/register"
	"github.com/jukinet/jukinet/store"
)

// SeedActor is the system principal that loads synthetic populations.
var SeedActor = jukinet.SystemActor("demo-seed")

// SeedResult says what seeding did.
type SeedResult struct {
	City       string `json:"city"`
	Code       string `json:"code"`
	DB         string `json:"db"`
	Imported   int    `json:"imported"`
	Households int    `json:"households"`
	Existing   int    `json:"existing"` // residents already there (seeding is skipped)
}

// OpenNode opens node id's SQLite database under dir (DIR/ID.db).
func OpenNode(ctx context.Context, dir, id string) (*store.DB, error) {
	return store.Open(ctx, store.Config{Path: filepath.Join(dir, id+".db"), Node: id})
}

// SeedMunicipality loads n synthetic residents into the register of city on
// db, unless it already has residents.
func SeedMunicipality(ctx context.Context, db *store.DB, city City, n int, seed uint64) (SeedResult, error) {
	res := SeedResult{City: city.Name, Code: string(city.Code)}
	g, err := register.New(db, register.Config{Municipality: city.Code})
	if err != nil {
		return res, err
	}
	c, err := g.Count(ctx)
	if err != nil {
		return res, err
	}
	if c.Current > 0 {
		res.Existing = c.Current
		return res, nil
	}
	rows, err := Population(city, n, seed, jukinet.Today(db.Now()))
	if err != nil {
		return res, err
	}
	ir, err := g.Import(jukinet.WithActor(ctx, SeedActor), rows, register.ImportOptions{})
	if err != nil {
		return res, err
	}
	res.Imported, res.Households = ir.Imported, ir.Households
	return res, nil
}
