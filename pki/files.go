package pki

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jukinet/jukinet"
)

// On-disk layout under a PKI directory D (docs/design.md §3: node ID keeps its keys under DIR/ID/):
//
//	D/ca.crt, D/ca.key                               the network CA
//	D/<node>/node.crt, node.key                      the node's TLS certificate and key
//	D/<node>/signing.key, signing.pub                the node's Ed25519 message-signing key
//	D/<node>/ca.crt                                  a copy of the CA certificate
//	D/<node>/terminals/<terminal>/terminal.crt, terminal.key, ca.crt
const (
	CACertFile       = "ca.crt"
	CAKeyFile        = "ca.key"
	NodeCertFile     = "node.crt"
	NodeKeyFile      = "node.key"
	SigningKeyFile   = "signing.key"
	SigningPubFile   = "signing.pub"
	TerminalsDir     = "terminals"
	TerminalCertFile = "terminal.crt"
	TerminalKeyFile  = "terminal.key"
)

// G12.1: key material is readable by its owner only, from the moment it exists.
const (
	keyFileMode    fs.FileMode = 0o600
	publicFileMode fs.FileMode = 0o644
	dirMode        fs.FileMode = 0o700
	maxFileSize                = 1 << 20 // no PKI file is near this; bounds a read of a wrong file
)

// DefaultCAValidity and DefaultCertValidity apply when Options.Validity is zero.
const (
	DefaultCAValidity   = 10 * 365 * 24 * time.Hour
	DefaultCertValidity = 365 * 24 * time.Hour
)

// Options tunes Init and the Issue…Files functions.
type Options struct {
	Name      string        // CA name for Init; default "jukinet network CA"
	Now       time.Time     // issue time; default time.Now()
	Validity  time.Duration // default DefaultCAValidity for Init, DefaultCertValidity otherwise
	Overwrite bool          // replace existing files; without it an existing file is a KindConflict error
}

func (o Options) now() time.Time {
	if o.Now.IsZero() {
		return time.Now()
	}
	return o.Now
}

func (o Options) validity(def time.Duration) time.Duration {
	if o.Validity == 0 {
		return def
	}
	return o.Validity
}

// Init creates a network CA and writes D/ca.crt and D/ca.key, creating dir
// with mode 0700 if needed. Errors: KindConflict if a CA file exists and
// opts.Overwrite is false; KindForbidden if dir is open to group or others.
func Init(dir string, opts Options) (*CA, error) {
	name := opts.Name
	if name == "" {
		name = "jukinet network CA"
	}
	ca, err := NewCA(name, opts.now(), opts.validity(DefaultCAValidity))
	if err != nil {
		return nil, err
	}
	if err := WriteCA(dir, ca, opts.Overwrite); err != nil {
		return nil, err
	}
	return ca, nil
}

// WriteCA writes ca into dir (ca.crt 0644, ca.key 0600).
// Errors: as for Init.
func WriteCA(dir string, ca *CA, overwrite bool) error {
	const op = "pki.WriteCA"
	keyPEM, err := EncodePrivateKeyPEM(ca.Key)
	if err != nil {
		return jukinet.E(op, err)
	}
	return writeFiles(op, dir, overwrite, []fileSpec{
		{CAKeyFile, keyPEM, keyFileMode},
		{CACertFile, EncodeCertificatePEM(ca.Cert.Raw), publicFileMode},
	})
}

// LoadCA reads the CA written by Init.
// Errors: KindNotFound for a missing file; KindForbidden for a key file open
// to group or others; KindInvalid for a malformed or mismatched file.
func LoadCA(dir string) (*CA, error) {
	const op = "pki.LoadCA"
	cert, err := readCertificate(op, filepath.Join(dir, CACertFile))
	if err != nil {
		return nil, err
	}
	if !cert.IsCA {
		return nil, jukinet.E(op, jukinet.KindInvalid, jukinet.Field("certificate"), "ca.crt is not a CA certificate")
	}
	key, err := readPrivateKey(op, filepath.Join(dir, CAKeyFile))
	if err != nil {
		return nil, err
	}
	if err := checkKeyMatches(op, cert, key); err != nil {
		return nil, err
	}
	return &CA{Cert: cert, Key: key}, nil
}

