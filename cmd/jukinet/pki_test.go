package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/pki"
)

func runPKIForTest(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err = runPKI(context.Background(), args, strings.NewReader(""), &out, &errOut)
	return out.String(), errOut.String(), err
}

func TestPKICommand(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "pki")
	if out, _, err := runPKIForTest(t, "init", "--dir", dir); err != nil || !strings.Contains(out, "created CA") {
		t.Fatalf("pki init: %q, %v", out, err)
	}
	out, _, err := runPKIForTest(t, "issue", "--dir", dir, "--node", "352063", "--host", "127.0.0.1", "--host", "localhost")
	if err != nil {
		t.Fatalf("pki issue --node: %v", err)
	}
	creds, err := pki.LoadNode(dir, "352063")
	if err != nil {
		t.Fatalf("LoadNode after pki issue: %v", err)
	}
	if want := pki.FormatPublicKey(creds.SigningPublicKey()); !strings.Contains(out, want) {
		t.Errorf("pki issue output %q does not show the signing public key %s", out, want)
	}
	if got := creds.Leaf().DNSNames; len(got) != 2 || got[1] != "localhost" || len(creds.Leaf().IPAddresses) != 1 {
		t.Errorf("node certificate SANs: DNS %v, IP %v; want the node name, localhost and 127.0.0.1", got, creds.Leaf().IPAddresses)
	}
	if _, _, err := runPKIForTest(t, "issue", "--dir", dir, "--terminal", "352063/T01"); err != nil {
		t.Fatalf("pki issue --terminal: %v", err)
	}
	if _, err := pki.LoadTerminal(dir, "352063", "T01"); err != nil {
		t.Errorf("LoadTerminal after pki issue --terminal: %v", err)
	}
	for rel, want := range map[string]os.FileMode{
		"":                                  0o700,
		"ca.key":                            0o600,
		"352063":                            0o700,
		"352063/node.key":                   0o600,
		"352063/signing.key":                0o600,
		"352063/terminals/T01/terminal.key": 0o600,
	} {
		info, err := os.Stat(filepath.Join(dir, rel))
		if err != nil {
			t.Fatal(err)
		}
		if info.Mode().Perm() != want {
			t.Errorf("mode of %q = %v, want %v", rel, info.Mode().Perm(), want)
		}
	}

	// Refusal to overwrite, and --force.
	key, _ := os.ReadFile(filepath.Join(dir, "352063", "signing.key"))
	if _, _, err := runPKIForTest(t, "issue", "--dir", dir, "--node", "352063"); !jukinet.IsKind(err, jukinet.KindConflict) {
		t.Errorf("second pki issue: error %v; want KindConflict", err)
	}
	if _, _, err := runPKIForTest(t, "init", "--dir", dir); !jukinet.IsKind(err, jukinet.KindConflict) {
		t.Errorf("second pki init: error %v; want KindConflict", err)
	}
	if after, _ := os.ReadFile(filepath.Join(dir, "352063", "signing.key")); !bytes.Equal(after, key) {
		t.Error("a refused pki issue changed signing.key")
	}
	if _, _, err := runPKIForTest(t, "issue", "--dir", dir, "--node", "352063", "--force"); err != nil {
		t.Errorf("pki issue --force: %v", err)
	}
	if after, _ := os.ReadFile(filepath.Join(dir, "352063", "signing.key")); bytes.Equal(after, key) {
		t.Error("pki issue --force kept the old signing.key")
	}
}

func TestPKICommandUsage(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "pki")
	tests := []struct {
		name string
		args []string
		kind jukinet.Kind
	}{
		{"no subcommand", nil, jukinet.KindInvalid},
		{"unknown subcommand", []string{"revoke"}, jukinet.KindInvalid},
		{"unknown flag", []string{"init", "--dir", dir, "--bogus"}, jukinet.KindInvalid},
		{"init without dir", []string{"init"}, jukinet.KindInvalid},
		{"stray argument", []string{"init", "--dir", dir, "extra"}, jukinet.KindInvalid},
		{"bad validity", []string{"init", "--dir", dir, "--validity", "forever"}, jukinet.KindInvalid},
		{"issue without node or terminal", []string{"issue", "--dir", dir}, jukinet.KindInvalid},
		{"both node and terminal", []string{"issue", "--dir", dir, "--node", "352063", "--terminal", "352063/T01"}, jukinet.KindInvalid},
		{"terminal without slash", []string{"issue", "--dir", dir, "--terminal", "T01"}, jukinet.KindInvalid},
		{"host with terminal", []string{"issue", "--dir", dir, "--terminal", "352063/T01", "--host", "x"}, jukinet.KindInvalid},
		{"bad node ID", []string{"issue", "--dir", dir, "--node", "../etc"}, jukinet.KindInvalid},
		{"issue before init", []string{"issue", "--dir", dir, "--node", "352063"}, jukinet.KindNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := runPKIForTest(t, tt.args...)
			if !jukinet.IsKind(err, tt.kind) {
				t.Errorf("runPKI(%q) error = %v; want kind %v", tt.args, err, tt.kind)
			}
		})
	}
	if out, _, err := runPKIForTest(t, "init", "-h"); err != nil {
		t.Errorf("pki init -h: error %v; want nil", err)
	} else if out != "" {
		t.Errorf("pki init -h wrote %q to stdout; want usage on stderr", out)
	}
	if _, stderr, _ := runPKIForTest(t, "init", "--bogus"); !strings.Contains(stderr, "usage:") {
		t.Errorf("usage error wrote %q to stderr; want the usage text", stderr)
	}
}
