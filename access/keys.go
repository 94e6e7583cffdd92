package access

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/biometric"
)

// keyFileHeader starts every node key file; the format is three text lines so
// that an operator can tell what the file is without tools that print secrets.
const keyFileHeader = "jukinet biometric node key 1"

// KeyRing holds a node's biometric key versions (the secret transform of
// 照合情報, G2.6): the highest version is current and new templates are
// enrolled under it; older versions stay only to verify and re-enrol
// templates made under them (renewal on the next login or by the admin).
type KeyRing struct {
	keys []biometric.NodeKey // sorted by version, ascending; never empty
}

// NewKeyRing builds a ring from keys of distinct versions. KindInvalid when
// keys is empty or two share a version.
func NewKeyRing(keys ...biometric.NodeKey) (KeyRing, error) {
	if len(keys) == 0 {
		return KeyRing{}, jukinet.E("access.NewKeyRing", jukinet.KindInvalid, jukinet.Field("keys"), "at least one node key is required")
	}
	ks := append([]biometric.NodeKey(nil), keys...)
	sort.Slice(ks, func(i, j int) bool { return ks[i].Version < ks[j].Version })
	for i := 1; i < len(ks); i++ {
		if ks[i].Version == ks[i-1].Version {
			return KeyRing{}, jukinet.Errorf("access.NewKeyRing", jukinet.KindInvalid, "keys", "two node keys have version %d", ks[i].Version)
		}
	}
	return KeyRing{keys: ks}, nil
}

// Current is the key new templates are enrolled under.
func (r KeyRing) Current() biometric.NodeKey { return r.keys[len(r.keys)-1] }

// Key returns the key of version v.
func (r KeyRing) Key(v uint32) (biometric.NodeKey, bool) {
	for _, k := range r.keys {
		if k.Version == v {
			return k, true
		}
	}
	return biometric.NodeKey{}, false
}

// Versions lists the versions held, ascending.
func (r KeyRing) Versions() []uint32 {
	out := make([]uint32, len(r.keys))
	for i, k := range r.keys {
		out[i] = k.Version
	}
	return out
}

// KeyFileName is the file of version v under a node's key directory. The
// ".key" suffix puts it under pki.CheckPermissions (G12.1).
func KeyFileName(v uint32) string { return fmt.Sprintf("biometric-v%d.key", v) }

// EncodeNodeKey renders a key file.
func EncodeNodeKey(k biometric.NodeKey) []byte {
	return []byte(fmt.Sprintf("%s\nversion %d\nsecret %s\n", keyFileHeader, k.Version, hex.EncodeToString(k.Secret[:])))
}

// DecodeNodeKey parses a key file strictly: the header, the version (≥ 1)
// and 32 bytes of secret in lower-case hex. Errors are KindInvalid and never
// contain the secret.
func DecodeNodeKey(b []byte) (biometric.NodeKey, error) {
	const op = "access.DecodeNodeKey"
	lines := strings.Split(string(b), "\n")
	if len(lines) != 4 || lines[3] != "" || lines[0] != keyFileHeader {
		return biometric.NodeKey{}, jukinet.E(op, jukinet.KindInvalid, jukinet.Field("key_file"), "not a jukinet biometric node key file")
	}
	vs, ok := strings.CutPrefix(lines[1], "version ")
	if !ok {
		return biometric.NodeKey{}, jukinet.E(op, jukinet.KindInvalid, jukinet.Field("version"), "missing version line")
	}
	v, err := strconv.ParseUint(vs, 10, 32)
	if err != nil || v == 0 || strconv.FormatUint(v, 10) != vs {
		return biometric.NodeKey{}, jukinet.E(op, jukinet.KindInvalid, jukinet.Field("version"), "the version must be a positive decimal number without leading zeros")
	}
	hs, ok := strings.CutPrefix(lines[2], "secret ")
	if !ok {
		return biometric.NodeKey{}, jukinet.E(op, jukinet.KindInvalid, jukinet.Field("secret"), "missing secret line")
	}
	var k biometric.NodeKey
	k.Version = uint32(v)
	if len(hs) != 64 || strings.ToLower(hs) != hs {
		return biometric.NodeKey{}, jukinet.E(op, jukinet.KindInvalid, jukinet.Field("secret"), "the secret must be 64 lower-case hex digits")
	}
	if _, err := hex.Decode(k.Secret[:], []byte(hs)); err != nil {
		return biometric.NodeKey{}, jukinet.E(op, jukinet.KindInvalid, jukinet.Field("secret"), "the secret must be 64 lower-case hex digits")
	}
	return k, nil
}

