package register

import (
	"crypto/rand"
	"io"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/store"
)

// RandomCodes draws resident codes at random, checking they are unused here.
// Tests of the register alone use it; a node draws from its pool.
type RandomCodes struct{ Rand io.Reader }

// NextResidentCode implements CodeSource.
func (c RandomCodes) NextResidentCode(tx *store.Tx) (jukinet.ResidentCode, error) {
	r := c.Rand
	if r == nil {
		r = rand.Reader
	}
	for range 100 {
		code, err := jukinet.NewResidentCode(r)
		if err != nil {
			return "", err
		}
		var n int
		if err := tx.QueryRow(`SELECT COUNT(*) FROM person_versions WHERE resident_code = $1`, string(code)).Scan(&n); err != nil {
			return "", err
		}
		if n == 0 {
			return code, nil
		}
	}
	return "", jukinet.E("register.NextResidentCode", jukinet.KindInternal, "no unused resident code found")
}

// ImportTables are the tables whose statistics an import refreshes, in
// the order Analyze takes them.
var ImportTables = importTables
