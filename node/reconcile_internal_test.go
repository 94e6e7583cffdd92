package node

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/network"
)

const testRun = "0195f3a1-7c2e-7d41-9b1f-000000000001"

// The bodies of the CS 整合性確認 name the field and the rule they break; a
// municipality naming another municipality is forbidden (not merely
// invalid), so the refusal is recorded as such.
func TestReconcileBodiesValidate(t *testing.T) {
	digest := strings.Repeat("ab", 32)
	ok := ReconcileRequest{Run: testRun, Municipality: hofu, Buckets: []BucketDigest{{Bucket: 1, Count: 2, Digest: digest}, {Bucket: 7, Count: 1, Digest: digest}}}
	for _, tc := range []struct {
		name  string
		edit  func(r *ReconcileRequest)
		kind  jukinet.Kind
		field string
	}{
		{"valid", func(*ReconcileRequest) {}, 0, ""},
		{"other municipality", func(r *ReconcileRequest) { r.Municipality = yamaguchi }, jukinet.KindForbidden, "municipality"},
		{"bad run", func(r *ReconcileRequest) { r.Run = "x" }, jukinet.KindInvalid, "run"},
		{"descending", func(r *ReconcileRequest) { r.Buckets[1].Bucket = 0 }, jukinet.KindInvalid, "buckets.bucket"},
		{"bucket range", func(r *ReconcileRequest) { r.Buckets[1].Bucket = ReconcileBuckets }, jukinet.KindInvalid, "buckets.bucket"},
		{"empty bucket", func(r *ReconcileRequest) { r.Buckets[0].Count = 0 }, jukinet.KindInvalid, "buckets.count"},
		{"short digest", func(r *ReconcileRequest) { r.Buckets[0].Digest = "ab" }, jukinet.KindInvalid, "buckets.digest"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := ok
			r.Buckets = append([]BucketDigest(nil), ok.Buckets...)
			tc.edit(&r)
			err := r.validate("test", string(hofu), "350001")
			if tc.kind == 0 {
				if err != nil {
					t.Fatalf("valid request refused: %v", err)
				}
				return
			}
			if jukinet.ErrorKind(err) != tc.kind || !strings.Contains(err.Error(), tc.field) {
				t.Fatalf("got %v, want %s naming %s", err, tc.kind, tc.field)
			}
		})
	}
	code := jukinet.ResidentCode("12345678901")
	d := ReconcileDigests{Run: testRun, Part: 1, Parts: 1, Buckets: []int{bucketOf(code)}, Entries: []PersonDigest{{Code: code, Version: 2, Hash: strings.Repeat("0", 32)}}}
	if jukinet.ValidResidentCode(string(code)) {
		if err := d.validate("test"); err != nil {
			t.Fatalf("valid digests refused: %v", err)
		}
	}
	d.Buckets = []int{(bucketOf(code) + 1) % ReconcileBuckets}
	if err := d.validate("test"); err == nil {
		t.Fatal("an entry outside the part's buckets validated")
	}
}

// Equal entries digest equally whatever their order; a changed version or
// hash changes the bucket's digest.
func TestDigestBuckets(t *testing.T) {
	a := map[jukinet.ResidentCode]PersonDigest{}
	for _, c := range []jukinet.ResidentCode{"11111111111", "22222222222", "33333333333"} {
		a[c] = PersonDigest{Code: c, Version: 1, Hash: "h"}
	}
	da := digestBuckets(a)
	e := a["22222222222"]
	e.Version = 2
	a["22222222222"] = e
	db := digestBuckets(a)
	b := bucketOf("22222222222")
	if da[b] == db[b] {
		t.Fatal("a changed version left the bucket's digest unchanged")
	}
	for k, v := range da {
		if k != b && db[k] != v {
			t.Fatalf("bucket %d changed though none of its persons did", k)
		}
	}
}

func FuzzReconcileDecode(f *testing.F) {
	b, _ := json.Marshal(ReconcileRequest{Run: testRun, Municipality: hofu, Buckets: []BucketDigest{{Bucket: 3, Count: 1, Digest: strings.Repeat("0", 64)}}})
	f.Add(b)
	f.Add([]byte(`{"run":"` + testRun + `","part":1,"parts":1,"buckets":[5],"entries":[{"code":"12345678901","version":1}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		env := &network.Envelope{Kind: network.KindReconcileRequest, From: string(hofu), Body: body}
		var req ReconcileRequest
		if Decode(env, &req) == nil && req.validate("fuzz", env.From, "350001") == nil && req.Municipality != hofu {
			t.Fatalf("a request for %s from %s validated", req.Municipality, env.From)
		}
		var d ReconcileDigests
		if Decode(env, &d) == nil && d.validate("fuzz") == nil {
			in := map[int]bool{}
			for _, b := range d.Buckets {
				in[b] = true
			}
			for _, e := range d.Entries {
				if !in[bucketOf(e.Code)] || e.Version == 0 {
					t.Fatalf("entry %+v outside buckets %v validated", e, d.Buckets)
				}
			}
		}
	})
}
