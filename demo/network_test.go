package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"github.com/jukinet/jukinet/store"
	"net/http"
	"testing"
	"time"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/compliance"
	"github.com/jukinet/jukinet/network"
	"github.com/jukinet/jukinet/node"
	"github.com/jukinet/jukinet/pki"
)

func TestNetworkConverges(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	n, err := StartNetwork(ctx, NetworkConfig{Dir: dir, Residents: 200, Seed: 1, Logf: t.Logf})
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
	// The demo agency "pension" reaches the agency listener with the
	// certificate the network issued it under DIR/agencies/.
	creds, err := pki.LoadAgency(dir, DemoAgency)
	if err != nil {
		t.Fatalf("LoadAgency(%s): %v", DemoAgency, err)
	}
	var code string
	if err := n.DBs[network.NationalID].Bookkeeping(store.Inspect).QueryRow(`SELECT resident_code FROM flow_identity ORDER BY resident_code LIMIT 1`).Scan(&code); err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(map[string]any{"task": "年金給付の支給", "resident_codes": []string{code}})
	c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: creds.ClientTLSConfig(network.NationalID)}}
	resp, err := c.Post(n.AgencyURL(), "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatalf("POST %s: %v", n.AgencyURL(), err)
	}
	defer resp.Body.Close()
	var got node.ProvideResponse
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil || resp.StatusCode != http.StatusOK || len(got.Records) != 1 || string(got.Records[0].ResidentCode) != code {
		t.Errorf("provide %s to pension: status %d, %+v, %v; want 200 with that person", code, resp.StatusCode, got, err)
	}
	// The compliance report on a running CS: the network's records (G2.1
	// receipts, G2.3 deliveries) and the live checks on the node's own facts
	// (G2.4 the listener refuses a client without a certificate, G12.1 the
	// key directory and database closed to others); without a terminal
	// listener G2.5 cannot be checked.
	hofu := n.DBs["352063"]
	rep, err := compliance.Build(ctx, hofu, jukinet.Today(hofu.Now()), n.LiveFacts("352063"))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]compliance.Status{"G2.1": compliance.StatusMet, "G2.3": compliance.StatusMet, "G2.4": compliance.StatusMet,
		"G12.1": compliance.StatusMet, "G2.5": compliance.StatusNotChecked}
	for _, f := range rep.Findings {
		if w, ok := want[f.ID]; ok && f.Status != w && !(f.ID == "G2.5" && f.Status == compliance.StatusEvidenceMissing) {
			t.Errorf("compliance %s on the running CS: %s (evidence %q, due %q), want %s", f.ID, f.Status, f.Evidence, f.Due, w)
		}
	}
}
