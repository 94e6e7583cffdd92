package pki

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jukinet/jukinet"
)

func fileMode(t *testing.T, path string) fs.FileMode {
	t.Helper()
	info, err := os.Lstat(path)
	if err != nil {
		t.Fatalf("stat %s: %v", path, err)
	}
	return info.Mode().Perm()
}

func readBytes(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// initDir makes a fresh PKI directory with a CA and node 352063.
func initDir(t *testing.T) (string, *NodeCredentials) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "pki")
	if _, err := Init(dir, Options{}); err != nil {
		t.Fatalf("Init(%s): %v", dir, err)
	}
	creds, err := IssueNodeFiles(dir, "352063", []string{"127.0.0.1"}, Options{})
	if err != nil {
		t.Fatalf("IssueNodeFiles: %v", err)
	}
	return dir, creds
}

func TestFileModes(t *testing.T) {
	dir, _ := initDir(t)
	if _, err := IssueTerminalFiles(dir, "352063", "T01", Options{}); err != nil {
		t.Fatalf("IssueTerminalFiles: %v", err)
	}
	want := map[string]fs.FileMode{
		"":                                  0o700,
		"ca.key":                            0o600,
		"352063":                            0o700,
		"352063/node.key":                   0o600,
		"352063/signing.key":                0o600,
		"352063/terminals":                  0o700,
		"352063/terminals/T01":              0o700,
		"352063/terminals/T01/terminal.key": 0o600,
	}
	for rel, mode := range want {
		if got := fileMode(t, filepath.Join(dir, rel)); got != mode {
			t.Errorf("mode of %q = %v, want %v", rel, got, mode)
		}
	}
	// Public files: never writable by group or others (exact bits depend on the umask).
	for _, rel := range []string{"ca.crt", "352063/node.crt", "352063/signing.pub", "352063/ca.crt", "352063/terminals/T01/terminal.crt"} {
		if got := fileMode(t, filepath.Join(dir, rel)); got&0o022 != 0 || got&0o400 == 0 {
			t.Errorf("mode of %q = %v; want readable by the owner and writable by the owner only", rel, got)
		}
	}
	if f := CheckPermissions(dir); len(f) != 0 {
		t.Errorf("CheckPermissions(fresh directory) = %v; want no findings", f)
	}
}

func TestLoadRoundTrip(t *testing.T) {
	dir, issued := initDir(t)
	loaded, err := LoadNode(dir, "352063")
	if err != nil {
		t.Fatalf("LoadNode: %v", err)
	}
	if !loaded.Leaf().Equal(issued.Leaf()) || !loaded.SigningKey.Equal(issued.SigningKey) || !loaded.CA.Equal(issued.CA) {
		t.Error("LoadNode returned credentials that differ from those issued")
	}
	if !loaded.NotAfter().Equal(issued.NotAfter()) {
		t.Errorf("NotAfter = %v, want %v", loaded.NotAfter(), issued.NotAfter())
	}
	pub := strings.TrimSpace(string(readBytes(t, filepath.Join(dir, "352063", SigningPubFile))))
	if want := FormatPublicKey(issued.SigningPublicKey()); pub != want {
		t.Errorf("signing.pub = %q, want %q", pub, want)
	}
	// Loaded credentials work: B accepts A on a real handshake.
	if _, err := IssueNodeFiles(dir, "350001", nil, Options{}); err != nil {
		t.Fatal(err)
	}
	b, err := LoadNode(dir, "350001")
	if err != nil {
		t.Fatal(err)
	}
	r := handshake(t, b.ServerTLSConfig(), loaded.ClientTLSConfig("350001"))
	if r.serverErr != nil || r.clientErr != nil || r.serverPeer != "352063" {
		t.Errorf("handshake with loaded credentials: peer %q, server %v, client %v; want peer 352063", r.serverPeer, r.serverErr, r.clientErr)
	}
	ca, err := LoadCA(dir)
	if err != nil || !ca.Cert.Equal(issued.CA) {
		t.Errorf("LoadCA = %v; want the CA that issued the node", err)
	}
	term, err := IssueTerminalFiles(dir, "352063", "T01", Options{})
	if err != nil {
		t.Fatal(err)
	}
	lt, err := LoadTerminal(dir, "352063", "T01")
	if err != nil || !lt.Certificate.Leaf.Equal(term.Certificate.Leaf) {
		t.Errorf("LoadTerminal = %v; want the issued terminal certificate", err)
	}
}