// IssueNodeFiles loads the CA from dir, issues a node certificate and signing
// key (see CA.IssueNode) and writes them under dir/<nodeID>/.
// Errors: as for LoadCA, CA.IssueNode and WriteNodeFiles.
func IssueNodeFiles(dir, nodeID string, hosts []string, opts Options) (*NodeCredentials, error) {
	if err := ValidateNodeID(nodeID); err != nil {
		return nil, err
	}
	ca, err := LoadCA(dir)
	if err != nil {
		return nil, err
	}
	creds, err := ca.IssueNode(nodeID, hosts, opts.now(), opts.validity(DefaultCertValidity))
	if err != nil {
		return nil, err
	}
	if err := WriteNodeFiles(dir, creds, opts.Overwrite); err != nil {
		return nil, err
	}
	return creds, nil
}

// WriteNodeFiles writes creds under dir/<node>/: node.crt, node.key,
// signing.key, signing.pub and ca.crt; keys 0600, the directory 0700.
// Errors: KindConflict if a file exists and overwrite is false;
// KindForbidden if an existing directory is open to group or others.
func WriteNodeFiles(dir string, creds *NodeCredentials, overwrite bool) error {
	const op = "pki.WriteNodeFiles"
	if err := ValidateNodeID(creds.NodeID); err != nil {
		return jukinet.E(op, err)
	}
	tlsKey, ok := creds.Certificate.PrivateKey.(crypto.Signer)
	if !ok {
		return jukinet.E(op, jukinet.KindInvalid, "the TLS private key is not a signer")
	}
	tlsKeyPEM, err := EncodePrivateKeyPEM(tlsKey)
	if err != nil {
		return jukinet.E(op, err)
	}
	signingPEM, err := EncodePrivateKeyPEM(creds.SigningKey)
	if err != nil {
		return jukinet.E(op, err)
	}
	if err := ensureDir(op, dir); err != nil {
		return err
	}
	return writeFiles(op, filepath.Join(dir, creds.NodeID), overwrite, []fileSpec{
		{NodeKeyFile, tlsKeyPEM, keyFileMode},
		{SigningKeyFile, signingPEM, keyFileMode},
		{NodeCertFile, EncodeCertificatePEM(creds.Certificate.Leaf.Raw), publicFileMode},
		{SigningPubFile, []byte(FormatPublicKey(creds.SigningPublicKey()) + "\n"), publicFileMode},
		{CACertFile, EncodeCertificatePEM(creds.CA.Raw), publicFileMode},
	})
}

