package node

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/network"
	"github.com/jukinet/jukinet/store"
	"github.com/jukinet/jukinet/store/storetest"
)

// TestLastTwoTalliesAtOnceEndTheCheck applies the last two municipalities'
// answers to the national server's start check in two transactions open at
// the same time, as two inbox links do on PostgreSQL (READ COMMITTED). Each
// transaction holds on after its answer, for the other's, before it
// commits: without the row locks of lockRun each counts the other's answer
// as missing, nobody ends the check, and the server never grants a code
// again. With them the second waits for the first, sees it, and ends it.
func TestLastTwoTalliesAtOnceEndTheCheck(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			db := storetest.OpenWith(t, e, network.NationalID, storetest.Options{Now: func() time.Time { return testNow }})
			nat, err := NewNational(context.Background(), db, NationalConfig{})
			if err != nil {
				t.Fatal(err)
			}
			munis := []jukinet.LGCode{hofu, kurume}
			if err := nat.CheckGrantCounts(as(jukinet.SystemActor("node-start")), munis); err != nil {
				t.Fatal(err)
			}
			run, err := db.Meta(context.Background(), codesTallyKey)
			if err != nil || run == "" {
				t.Fatalf("check run after the start: %q, %v", run, err)
			}
			var handled sync.WaitGroup
			handled.Add(len(munis))
			errs := make(chan error, len(munis))
			for _, m := range munis {
				go func() {
					errs <- answerTally(db, nat, m, run, &handled)
				}()
			}
			for range munis {
				if err := <-errs; err != nil {
					t.Fatal(err)
				}
			}
			if left, err := db.Meta(context.Background(), codesTallyKey); err != nil || left != "" {
				t.Errorf("the check is still pending after every municipality answered: %q, %v", left, err)
			}
		})
	}
}

// answerTally applies m's answer to the check run in one transaction, which
// commits once every answer is handled or after a second (on SQLite the
// transactions take turns; with the locks, the second waits for the first).
func answerTally(db *store.DB, nat *National, m jukinet.LGCode, run string, handled *sync.WaitGroup) error {
	body, err := json.Marshal(CodeTally{Run: run, Municipality: m})
	if err != nil {
		return err
	}
	env, err := network.NewEnvelope(network.KindResidentCodeTally, string(m), network.NationalID, testNow.UnixMicro(), body)
	if err != nil {
		return err
	}
	return db.Update(as(jukinet.SystemActor("network")), store.Op{Operation: jukinet.OpNetworkReceive, Detail: "rescode.tally"}, func(tx *store.Tx) error {
		err := nat.nationalCodeTally(tx, env)
		handled.Done()
		done := make(chan struct{})
		go func() { handled.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(time.Second):
		}
		return err
	})
}
