package node_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/network"
	"github.com/jukinet/jukinet/node"
	"github.com/jukinet/jukinet/pki"
	"github.com/jukinet/jukinet/store"
)

// TestRefusals: messages that must be refused are refused (with the right
// reason), logged at the receiver, and change no state.
func TestRefusals(t *testing.T) {
	ctx := context.Background()
	n, infos := streamNet(t, 3)
	pref := n.DBs[yamaPref]
	waitCount(t, n.DBs[network.NationalID], 3, 30*time.Second, `SELECT COUNT(*) FROM flow_identity`)
	prefAddr := n.Runtimes[yamaPref].NetworkAddr()
	client := func(c *pki.NodeCredentials) *network.Client {
		cl, err := network.NewClient(network.ClientConfig{TLS: c.ClientTLSConfig(yamaPref), Keys: n.Description.Keys(), Timeout: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(cl.CloseIdleConnections)
		return cl
	}
	hofuCreds := n.Creds[hofu]
	good := func(v uint64, mutate func(*jukinet.IdentityInfo)) *network.Envelope {
		info := infos[0]
		info.Version = v
		if mutate != nil {
			mutate(&info)
		}
		b, _ := json.Marshal(info)
		e, err := network.NewEnvelope(network.KindIdentityNotify, hofu, yamaPref, time.Now().UnixMicro(), b)
		if err != nil {
			t.Fatal(err)
		}
		e.OrderingKey, e.Version = infos[0].OrderingKey(), v
		return e
	}
	sign := func(key *pki.NodeCredentials, envs ...*network.Envelope) []*network.Envelope {
		if err := network.SignBatch(key.SigningKey, key.NodeID, envs); err != nil {
			t.Fatal(err)
		}
		return envs
	}
	stateBefore := count(t, pref, `SELECT COUNT(*) FROM flow_identity_history`)

	t.Run("another CA", func(t *testing.T) {
		ca, err := pki.NewCA("rogue", time.Now(), time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		rogue, err := ca.IssueNode(hofu, nil, time.Now(), 30*time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		rogue.CAPool = hofuCreds.CAPool // trusts the real server; the server must not trust it
		_, err = client(rogue).Send(ctx, yamaPref, prefAddr, &network.Batch{Sender: hofu, Envelopes: sign(rogue, good(2, nil))})
		if err == nil {
			t.Fatal("Send with another CA's certificate: got nil error, want a refused handshake")
		}
	})
	cases := []struct {
		name   string
		envs   func() []*network.Envelope
		reason network.Reason
	}{
		{"forbidden kind", func() []*network.Envelope {
			e := good(2, nil)
			e.Kind = network.KindMyNumberResponse
			return sign(hofuCreds, e)
		}, network.ReasonForbiddenKind},
		{"from is not the certificate", func() []*network.Envelope {
			e := good(2, nil)
			e.From = "352012"
			return sign(n.Creds["352012"], e)
		}, network.ReasonFromMismatch},
		{"bad signature", func() []*network.Envelope {
			e := sign(hofuCreds, good(2, nil))[0]
			e.Sig.Signature = append([]byte(nil), e.Sig.Signature...)
			e.Sig.Signature[0] ^= 1
			return []*network.Envelope{e}
		}, network.ReasonBadSignature},
		{"changed body", func() []*network.Envelope {
			e := sign(hofuCreds, good(2, nil))[0]
			e.Body = append([]byte(nil), e.Body...)
			e.Body[len(e.Body)-2] ^= 1
			return []*network.Envelope{e}
		}, network.ReasonBadProof},
		{"malformed body", func() []*network.Envelope {
			e := good(2, nil)
			e.Body = []byte(`{"resident_code":`)
			return sign(hofuCreds, e)
		}, network.ReasonInvalidBody},
		{"invalid code in the body", func() []*network.Envelope {
			return sign(hofuCreds, good(2, func(i *jukinet.IdentityInfo) {
				rc := []byte(i.ResidentCode)
				rc[len(rc)-1] = '0' + (rc[len(rc)-1]-'0'+1)%10
				i.ResidentCode = jukinet.ResidentCode(rc)
			}))
		}, network.ReasonInvalidBody},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rs, err := client(hofuCreds).Send(ctx, yamaPref, prefAddr, &network.Batch{Sender: hofu, Envelopes: c.envs()})
			if err != nil {
				t.Fatalf("Send: %v", err)
			}
			if len(rs) != 1 || rs[0].Status != network.StatusRejected || rs[0].Reason != c.reason {
				t.Fatalf("receipt = %+v, want rejected %s", rs[0], c.reason)
			}
		})
	}
	t.Run("replayed message ID", func(t *testing.T) {
		// Version 2 was rejected twice above; a rejection never advances the
		// key's version, so a good version 2 is the next one applied.
		envs := sign(hofuCreds, good(2, nil))
		for i, want := range []network.Status{network.StatusAccepted, network.StatusDuplicate} {
			rs, err := client(hofuCreds).Send(ctx, yamaPref, prefAddr, &network.Batch{Sender: hofu, Envelopes: envs})
			if err != nil || rs[0].Status != want {
				t.Fatalf("send %d: got %v, %v; want %s", i, rs, err, want)
			}
		}
		if got := count(t, pref, `SELECT COUNT(*) FROM flow_identity_history`); got != stateBefore+1 {
			t.Errorf("history rows after a replay: got %d, want %d (applied once)", got, stateBefore+1)
		}
		stateBefore++
	})
	t.Run("oversized request", func(t *testing.T) {
		e := good(5, nil)
		e.Body = make([]byte, network.MaxBodySize+1)
		if _, err := client(hofuCreds).Send(ctx, yamaPref, prefAddr, &network.Batch{Sender: hofu, Envelopes: []*network.Envelope{e}}); err == nil {
			t.Fatal("oversized body: got nil error")
		}
	})
	if got := count(t, pref, `SELECT COUNT(*) FROM flow_identity_history`); got != stateBefore {
		t.Errorf("prefecture history rows: got %d, want %d (refusals change nothing)", got, stateBefore)
	}
	if got := count(t, pref, `SELECT COUNT(*) FROM oplog WHERE operation = 'network.receive' AND result = 'rejected'`); got < 2 {
		t.Errorf("rejections logged at the prefecture: got %d, want ≥ 2 (the invalid bodies)", got)
	}
	t.Run("dead letter at the sender", func(t *testing.T) {
		info := infos[1]
		info.Version = 2
		info.Sex = 9
		b, _ := json.Marshal(info)
		if err := n.DBs[hofu].Update(jukinet.WithActor(ctx, testActor), store.Op{Operation: jukinet.OpNetworkSend}, func(tx *store.Tx) error {
			return node.Queue(tx, network.KindIdentityNotify, yamaPref, info.OrderingKey(), 2, json.RawMessage(b))
		}); err != nil {
			t.Fatal(err)
		}
		waitCount(t, n.DBs[hofu], 1, 30*time.Second, `SELECT COUNT(*) FROM outbox WHERE state = 'rejected'`)
		dl, err := network.DeadLetters(ctx, n.DBs[hofu], 10)
		if err != nil || len(dl) != 1 || dl[0].State != "rejected" {
			t.Fatalf("DeadLetters = %+v, %v; want one rejected message", dl, err)
		}
	})
}