// LoadNode reads the credentials of nodeID from dir/<nodeID>/ and checks
// that they hang together: the key matches the certificate, the certificate
// names nodeID and is signed by ca.crt, and signing.pub (if present) matches
// signing.key. It does not refuse an expired certificate: the admin console
// shows NotAfter, and peers refuse it.
// Errors: KindNotFound, KindForbidden (a key file open to group or others),
// KindInvalid.
func LoadNode(dir, nodeID string) (*NodeCredentials, error) {
	const op = "pki.LoadNode"
	if err := ValidateNodeID(nodeID); err != nil {
		return nil, jukinet.E(op, err)
	}
	nodeDir := filepath.Join(dir, nodeID)
	caCert, err := readCertificate(op, filepath.Join(nodeDir, CACertFile))
	if err != nil {
		return nil, err
	}
	cert, err := readCertificate(op, filepath.Join(nodeDir, NodeCertFile))
	if err != nil {
		return nil, err
	}
	key, err := readPrivateKey(op, filepath.Join(nodeDir, NodeKeyFile))
	if err != nil {
		return nil, err
	}
	if err := checkKeyMatches(op, cert, key); err != nil {
		return nil, err
	}
	got, err := NodeIDFromCert(cert)
	if err != nil {
		return nil, jukinet.E(op, jukinet.KindInvalid, jukinet.Field("certificate"), err)
	}
	if got != nodeID {
		return nil, jukinet.Errorf(op, jukinet.KindInvalid, "certificate", "node.crt in %s names node %s", nodeDir, got)
	}
	if err := cert.CheckSignatureFrom(caCert); err != nil {
		return nil, jukinet.E(op, jukinet.KindInvalid, jukinet.Field("certificate"), "node.crt is not signed by ca.crt")
	}
	signing, err := readSigningKey(op, filepath.Join(nodeDir, SigningKeyFile))
	if err != nil {
		return nil, err
	}
	if pubText, err := readFile(op, filepath.Join(nodeDir, SigningPubFile)); err == nil {
		pub, err := ParsePublicKey(strings.TrimSuffix(string(pubText), "\n"))
		if err != nil {
			return nil, jukinet.E(op, jukinet.Field("signing_pub"), err)
		}
		if !pub.Equal(signing.Public()) {
			return nil, jukinet.E(op, jukinet.KindInvalid, jukinet.Field("signing_pub"), "signing.pub does not match signing.key")
		}
	} else if !jukinet.IsKind(err, jukinet.KindNotFound) {
		return nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(caCert)
	return &NodeCredentials{
		NodeID:      nodeID,
		Certificate: tls.Certificate{Certificate: [][]byte{cert.Raw}, PrivateKey: key, Leaf: cert},
		SigningKey:  signing,
		CA:          caCert,
		CAPool:      pool,
		Revocations: NewRevocations(caCert),
		Sessions:    tls.NewLRUClientSessionCache(SessionCacheCapacity),
	}, nil
}

// IssueTerminalFiles loads the CA from dir, issues a terminal certificate and
// writes it under dir/<node>/terminals/<terminal>/.
// Errors: as for LoadCA, CA.IssueTerminal and WriteNodeFiles.
func IssueTerminalFiles(dir, nodeID, terminalID string, opts Options) (*TerminalCredentials, error) {
	const op = "pki.IssueTerminalFiles"
	if err := ValidateNodeID(nodeID); err != nil {
		return nil, err
	}
	if err := ValidateTerminalID(terminalID); err != nil {
		return nil, err
	}
	ca, err := LoadCA(dir)
	if err != nil {
		return nil, err
	}
	creds, err := ca.IssueTerminal(nodeID, terminalID, opts.now(), opts.validity(DefaultCertValidity))
	if err != nil {
		return nil, err
	}
	keyPEM, err := EncodePrivateKeyPEM(creds.Certificate.PrivateKey.(crypto.Signer))
	if err != nil {
		return nil, jukinet.E(op, err)
	}
	for _, d := range []string{dir, filepath.Join(dir, nodeID), filepath.Join(dir, nodeID, TerminalsDir)} {
		if err := ensureDir(op, d); err != nil {
			return nil, err
		}
	}
	err = writeFiles(op, filepath.Join(dir, nodeID, TerminalsDir, terminalID), opts.Overwrite, []fileSpec{
		{TerminalKeyFile, keyPEM, keyFileMode},
		{TerminalCertFile, EncodeCertificatePEM(creds.Certificate.Leaf.Raw), publicFileMode},
		{CACertFile, EncodeCertificatePEM(creds.CA.Raw), publicFileMode},
	})
	if err != nil {
		return nil, err
	}
	return creds, nil
}

// LoadTerminal reads the terminal credentials written by IssueTerminalFiles.
// Errors: KindNotFound, KindForbidden, KindInvalid.
func LoadTerminal(dir, nodeID, terminalID string) (*TerminalCredentials, error) {
	const op = "pki.LoadTerminal"
	if err := ValidateNodeID(nodeID); err != nil {
		return nil, jukinet.E(op, err)
	}
	if err := ValidateTerminalID(terminalID); err != nil {
		return nil, jukinet.E(op, err)
	}
	termDir := filepath.Join(dir, nodeID, TerminalsDir, terminalID)
	caCert, err := readCertificate(op, filepath.Join(termDir, CACertFile))
	if err != nil {
		return nil, err
	}
	cert, err := readCertificate(op, filepath.Join(termDir, TerminalCertFile))
	if err != nil {
		return nil, err
	}
	key, err := readPrivateKey(op, filepath.Join(termDir, TerminalKeyFile))
	if err != nil {
		return nil, err
	}
	if err := checkKeyMatches(op, cert, key); err != nil {
		return nil, err
	}
	node, term, err := TerminalFromCert(cert)
	if err != nil {
		return nil, jukinet.E(op, jukinet.KindInvalid, jukinet.Field("certificate"), err)
	}
	if node != nodeID || term != terminalID {
		return nil, jukinet.Errorf(op, jukinet.KindInvalid, "certificate", "terminal.crt in %s names %s/%s", termDir, node, term)
	}
	if err := cert.CheckSignatureFrom(caCert); err != nil {
		return nil, jukinet.E(op, jukinet.KindInvalid, jukinet.Field("certificate"), "terminal.crt is not signed by ca.crt")
	}
	return &TerminalCredentials{
		NodeID:      nodeID,
		TerminalID:  terminalID,
		Certificate: tls.Certificate{Certificate: [][]byte{cert.Raw}, PrivateKey: key, Leaf: cert},
		CA:          caCert,
	}, nil
}

// Finding is one permission problem reported by CheckPermissions.
type Finding struct {
	Path    string
	Mode    fs.FileMode
	Problem string
}

func (f Finding) String() string {
	return fmt.Sprintf("%s (%v): %s", f.Path, f.Mode, f.Problem)
}

// CheckPermissions walks dir and reports (G12.1) every private key file
// (*.key) that group or others may access, every directory that group or
// others may access, every file that group or others may write (someone could
// swap ca.crt), and every symbolic link (key material should not live
// elsewhere). It is read-only; `jukinet doctor` shows the findings.
func CheckPermissions(dir string) []Finding {
	var findings []Finding
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			findings = append(findings, Finding{Path: path, Problem: "cannot inspect: " + err.Error()})
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		info, err := d.Info()
		if err != nil {
			findings = append(findings, Finding{Path: path, Problem: "cannot inspect: " + err.Error()})
			return nil
		}
		mode := info.Mode()
		switch {
		case mode&fs.ModeSymlink != 0:
			findings = append(findings, Finding{path, mode, "symbolic link: keep PKI files as regular files in this directory"})
		case mode.IsDir():
			if mode.Perm()&0o077 != 0 {
				findings = append(findings, Finding{path, mode, "directory is accessible by group or others; chmod 700"})
			}
		case strings.HasSuffix(path, ".key"):
			if mode.Perm()&0o077 != 0 {
				findings = append(findings, Finding{path, mode, "private key is accessible by group or others; chmod 600"})
			}
		case mode.Perm()&0o022 != 0:
			findings = append(findings, Finding{path, mode, "file is writable by group or others; chmod 644"})
		}
		return nil
	})
	if err != nil {
		findings = append(findings, Finding{Path: dir, Problem: "cannot inspect: " + err.Error()})
	}
	return findings
}

