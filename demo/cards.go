package demo

import (
	"sync"

	"github.com/jukinet/jukinet/card"
)

var (
	cardsOnce sync.Once
	cards     *card.SyntheticReader
)

// Cards is the demo's virtual card reader: the synthetic 個人番号カード the
// demo issued (交付) at any of its terminals, made by a synthetic card CA
// standing for J-LIS. A deployed node has a real reader driver instead.
func Cards() *card.SyntheticReader {
	cardsOnce.Do(func() {
		ca, err := card.NewSyntheticCA("jukinet demo", nil)
		if err != nil {
			panic(err) // only when the system has no randomness
		}
		cards = &card.SyntheticReader{CA: ca}
	})
	return cards
}
