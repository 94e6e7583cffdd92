package node_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/demo"
	"github.com/jukinet/jukinet/network"
	"github.com/jukinet/jukinet/store"
)

// BenchmarkOneNoticeTwoHops is the floor of one message at a country's
// rates: 防府市 queues one identity notice, its sender delivers it alone (a
// batch of one) to 山口県 over mutual TLS, which applies it, relays it alone
// to the national server, which applies it; both senders record their
// receipts. Every node is a SQLite database of its own, every envelope is
// signed and verified, every receipt signed, verified and kept. The next
// notice is queued only when all of that is committed, so nothing is ever
// batched.
//
// Figures: cpu_us/msg, the process's CPU (all six demo nodes, their idle
// upkeep included) per notice over both hops; wall_us/msg, from the commit
// that queues it to the last of the three commits; idle_cpu_ms/s, the six
// nodes' upkeep per second while nothing is sent (to subtract). Run with
// -cpuprofile and `go tool pprof -tags` to split it: the senders' goroutines
// carry the label delivery=send, the listeners' delivery=receive
// (node.Start).
func BenchmarkOneNoticeTwoHops(b *testing.B) {
	ctx := context.Background()
	n, err := demo.StartNetwork(ctx, demo.NetworkConfig{Dir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	defer n.Close()
	const persons = 1
	if _, err := demo.SeedMunicipality(ctx, n.DBs[hofu], demo.Hofu, persons, 7); err != nil {
		b.Fatal(err)
	}
	nat := n.DBs[network.NationalID]
	poll(b, nat, persons, time.Minute, `SELECT COUNT(*) FROM flow_identity_history`)
	for _, id := range []string{hofu, yamaPref} {
		poll(b, n.DBs[id], 0, time.Minute, `SELECT COUNT(*) FROM outbox WHERE state = 'pending'`)
	}
	var s string
	if err := n.DBs[hofu].Bookkeeping(store.Inspect).QueryRow(`SELECT info FROM identity_history WHERE version = 1`).Scan(&s); err != nil {
		b.Fatal(err)
	}
	var info jukinet.IdentityInfo
	if err := json.Unmarshal([]byte(s), &info); err != nil {
		b.Fatal(err)
	}
	// Each of the three commits that end a notice's way signals once (the
	// demo's other traffic, its checkpoints' witnesses, does not).
	done := make(chan string, 16)
	watch := func(id string, op jukinet.Operation, detail string) {
		n.DBs[id].OnLog(func(_ context.Context, recs []store.LogRecord) {
			for _, r := range recs[min(1, len(recs)):] {
				if r.Operation == string(op) && strings.Contains(r.Detail, detail) {
					done <- id
					return
				}
			}
		})
	}
	watch(hofu, jukinet.OpNetworkDeliveryResult, network.KindIdentityNotify.String()+" ")
	watch(yamaPref, jukinet.OpNetworkDeliveryResult, network.KindIdentityRelay.String()+" ")
	watch(network.NationalID, jukinet.OpNetworkReceive, network.KindIdentityRelay.String()+" ")
	time.Sleep(time.Second) // let the start's own traffic settle
	// The six nodes' upkeep (checkpointers, the senders' polls) while idle.
	idle := cpuTime()
	time.Sleep(2 * time.Second)
	idle = (cpuTime() - idle) / 2
	actx := jukinet.WithActor(ctx, testActor)
	var took time.Duration
	before := cpuTime()
	b.ResetTimer()
	for i := range b.N {
		info.Version = uint64(i + 2)
		info.Address.Text = fmt.Sprintf("山口県防府市寿町%d番1号", i%50+1)
		body, err := json.Marshal(info)
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		if err := n.DBs[hofu].Update(actx, store.Op{Operation: jukinet.OpNetworkSend, Detail: "floor"}, func(tx *store.Tx) error {
			tx.Send(store.Message{Kind: network.KindIdentityNotify.String(), To: yamaPref, OrderingKey: info.OrderingKey(), Version: info.Version, Body: body})
			return nil
		}); err != nil {
			b.Fatal(err)
		}
		for range 3 {
			select {
			case <-done:
			case <-time.After(time.Minute):
				b.Fatalf("notice %d: not delivered and recorded after a minute", i)
			}
		}
		took += time.Since(start)
	}
	b.StopTimer()
	cpu := cpuTime() - before
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu_us/msg")
	b.ReportMetric(float64(took.Microseconds())/float64(b.N), "wall_us/msg")
	b.ReportMetric(float64(idle.Microseconds())/1000, "idle_cpu_ms/s")
	var got int
	if err := nat.Bookkeeping(store.Inspect).QueryRow(`SELECT COUNT(*) FROM flow_identity_history`).Scan(&got); err != nil || got != persons+b.N {
		b.Fatalf("national holds %d identity versions (%v), want %d", got, err, persons+b.N)
	}
}

// cpuTime is the process's user and system CPU so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
