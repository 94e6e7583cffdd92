package compliance

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jukinet/jukinet/pki"
)

// probeWithoutCertificate connects to the network listener as anyone who can
// reach it would, with no client certificate, and returns nil only when the
// listener refuses: the handshake fails, or the first read after it does
// (TLS 1.3 reports a missing client certificate after the handshake) (G2.4).
func probeWithoutCertificate(ctx context.Context, addr string) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	d := tls.Dialer{Config: &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS12}} //nolint:gosec // the probe checks the server, not the other way round
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		var opErr *net.OpError
		if errors.As(err, &opErr) && opErr.Op == "dial" {
			return fmt.Errorf("接続できない：%v", err)
		}
		return nil // refused in the handshake
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, "POST / HTTP/1.1\r\nHost: probe\r\nContent-Length: 0\r\n\r\n"); err != nil {
		return nil
	}
	buf := make([]byte, 1)
	if _, err := c.Read(buf); err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return errors.New("5 秒以内に応答がない")
		}
		return nil
	}
	return errors.New("クライアント証明書のない接続を受け付け、要求に応答した")
}

// sameListener reports whether two host:port addresses would collide: the
// same port on the same host, or on a wildcard host.
func sameListener(a, b string) bool {
	ha, pa, errA := net.SplitHostPort(a)
	hb, pb, errB := net.SplitHostPort(b)
	if errA != nil || errB != nil {
		return a == b
	}
	if pa != pb {
		return false
	}
	wild := func(h string) bool { return h == "" || h == "0.0.0.0" || h == "::" }
	return ha == hb || wild(ha) || wild(hb)
}

// permissionProblem is pki.CheckPermissions' problem in Japanese; an
// unknown one is shown as pki words it.
func permissionProblem(f pki.Finding) string {
	ja := map[string]string{
		"symbolic link: keep PKI files as regular files in this directory": "シンボリックリンク：鍵・証明書はこのディレクトリの通常のファイルとして置く",
		"directory is accessible by group or others; chmod 700":            "ディレクトリにグループ・その他がアクセスできる：chmod 700",
		"private key is accessible by group or others; chmod 600":          "秘密鍵にグループ・その他がアクセスできる：chmod 600",
		"file is writable by group or others; chmod 644":                   "ファイルにグループ・その他が書き込める：chmod 644",
	}
	p, ok := ja[f.Problem]
	if !ok {
		if rest, cut := strings.CutPrefix(f.Problem, "cannot inspect: "); cut {
			p = "調べられない：" + rest
		} else {
			p = f.Problem
		}
	}
	return fmt.Sprintf("%s (%v)：%s", f.Path, f.Mode, p)
}

// keyDirProblems lists what pki.CheckPermissions finds, and a directory with
// no private key at all (the wrong directory would otherwise pass).
func keyDirProblems(dir string) []string {
	var out []string
	keys, err := filepath.Glob(filepath.Join(dir, "*.key"))
	if err != nil || len(keys) == 0 {
		out = append(out, dir+"：鍵ディレクトリに秘密鍵 (*.key) がない")
	}
	for _, f := range pki.CheckPermissions(dir) {
		out = append(out, permissionProblem(f))
	}
	return out
}

// dbFileProblems checks the SQLite file and its WAL files are closed to group
// and others (G12.1).
func dbFileProblems(path string) []string {
	var out []string
	for i, p := range []string{path, path + "-wal", path + "-shm"} {
		info, err := os.Stat(p)
		if errors.Is(err, fs.ErrNotExist) && i > 0 {
			continue
		}
		if err != nil {
			out = append(out, p+"：調べられない："+err.Error())
			continue
		}
		if info.Mode().Perm()&0o077 != 0 {
			out = append(out, fmt.Sprintf("%s (%v)：データベースファイルにグループ・その他がアクセスできる：chmod 600", p, info.Mode().Perm()))
		}
	}
	return out
}
