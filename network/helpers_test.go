package network

import (
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
	"testing"
	"time"
)

// Test nodes (real local-government codes; docs/domain.md §4).
const (
	hofu     = "352063" // 防府市
	yamaguch = "352012" // 山口市
	ube      = "352021" // 宇部市
	yamaPref = "350001" // 山口県
	kurume   = "402036" // 久留米市
	fukuPref = "400009" // 福岡県
)

var testNodeIDs = []string{hofu, yamaguch, ube, yamaPref, kurume, fukuPref, NationalID}

// testKeys holds a deterministic Ed25519 key per test node.
type testKeys map[string]ed25519.PrivateKey

func newTestKeys() testKeys {
	k := testKeys{}
	for _, id := range testNodeIDs {
		seed := sha256.Sum256([]byte("jukinet test key " + id))
		k[id] = ed25519.NewKeyFromSeed(seed[:])
	}
	return k
}

func (k testKeys) lookup(id string) (ed25519.PublicKey, bool) {
	priv, ok := k[id]
	if !ok {
		return nil, false
	}
	return priv.Public().(ed25519.PublicKey), true
}

var testTime = time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC).UnixMicro()

func newTestEnvelope(t testing.TB, kind Kind, from, to string, n int) *Envelope {
	t.Helper()
	e, err := NewEnvelope(kind, from, to, testTime+int64(n), fmt.Appendf(nil, `{"n":%d}`, n))
	if err != nil {
		t.Fatalf("NewEnvelope(%v, %s, %s): %v", kind, from, to, err)
	}
	e.OrderingKey = fmt.Sprintf("%s/%011d", from, n)
	e.Version = uint64(n + 1)
	return e
}

// signedEnvelopes returns n envelopes of kind from → to, signed as one batch.
func signedEnvelopes(t testing.TB, keys testKeys, kind Kind, from, to string, n int) []*Envelope {
	t.Helper()
	envs := make([]*Envelope, n)
	for i := range envs {
		envs[i] = newTestEnvelope(t, kind, from, to, i)
	}
	if err := SignBatch(keys[from], from, envs); err != nil {
		t.Fatalf("SignBatch(%d envelopes): %v", n, err)
	}
	return envs
}
