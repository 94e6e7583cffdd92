package network

import (
	"bytes"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/jukinet/jukinet"
)

func testReceipts(t testing.TB, keys testKeys, receiver string, n int) []*Receipt {
	t.Helper()
	rs := make([]*Receipt, n)
	for i := range rs {
		rs[i] = &Receipt{MessageID: uuid.Must(uuid.NewV7()), Status: StatusAccepted, Receiver: receiver, Time: testTime}
	}
	if n > 1 {
		rs[1].Status, rs[1].Reason, rs[1].Detail = StatusRejected, ReasonStaleVersion, "version 3 < applied 5"
	}
	if n > 2 {
		rs[2].Status = StatusDuplicate
	}
	if err := SignReceipts(keys[receiver], receiver, rs); err != nil {
		t.Fatalf("SignReceipts: %v", err)
	}
	return rs
}

func TestReceiptsRoundTripAndVerify(t *testing.T) {
	keys := newTestKeys()
	rs := testReceipts(t, keys, yamaPref, 4)
	b, err := EncodeReceipts(rs)
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeReceipts(b)
	if err != nil {
		t.Fatalf("DecodeReceipts: %v", err)
	}
	if d := cmp.Diff(rs, got, cmp.Comparer(bytes.Equal)); d != "" {
		t.Errorf("round trip (-want +got):\n%s", d)
	}
	if err := VerifyReceipts(got, keys.lookup); err != nil {
		t.Errorf("VerifyReceipts: %v", err)
	}
}

func TestVerifyReceiptsRejects(t *testing.T) {
	keys := newTestKeys()
	tests := []struct {
		name   string
		change func(rs []*Receipt)
		want   Reason
	}{
		{"status changed", func(rs []*Receipt) { rs[1].Status, rs[1].Reason, rs[1].Detail = StatusAccepted, ReasonNone, "" }, ReasonBadProof},
		{"receiver changed", func(rs []*Receipt) { rs[2].Receiver, rs[2].Sig.Signer = fukuPref, fukuPref }, ReasonBadProof},
		{"signature", func(rs []*Receipt) { rs[0].Sig.Signature[0] ^= 0x80 }, ReasonBadSignature},
		{"rejection without reason", func(rs []*Receipt) { rs[1].Reason = ReasonNone }, ReasonMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rs := testReceipts(t, keys, yamaPref, 3)
			tc.change(rs)
			if got := ReasonOf(VerifyReceipts(rs, keys.lookup)); got != tc.want {
				t.Errorf("VerifyReceipts: reason %v, want %v", got, tc.want)
			}
		})
	}
}

func TestDecodeReceiptRejects(t *testing.T) {
	keys := newTestKeys()
	good, _ := EncodeReceipt(testReceipts(t, keys, yamaPref, 2)[1])
	mut := func(i int, v byte) []byte { b := append([]byte(nil), good...); b[i] = v; return b }
	tests := []struct {
		name, field string
		in          []byte
	}{
		{"status 9", "status", mut(18, 9)},
		{"reason 200", "reason", mut(19, 200)},
		{"envelope type", "record_type", mut(1, recordEnvelope)},
		{"truncated", "sig.proof", good[:len(good)-2]},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := DecodeReceipt(tc.in); jukinet.ErrorField(err) != tc.field {
				t.Errorf("DecodeReceipt: err %v, want one naming %q", err, tc.field)
			}
		})
	}
}

func FuzzDecodeReceipt(f *testing.F) {
	keys := newTestKeys()
	for _, r := range testReceipts(f, keys, NationalID, 3) {
		b, _ := EncodeReceipt(r)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := DecodeReceipt(b)
		if err != nil {
			return
		}
		b2, err := EncodeReceipt(r)
		if err != nil || !bytes.Equal(b, b2) {
			t.Fatalf("re-encoding of %x: %x, %v", b, b2, err)
		}
	})
}

func FuzzDecodeReceipts(f *testing.F) {
	keys := newTestKeys()
	b, _ := EncodeReceipts(testReceipts(f, keys, NationalID, 3))
	f.Add(b)
	f.Fuzz(func(t *testing.T, b []byte) {
		rs, err := DecodeReceipts(b)
		if err != nil {
			return
		}
		b2, err := EncodeReceipts(rs)
		if err != nil || !bytes.Equal(b, b2) {
			t.Fatalf("re-encoding of %x: %x, %v", b, b2, err)
		}
	})
}
