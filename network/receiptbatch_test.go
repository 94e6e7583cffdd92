package network

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/google/uuid"

	"github.com/jukinet/jukinet"
)

// The compact answer carries the same receipts as the full list: decoded,
// each has its batch signature and a proof, verifies on its own, and survives
// being stored alone (EncodeReceipt).
func TestReceiptBatchRoundTrip(t *testing.T) {
	keys := newTestKeys()
	for _, n := range []int{1, 2, 3, 7, 100} {
		rs := testReceipts(t, keys, yamaPref, n)
		b, err := EncodeReceiptBatch(keys[yamaPref], yamaPref, rs)
		if err != nil {
			t.Fatal(err)
		}
		full, err := EncodeReceipts(rs)
		if err != nil {
			t.Fatal(err)
		}
		if n == 100 && len(b)*3 > len(full) {
			t.Errorf("compact answer of 100 is %d bytes, the full list %d: want under a third", len(b), len(full))
		}
		got, err := DecodeReceiptAnswer(b)
		if err != nil {
			t.Fatalf("n=%d: %v", n, err)
		}
		// Same contents, same signed root, same proofs as SignReceipts gave.
		if d := cmp.Diff(rs, got, cmp.Comparer(bytes.Equal), cmpopts.EquateEmpty()); d != "" {
			t.Errorf("n=%d: decoded compact answer differs (-signed +decoded):\n%s", n, d)
		}
		if err := VerifyReceipts(got, keys.lookup); err != nil {
			t.Errorf("n=%d: VerifyReceipts: %v", n, err)
		}
		one, err := EncodeReceipt(got[n-1])
		if err != nil {
			t.Fatal(err)
		}
		alone, err := DecodeReceipt(one)
		if err != nil {
			t.Fatal(err)
		}
		if err := VerifyReceipts([]*Receipt{alone}, keys.lookup); err != nil {
			t.Errorf("n=%d: the last receipt stored alone does not verify: %v", n, err)
		}
	}
}

// Any change to a compact answer is refused by the decoder (naming the
// field) or makes the receipts fail verification; none passes.
func TestReceiptBatchTampering(t *testing.T) {
	keys := newTestKeys()
	rs := testReceipts(t, keys, yamaPref, 5)
	b, err := EncodeReceiptBatch(keys[yamaPref], yamaPref, rs)
	if err != nil {
		t.Fatal(err)
	}
	for i := range b {
		for _, bit := range []byte{0x01, 0x80} {
			c := append([]byte(nil), b...)
			c[i] ^= bit
			got, err := DecodeReceiptBatch(c)
			if err != nil {
				if !strings.Contains(err.Error(), "network.DecodeReceiptBatch") {
					t.Fatalf("byte %d: error %v does not name the decoder", i, err)
				}
				continue
			}
			if VerifyReceipts(got, keys.lookup) == nil {
				t.Fatalf("byte %d bit %#x changed: the receipts still verify", i, bit)
			}
		}
	}
	for _, cut := range []int{0, 1, 2, 10, len(b) / 2, len(b) - 1} {
		if _, err := DecodeReceiptBatch(b[:cut]); jukinet.ErrorKind(err) != jukinet.KindInvalid {
			t.Errorf("truncated to %d bytes: %v; want invalid", cut, err)
		}
	}
	if _, err := DecodeReceiptBatch(append(append([]byte(nil), b...), 0)); err == nil || !strings.Contains(err.Error(), "trailing") {
		t.Errorf("a trailing byte: %v; want refused", err)
	}
	if _, err := EncodeReceiptBatch(keys[yamaPref], fukuPref, rs); err == nil {
		t.Error("a node signed another node's receipts")
	}
}

func FuzzDecodeReceiptBatch(f *testing.F) {
	keys := newTestKeys()
	// Deterministic: fuzzing workers run this setup again and must build the
	// same genuine answer.
	rs := make([]*Receipt, 3)
	for i := range rs {
		rs[i] = &Receipt{MessageID: uuid.UUID{0x01, 0x9a, byte(i), 7: 0x70, 8: 0x80}, Status: StatusAccepted, Receiver: yamaPref, Time: testTime}
	}
	b, err := EncodeReceiptBatch(keys[yamaPref], yamaPref, rs)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add(b[:len(b)/2])
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := DecodeReceiptBatch(data)
		if err != nil {
			return
		}
		if len(got) == 0 || uint64(len(got)) != got[0].Sig.BatchSize {
			t.Fatalf("decoded %d receipts of a batch of %d", len(got), got[0].Sig.BatchSize)
		}
		if VerifyReceipts(got, keys.lookup) == nil && !bytes.Equal(data, b) {
			// Only the genuine answer verifies (the fuzzer cannot forge
			// an Ed25519 signature); anything else decoded must fail.
			t.Fatalf("a changed answer verifies")
		}
	})
}

// A sender that does not ask for the compact answer gets the full list.
func TestServerAnswersFullListWithoutHeader(t *testing.T) {
	n := startNode(t, yamaPref, nil)
	c := n.client(t, hofu, n.ca)
	envs := signedEnvelopes(t, n.keys, KindIdentityNotify, hofu, yamaPref, 3)
	body, err := EncodeBatch(&Batch{Sender: hofu, Envelopes: envs})
	if err != nil {
		t.Fatal(err)
	}
	for _, compact := range []bool{false, true} {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, "https://"+n.addr+BatchPath, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", contentType)
		if compact {
			req.Header.Set(ReceiptBatchHeader, "1")
		}
		resp, err := c.http.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK || len(data) < 2 {
			t.Fatalf("answer: %d, %d bytes, %v", resp.StatusCode, len(data), err)
		}
		want := byte(recordReceiptList)
		if compact {
			want = recordReceiptBatch
		}
		if data[1] != want {
			t.Errorf("compact=%v: answer record type %d, want %d", compact, data[1], want)
		}
		rs, err := DecodeReceiptAnswer(data)
		if err != nil || len(rs) != len(envs) {
			t.Fatalf("compact=%v: %d receipts, %v", compact, len(rs), err)
		}
		if err := VerifyReceipts(rs, n.desc.Keys()); err != nil {
			t.Errorf("compact=%v: %v", compact, err)
		}
	}
}