func TestNoOverwrite(t *testing.T) {
	dir, _ := initDir(t)
	caKey := readBytes(t, filepath.Join(dir, CAKeyFile))
	nodeKey := readBytes(t, filepath.Join(dir, "352063", NodeKeyFile))
	signingKey := readBytes(t, filepath.Join(dir, "352063", SigningKeyFile))

	if _, err := Init(dir, Options{}); !jukinet.IsKind(err, jukinet.KindConflict) {
		t.Errorf("Init over an existing CA: error = %v; want KindConflict", err)
	}
	if _, err := IssueNodeFiles(dir, "352063", nil, Options{}); !jukinet.IsKind(err, jukinet.KindConflict) {
		t.Errorf("IssueNodeFiles over an existing node: error = %v; want KindConflict", err)
	}
	if !bytes.Equal(readBytes(t, filepath.Join(dir, CAKeyFile)), caKey) ||
		!bytes.Equal(readBytes(t, filepath.Join(dir, "352063", NodeKeyFile)), nodeKey) ||
		!bytes.Equal(readBytes(t, filepath.Join(dir, "352063", SigningKeyFile)), signingKey) {
		t.Fatal("a refused write changed an existing key")
	}
	// Only one file present still blocks the whole set.
	os.Remove(filepath.Join(dir, "352063", NodeKeyFile))
	if _, err := IssueNodeFiles(dir, "352063", nil, Options{}); !jukinet.IsKind(err, jukinet.KindConflict) {
		t.Errorf("IssueNodeFiles with signing.key present: error = %v; want KindConflict", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "352063", NodeKeyFile)); err == nil {
		t.Error("a refused IssueNodeFiles wrote node.key")
	}

	// With Overwrite the files are replaced, still 0600, and load together.
	if _, err := IssueNodeFiles(dir, "352063", nil, Options{Overwrite: true}); err != nil {
		t.Fatalf("IssueNodeFiles with Overwrite: %v", err)
	}
	if bytes.Equal(readBytes(t, filepath.Join(dir, "352063", SigningKeyFile)), signingKey) {
		t.Error("Overwrite left the old signing key")
	}
	if got := fileMode(t, filepath.Join(dir, "352063", SigningKeyFile)); got != 0o600 {
		t.Errorf("mode after overwrite = %v, want 0600", got)
	}
	if _, err := LoadNode(dir, "352063"); err != nil {
		t.Errorf("LoadNode after overwrite: %v", err)
	}
	leftovers, _ := filepath.Glob(filepath.Join(dir, "352063", "*.tmp-*"))
	if len(leftovers) != 0 {
		t.Errorf("temporary files left behind: %v", leftovers)
	}
}

func TestOpenDirectoryRefused(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "open")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil { // defeat the umask: the test needs an open directory
		t.Fatal(err)
	}
	if _, err := Init(dir, Options{}); !jukinet.IsKind(err, jukinet.KindForbidden) {
		t.Errorf("Init into a 0755 directory: error = %v; want KindForbidden", err)
	}
	if _, err := os.Stat(filepath.Join(dir, CAKeyFile)); err == nil {
		t.Error("ca.key was written into an open directory")
	}
}

