package access

import (
	"bytes"
	"crypto/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/biometric"
	"github.com/jukinet/jukinet/pki"
)

func TestLoadOrCreateNodeKey(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "keys")
	ring, err := LoadOrCreateNodeKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	if ring.Current().Version != 1 {
		t.Errorf("first key version = %d, want 1", ring.Current().Version)
	}
	info, err := os.Stat(filepath.Join(dir, KeyFileName(1)))
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("key file mode = %v, want 0600", info.Mode().Perm())
	}
	if f := pki.CheckPermissions(dir); len(f) != 0 {
		t.Errorf("pki.CheckPermissions(%s) = %v, want none", dir, f)
	}
	again, err := LoadOrCreateNodeKey(dir)
	if err != nil || again.Current().ID() != ring.Current().ID() {
		t.Errorf("second LoadOrCreateNodeKey = %v, %v; want the same key %v", again.Current(), err, ring.Current())
	}
	rotated, err := RotateNodeKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := rotated.Versions(); len(got) != 2 || got[1] != 2 || rotated.Current().Version != 2 {
		t.Errorf("versions after rotation = %v, want [1 2]", got)
	}
	loaded, err := LoadNodeKeys(dir)
	if err != nil || loaded.Current().ID() != rotated.Current().ID() {
		t.Errorf("LoadNodeKeys after rotation = %v, %v; want current %v", loaded.Current(), err, rotated.Current())
	}
	if _, err := LoadNodeKeys(t.TempDir()); jukinet.ErrorKind(err) != jukinet.KindNotFound {
		t.Errorf("LoadNodeKeys(empty dir) = %v, want KindNotFound", err)
	}
	os.WriteFile(filepath.Join(dir, KeyFileName(7)), EncodeNodeKey(ring.Current()), 0o600)
	if _, err := LoadNodeKeys(dir); jukinet.ErrorKind(err) != jukinet.KindInvalid {
		t.Errorf("LoadNodeKeys with a misnamed file = %v, want KindInvalid", err)
	}
}

func TestDecodeNodeKey(t *testing.T) {
	k, _ := biometric.NewNodeKey(3, rand.Reader)
	good := string(EncodeNodeKey(k))
	got, err := DecodeNodeKey([]byte(good))
	if err != nil || got != k {
		t.Fatalf("DecodeNodeKey(EncodeNodeKey(k)) = %v, %v; want k", got, err)
	}
	secretHex := strings.Fields(strings.Split(good, "\n")[2])[1]
	for _, tc := range []struct{ name, in, field string }{
		{"empty", "", "key_file"},
		{"no trailing newline", strings.TrimSuffix(good, "\n"), "key_file"},
		{"wrong header", strings.Replace(good, "key 1", "key 2", 1), "key_file"},
		{"version zero", strings.Replace(good, "version 3", "version 0", 1), "version"},
		{"leading zero", strings.Replace(good, "version 3", "version 03", 1), "version"},
		{"version overflow", strings.Replace(good, "version 3", "version 4294967296", 1), "version"},
		{"upper-case hex", strings.Replace(good, secretHex, strings.ToUpper(secretHex), 1), "secret"},
		{"short secret", strings.Replace(good, secretHex, secretHex[:62], 1), "secret"},
		{"not hex", strings.Replace(good, secretHex, "zz"+secretHex[2:], 1), "secret"},
		{"missing secret label", strings.Replace(good, "secret ", "secret:", 1), "secret"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeNodeKey([]byte(tc.in))
			if jukinet.ErrorKind(err) != jukinet.KindInvalid || jukinet.ErrorField(err) != tc.field {
				t.Errorf("DecodeNodeKey(%s) = %v, want KindInvalid field %q", tc.name, err, tc.field)
			}
			if err != nil && strings.Contains(err.Error(), secretHex[:16]) {
				t.Errorf("error %q contains the secret", err)
			}
		})
	}
}

func FuzzDecodeNodeKey(f *testing.F) {
	k, _ := biometric.NewNodeKey(1, rand.Reader)
	f.Add(EncodeNodeKey(k))
	f.Add([]byte("jukinet biometric node key 1\nversion 9\nsecret 00\n"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		k, err := DecodeNodeKey(b)
		if err != nil {
			if jukinet.ErrorKind(err) != jukinet.KindInvalid {
				t.Fatalf("DecodeNodeKey error kind %v, want KindInvalid", jukinet.ErrorKind(err))
			}
			return
		}
		if k.Version == 0 {
			t.Fatalf("accepted version 0")
		}
		if !bytes.Equal(EncodeNodeKey(k), b) {
			t.Fatalf("accepted a non-canonical key file %q", b)
		}
	})
}

func TestValidID(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want bool
	}{
		{"C-ADMIN", true}, {"OP-ISSUE-special_move_in", true}, {"a", true}, {strings.Repeat("x", 32), true},
		{"", false}, {strings.Repeat("x", 33), false}, {"-lead", false}, {"_lead", false}, {"sp ace", false},
		{"照合", false}, {"a\nb", false}, {"a;b", false},
	} {
		if got := jukinet.ValidID(tc.in); got != tc.want {
			t.Errorf("jukinet.ValidID(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func FuzzValidID(f *testing.F) {
	for _, s := range []string{"C-ADMIN", "", "-x", "a b", "照合ID"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !jukinet.ValidID(s) {
			return
		}
		if len(s) > 32 || strings.ContainsAny(s, " \t\n\r=;,'\"<>&") || logID(s) != s {
			t.Fatalf("ValidID accepted %q", s)
		}
	})
}

func FuzzHashToken(f *testing.F) {
	f.Add("")
	f.Add(strings.Repeat("A", 43))
	f.Add(strings.Repeat("_", 43))
	f.Add(strings.Repeat("B", 44))
	f.Fuzz(func(t *testing.T, s string) {
		h, ok := hashToken(s)
		if !ok {
			return
		}
		if len(h) != 32 || len(s) != 43 {
			t.Fatalf("hashToken(%q) accepted: hash %d bytes", s, len(h))
		}
	})
}