// fileSpec is one file to write.
type fileSpec struct {
	name string
	data []byte
	mode fs.FileMode
}

// writeFiles writes files into dir (created 0700 if missing). Without
// overwrite it first checks that none exists, so a refusal leaves nothing
// half-written, and then creates each with O_EXCL: the mode is set at
// creation, never widened or narrowed afterwards.
func writeFiles(op, dir string, overwrite bool, files []fileSpec) error {
	if err := ensureDir(op, dir); err != nil {
		return err
	}
	if !overwrite {
		for _, f := range files {
			path := filepath.Join(dir, f.name)
			if _, err := os.Lstat(path); err == nil {
				return jukinet.Errorf(op, jukinet.KindConflict, "", "%s already exists; refusing to overwrite it (use --force to replace it)", path)
			} else if !errors.Is(err, fs.ErrNotExist) {
				return jukinet.E(op, jukinet.KindInternal, err)
			}
		}
	}
	for _, f := range files {
		if err := writeFile(op, filepath.Join(dir, f.name), f.data, f.mode, overwrite); err != nil {
			return err
		}
	}
	return nil
}

// writeFile creates path with mode. With overwrite it writes a new file next
// to path and renames it over, so a reader sees the old or the new file whole.
func writeFile(op, path string, data []byte, mode fs.FileMode, overwrite bool) error {
	target := path
	if overwrite {
		var suffix [8]byte
		if _, err := rand.Read(suffix[:]); err != nil {
			return jukinet.E(op, jukinet.KindInternal, err)
		}
		target = path + ".tmp-" + hex.EncodeToString(suffix[:])
	}
	f, err := os.OpenFile(target, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if errors.Is(err, fs.ErrExist) {
		return jukinet.Errorf(op, jukinet.KindConflict, "", "%s already exists; refusing to overwrite it (use --force to replace it)", path)
	}
	if err != nil {
		return jukinet.E(op, jukinet.KindInternal, err)
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && overwrite {
		err = os.Rename(target, path)
	}
	if err != nil {
		os.Remove(target)
		return jukinet.E(op, jukinet.KindInternal, fmt.Sprintf("writing %s", path), err)
	}
	return nil
}

// ensureDir creates dir (and missing parents) with mode 0700, or checks that
// an existing dir is a directory closed to group and others: a key in an open
// directory can be swapped or listed by others (G12.1).
func ensureDir(op, dir string) error {
	if err := os.MkdirAll(dir, dirMode); err != nil {
		return jukinet.E(op, jukinet.KindInternal, err)
	}
	info, err := os.Stat(dir)
	if err != nil {
		return jukinet.E(op, jukinet.KindInternal, err)
	}
	if !info.IsDir() {
		return jukinet.Errorf(op, jukinet.KindInvalid, "dir", "%s is not a directory", dir)
	}
	if info.Mode().Perm()&0o077 != 0 {
		return jukinet.Errorf(op, jukinet.KindForbidden, "dir",
			"%s is accessible by group or others (mode %v); keys must live in a private directory: chmod 700 %s",
			dir, info.Mode().Perm(), dir)
	}
	return nil
}

// readFile reads a PKI file of bounded size.
func readFile(op, path string) ([]byte, error) {
	data, _, err := readFileMode(op, path)
	return data, err
}

func readFileMode(op, path string) ([]byte, fs.FileMode, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, 0, jukinet.Errorf(op, jukinet.KindNotFound, "", "%s does not exist", path)
	}
	if err != nil {
		return nil, 0, jukinet.E(op, jukinet.KindInternal, err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, 0, jukinet.E(op, jukinet.KindInternal, err)
	}
	if !info.Mode().IsRegular() {
		return nil, 0, jukinet.Errorf(op, jukinet.KindInvalid, "", "%s is not a regular file", path)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, 0, jukinet.E(op, jukinet.KindInternal, err)
	}
	if len(data) > maxFileSize {
		return nil, 0, jukinet.Errorf(op, jukinet.KindTooLarge, "", "%s is larger than %d bytes", path, maxFileSize)
	}
	return data, info.Mode(), nil
}

func readCertificate(op, path string) (*x509.Certificate, error) {
	data, err := readFile(op, path)
	if err != nil {
		return nil, err
	}
	cert, err := ParseCertificatePEM(data)
	if err != nil {
		return nil, jukinet.E(op, fmt.Sprintf("reading %s", path), err)
	}
	return cert, nil
}

// readKeyFile reads a private key file, refusing one that group or others
// may access, as ssh does (G12.1).
func readKeyFile(op, path string) ([]byte, error) {
	data, mode, err := readFileMode(op, path)
	if err != nil {
		return nil, err
	}
	if mode.Perm()&0o077 != 0 {
		return nil, jukinet.Errorf(op, jukinet.KindForbidden, "", "%s is accessible by group or others (mode %v); chmod 600 %s", path, mode.Perm(), path)
	}
	return data, nil
}

func readPrivateKey(op, path string) (crypto.Signer, error) {
	data, err := readKeyFile(op, path)
	if err != nil {
		return nil, err
	}
	key, err := ParsePrivateKeyPEM(data)
	if err != nil {
		return nil, jukinet.E(op, fmt.Sprintf("reading %s", path), err)
	}
	return key, nil
}

func readSigningKey(op, path string) (ed25519.PrivateKey, error) {
	data, err := readKeyFile(op, path)
	if err != nil {
		return nil, err
	}
	key, err := ParseSigningKeyPEM(data)
	if err != nil {
		return nil, jukinet.E(op, fmt.Sprintf("reading %s", path), err)
	}
	return key, nil
}

// checkKeyMatches reports whether key is the private half of cert's public key.
func checkKeyMatches(op string, cert *x509.Certificate, key crypto.Signer) error {
	pub, ok := key.Public().(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !pub.Equal(cert.PublicKey) {
		return jukinet.E(op, jukinet.KindInvalid, jukinet.Field("private_key"), "the private key does not match the certificate")
	}
	return nil
}
