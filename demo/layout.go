package demo

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/network"
	"github.com/jukinet/jukinet/network/loopback"
	"github.com/jukinet/jukinet/pki"
)

// NodeConfig is one node of a demo network laid out for `jukinet serve`.
type NodeConfig struct {
	Spec   NodeSpec
	Config string // its node.toml
}

// LayOut writes under dir, as an operator lays out a deployment (every node
// on this machine, on loopback), what `jukinet serve --config DIR/ID.toml`
// needs for each node of the demo network: the CA and every node's
// certificate and signing key (DIR/ID/), a terminal certificate for each
// node's demo terminal (DIR/ID/terminals/T-01/), the demo agency's
// certificate, DIR/network.toml with a free loopback port for every
// network listener, DIR/agencies.toml and DIR/ID.toml with demo = true and
// the terminal, ops (and agency) listeners on free ports. It seeds each
// municipality with residents synthetic residents (once: a later run keeps
// what is there). What exists already is reused, so a second run restarts
// the same network.
func LayOut(ctx context.Context, dir string, residents int, seed uint64) ([]NodeConfig, []SeedResult, error) {
	const op = "demo.LayOut"
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, nil, jukinet.E(op, jukinet.KindInternal, err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return nil, nil, jukinet.E(op, jukinet.KindInternal, err)
	}
	if _, err := pki.LoadCA(dir); errors.Is(err, os.ErrNotExist) || jukinet.ErrorKind(err) == jukinet.KindNotFound {
		if _, err := pki.Init(dir, pki.Options{Name: "jukinet demo network CA"}); err != nil {
			return nil, nil, err
		}
	} else if err != nil {
		return nil, nil, err
	}
	specs := Nodes()
	var desc strings.Builder
	for _, s := range specs {
		c, err := pki.LoadNode(dir, s.ID)
		if jukinet.ErrorKind(err) == jukinet.KindNotFound {
			c, err = pki.IssueNodeFiles(dir, s.ID, []string{"127.0.0.1", "localhost"}, pki.Options{})
		}
		if err != nil {
			return nil, nil, err
		}
		if _, err := pki.LoadTerminal(dir, s.ID, TerminalID); jukinet.ErrorKind(err) == jukinet.KindNotFound {
			if _, err := pki.IssueTerminalFiles(dir, s.ID, TerminalID, pki.Options{}); err != nil {
				return nil, nil, err
			}
		} else if err != nil {
			return nil, nil, err
		}
		addr, err := loopback.FreeAddr()
		if err != nil {
			return nil, nil, jukinet.E(op, jukinet.KindUnavailable, err)
		}
		fmt.Fprintf(&desc, "[[node]]\nid = %q\nkind = %q\nname = %q\n", s.ID, s.Role, s.Name)
		if s.Prefecture != "" {
			fmt.Fprintf(&desc, "prefecture = %q\n", s.Prefecture)
		}
		fmt.Fprintf(&desc, "network_addr = %q\nsigning_key = %q\n\n", addr, pki.FormatPublicKey(c.SigningPublicKey()))
	}
	if _, err := network.LoadDescription(strings.NewReader(desc.String())); err != nil {
		return nil, nil, jukinet.E(op, err)
	}
	if _, err := pki.LoadAgency(dir, DemoAgency); jukinet.ErrorKind(err) == jukinet.KindNotFound {
		if _, err := pki.IssueAgencyFiles(dir, DemoAgency, pki.Options{}); err != nil {
			return nil, nil, err
		}
	} else if err != nil {
		return nil, nil, err
	}
	files := map[string]string{"network.toml": desc.String(), "agencies.toml": AgenciesTOML}
	var out []NodeConfig
	for _, s := range specs {
		cfg := fmt.Sprintf("# %s (%s), the demo setting: synthetic operators, 仮想リーダー, terminals without a certificate admitted.\n"+
			"node = %q\nnetwork = \"network.toml\"\ndata = \".\"\ndemo = true\n"+
			"terminal_addr = \"127.0.0.1:0\"\nops_addr = \"127.0.0.1:0\"\n", s.Name, s.ID, s.ID)
		if s.Role == network.RoleNational {
			cfg += "agencies = \"agencies.toml\"\nagency_addr = \"127.0.0.1:0\"\n"
		}
		files[s.ID+".toml"] = cfg
		out = append(out, NodeConfig{Spec: s, Config: filepath.Join(dir, s.ID+".toml")})
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			return nil, nil, jukinet.E(op, jukinet.KindInternal, err)
		}
	}
	var seeded []SeedResult
	for _, s := range specs {
		if s.City == nil || residents <= 0 {
			continue
		}
		db, err := OpenNode(ctx, dir, s.ID)
		if err != nil {
			return nil, nil, err
		}
		res, err := SeedMunicipality(ctx, db, *s.City, residents, seed)
		db.Close()
		if err != nil {
			return nil, nil, err
		}
		seeded = append(seeded, res)
	}
	return out, seeded, nil
}