// LoadNodeKeys reads every biometric-vN.key under dir. KindNotFound when there
// is none; KindInvalid when a file is malformed or its name disagrees with
// the version inside.
func LoadNodeKeys(dir string) (KeyRing, error) {
	const op = "access.LoadNodeKeys"
	matches, err := filepath.Glob(filepath.Join(dir, "biometric-v*.key"))
	if err != nil {
		return KeyRing{}, jukinet.E(op, jukinet.KindInternal, err)
	}
	var keys []biometric.NodeKey
	for _, path := range matches {
		b, err := os.ReadFile(path)
		if err != nil {
			return KeyRing{}, jukinet.E(op, jukinet.KindUnavailable, jukinet.Field("key_file"), err)
		}
		k, err := DecodeNodeKey(b)
		if err != nil {
			return KeyRing{}, jukinet.E(op, filepath.Base(path), err)
		}
		if filepath.Base(path) != KeyFileName(k.Version) {
			return KeyRing{}, jukinet.Errorf(op, jukinet.KindInvalid, "key_file", "%s holds version %d", filepath.Base(path), k.Version)
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return KeyRing{}, jukinet.Errorf(op, jukinet.KindNotFound, "key_file", "no biometric node key under %s", dir)
	}
	return NewKeyRing(keys...)
}

// LoadOrCreateNodeKey returns the node's key ring from dir, creating version 1
// (file mode 0600, directory 0700; G12.1) when dir holds none.
func LoadOrCreateNodeKey(dir string) (KeyRing, error) {
	ring, err := LoadNodeKeys(dir)
	if jukinet.ErrorKind(err) != jukinet.KindNotFound {
		return ring, err
	}
	k, err := createNodeKey(dir, 1)
	if err != nil {
		return KeyRing{}, err
	}
	return NewKeyRing(k)
}

// RotateNodeKey creates the next key version under dir and returns the new
// ring. Templates enrolled under older versions are renewed at their owner's
// next login (or by the admin); an old version's file can be removed once no
// template needs it.
func RotateNodeKey(dir string) (KeyRing, error) {
	ring, err := LoadNodeKeys(dir)
	if err != nil {
		return KeyRing{}, err
	}
	k, err := createNodeKey(dir, ring.Current().Version+1)
	if err != nil {
		return KeyRing{}, err
	}
	return NewKeyRing(append(append([]biometric.NodeKey(nil), ring.keys...), k)...)
}

func createNodeKey(dir string, version uint32) (biometric.NodeKey, error) {
	const op = "access.createNodeKey"
	k, err := biometric.NewNodeKey(version, rand.Reader)
	if err != nil {
		return k, jukinet.E(op, jukinet.KindInternal, err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return k, jukinet.E(op, jukinet.KindUnavailable, jukinet.Field("key_dir"), err)
	}
	path := filepath.Join(dir, KeyFileName(version))
	// O_EXCL: never overwrite a key (templates depend on it); the mode is
	// set at creation, so the secret is never readable by others.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return k, jukinet.Errorf(op, jukinet.KindConflict, "key_file", "%s already exists", path)
	}
	if err != nil {
		return k, jukinet.E(op, jukinet.KindUnavailable, jukinet.Field("key_file"), err)
	}
	_, werr := f.Write(EncodeNodeKey(k))
	serr := f.Sync()
	cerr := f.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		os.Remove(path)
		return k, jukinet.E(op, jukinet.KindUnavailable, jukinet.Field("key_file"), err)
	}
	return k, nil
}