func TestLoadRefusesBadFiles(t *testing.T) {
	tests := []struct {
		name     string
		spoil    func(t *testing.T, dir string)
		wantKind jukinet.Kind
	}{
		{"node.key readable by others", func(t *testing.T, dir string) {
			os.Chmod(filepath.Join(dir, "352063", NodeKeyFile), 0o644)
		}, jukinet.KindForbidden},
		{"signing.key readable by group", func(t *testing.T, dir string) {
			os.Chmod(filepath.Join(dir, "352063", SigningKeyFile), 0o640)
		}, jukinet.KindForbidden},
		{"node.key missing", func(t *testing.T, dir string) {
			os.Remove(filepath.Join(dir, "352063", NodeKeyFile))
		}, jukinet.KindNotFound},
		{"node.key of another node", func(t *testing.T, dir string) {
			copyFile(t, filepath.Join(dir, "350001", NodeKeyFile), filepath.Join(dir, "352063", NodeKeyFile))
		}, jukinet.KindInvalid},
		{"node.crt of another node", func(t *testing.T, dir string) {
			copyFile(t, filepath.Join(dir, "350001", NodeCertFile), filepath.Join(dir, "352063", NodeCertFile))
			copyFile(t, filepath.Join(dir, "350001", NodeKeyFile), filepath.Join(dir, "352063", NodeKeyFile))
		}, jukinet.KindInvalid},
		{"signing.pub of another node", func(t *testing.T, dir string) {
			copyFile(t, filepath.Join(dir, "350001", SigningPubFile), filepath.Join(dir, "352063", SigningPubFile))
		}, jukinet.KindInvalid},
		{"ca.crt of another CA", func(t *testing.T, dir string) {
			other := testCA(t, "other")
			os.Remove(filepath.Join(dir, "352063", CACertFile))
			os.WriteFile(filepath.Join(dir, "352063", CACertFile), EncodeCertificatePEM(other.Cert.Raw), 0o644)
		}, jukinet.KindInvalid},
		{"node.crt garbage", func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, "352063", NodeCertFile), []byte("garbage"), 0o644)
		}, jukinet.KindInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, _ := initDir(t)
			if _, err := IssueNodeFiles(dir, "350001", nil, Options{}); err != nil {
				t.Fatal(err)
			}
			tt.spoil(t, dir)
			_, err := LoadNode(dir, "352063")
			if !jukinet.IsKind(err, tt.wantKind) {
				t.Errorf("LoadNode after %s: error = %v; want %v", tt.name, err, tt.wantKind)
			}
			if err != nil && strings.Contains(err.Error(), "PRIVATE KEY") {
				t.Errorf("error %q quotes key material", err)
			}
		})
	}
	if _, err := LoadNode(t.TempDir(), "../x"); jukinet.ErrorField(err) != "node" {
		t.Errorf("LoadNode(../x) error = %v; want KindInvalid on node", err)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	data := readBytes(t, from)
	info, err := os.Stat(to)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, info.Mode().Perm()); err != nil {
		t.Fatal(err)
	}
}

func TestCheckPermissions(t *testing.T) {
	dir, _ := initDir(t)
	os.Chmod(filepath.Join(dir, "352063", NodeKeyFile), 0o640)
	os.Chmod(filepath.Join(dir, "352063"), 0o750)
	os.Chmod(filepath.Join(dir, CACertFile), 0o666)
	os.Symlink(filepath.Join(dir, CAKeyFile), filepath.Join(dir, "352063", "link.key"))
	got := map[string]bool{}
	for _, f := range CheckPermissions(dir) {
		rel, _ := filepath.Rel(dir, f.Path)
		got[rel] = true
		if f.Problem == "" {
			t.Errorf("finding for %s has no problem text", rel)
		}
	}
	want := []string{"352063", filepath.Join("352063", NodeKeyFile), CACertFile, filepath.Join("352063", "link.key")}
	for _, w := range want {
		if !got[w] {
			t.Errorf("CheckPermissions missed %s; got %v", w, got)
		}
	}
	if len(got) != len(want) {
		t.Errorf("CheckPermissions found %v; want exactly %v", got, want)
	}
	if f := CheckPermissions(filepath.Join(dir, "missing")); len(f) != 1 {
		t.Errorf("CheckPermissions(missing dir) = %v; want one finding", f)
	}
}

func TestOptionsDefaults(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "pki")
	ca, err := Init(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Until(ca.NotAfter()); d < DefaultCAValidity-time.Hour || d > DefaultCAValidity {
		t.Errorf("default CA lifetime %v, want about %v", d, DefaultCAValidity)
	}
	creds, err := IssueNodeFiles(dir, "national", nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Until(creds.NotAfter()); d < DefaultCertValidity-time.Hour || d > DefaultCertValidity {
		t.Errorf("default node lifetime %v, want about %v", d, DefaultCertValidity)
	}
}
