package card

import (
	"errors"
	"testing"
	"time"
)

func newCard(t *testing.T, pin string) (*SyntheticCA, *Synthetic) {
	t.Helper()
	ca, err := NewSyntheticCA("test", nil)
	if err != nil {
		t.Fatal(err)
	}
	c, err := ca.NewCard("CARD0001", pin, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return ca, c
}

// The card checks its own PIN, counts wrong ones and locks after three; a
// right PIN signs a challenge the certificate's key verifies.
func TestSyntheticCardPINAndSignature(t *testing.T) {
	_, c := newCard(t, "1234")
	ch := []byte("challenge-1")
	sig, err := c.Sign("1234", ch)
	if err != nil {
		t.Fatal(err)
	}
	if err := Verify(c.Certificate(), ch, sig, time.Now()); err != nil {
		t.Fatalf("verify: %v", err)
	}
	if err := Verify(c.Certificate(), []byte("challenge-2"), sig, time.Now()); err == nil {
		t.Fatal("a signature over another challenge verified")
	}
	if err := Verify(c.Certificate(), ch, sig, time.Now().Add(2*time.Hour)); err == nil {
		t.Fatal("an expired certificate verified")
	}
	for i := 1; i <= MaxPINTries; i++ {
		var w *WrongPINError
		if _, err := c.Sign("0000", ch); !errors.As(err, &w) || w.Left != MaxPINTries-i {
			t.Fatalf("wrong PIN %d: %v", i, err)
		}
	}
	if c.TriesLeft() != 0 {
		t.Fatalf("tries left %d", c.TriesLeft())
	}
	if _, err := c.Sign("1234", ch); !errors.Is(err, ErrLocked) {
		t.Fatalf("locked card with the right PIN: %v, want ErrLocked", err)
	}
}

// Another card's signature does not verify against this card's certificate.
func TestVerifyOtherCard(t *testing.T) {
	ca, a := newCard(t, "1234")
	b, err := ca.NewCard("CARD0002", "1234", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	sig, _ := b.Sign("1234", []byte("x"))
	if err := Verify(a.Certificate(), []byte("x"), sig, time.Now()); err == nil {
		t.Fatal("card B's signature verified against card A's certificate")
	}
}

func FuzzVerify(f *testing.F) {
	_, c := newCard(&testing.T{}, "1234")
	sig, _ := c.Sign("1234", []byte("x"))
	f.Add(c.Certificate(), []byte("x"), sig)
	f.Add([]byte{0x30, 0x00}, []byte{}, []byte{})
	f.Fuzz(func(t *testing.T, der, ch, sig []byte) {
		_ = Verify(der, ch, sig, time.Now()) // must not panic
	})
}
