package store_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sync"
	"testing"

	"github.com/jukinet/jukinet/store"
	"github.com/jukinet/jukinet/store/storetest"
)

// SubjectToken is hex(HMAC-SHA256(subject key, resident code))[:24], also
// when called from many goroutines at once (the keyed HMACs are pooled).
func TestSubjectTokenIsKeyedHMAC(t *testing.T) {
	db := storetest.Open(t, store.SQLite, "352063")
	keyHex, err := db.Meta(context.Background(), "subject_key")
	if err != nil {
		t.Fatal(err)
	}
	key, err := hex.DecodeString(keyHex)
	if err != nil || len(key) != 32 {
		t.Fatalf("subject key %q: %v", keyHex, err)
	}
	want := func(code string) string {
		m := hmac.New(sha256.New, key)
		m.Write([]byte(code))
		return hex.EncodeToString(m.Sum(nil)[:12])
	}
	if got := db.SubjectToken(""); got != "" {
		t.Errorf("SubjectToken(\"\") = %q, want empty", got)
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 500 {
				code := fmt.Sprintf("%011d", g*1000+i)
				if got, w := db.SubjectToken(code), want(code); got != w {
					t.Errorf("SubjectToken(%s) = %s, want %s", code, got, w)
					return
				}
			}
		})
	}
	wg.Wait()
}
