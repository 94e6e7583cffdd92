package demo

import (
	"context"
	"testing"
	"time"
)

func TestNetworkConverges(t *testing.T) {
	ctx := context.Background()
	n, err := StartNetwork(ctx, NetworkConfig{Dir: t.TempDir(), Residents: 200, Seed: 1, Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	wctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if err := n.WaitNational(wctx, 600, 50*time.Millisecond); err != nil {
		t.Fatalf("national: %v", err)
	}
	for _, p := range []struct {
		id   string
		want int
	}{{"350001", 400}, {"400009", 200}, {"national", 600}} {
		got, err := n.IdentityCount(ctx, p.id)
		if err != nil || got != p.want {
			t.Errorf("IdentityCount(%s) = %d, %v; want %d", p.id, got, err, p.want)
		}
	}
}
