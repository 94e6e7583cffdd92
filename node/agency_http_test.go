package node

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/network"
	"github.com/jukinet/jukinet/pki"
	"github.com/jukinet/jukinet/store"
	"github.com/jukinet/jukinet/store/storetest"
)

// agencyPKI is a network CA with the national server's credentials and the
// client certificates the tests call with.
type agencyPKI struct {
	national *pki.NodeCredentials
	clients  map[string]tls.Certificate // "pension", "passport", "nobody" (unlisted), "node", "terminal"
	ca       *pki.CA
}

func newAgencyPKI(t testing.TB) *agencyPKI {
	t.Helper()
	now := time.Now()
	ca, err := pki.NewCA("test network CA", now, 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	p := &agencyPKI{ca: ca, clients: map[string]tls.Certificate{}}
	if p.national, err = ca.IssueNode(network.NationalID, []string{"127.0.0.1"}, now, time.Hour); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"pension", "passport", "nobody"} {
		c, err := ca.IssueAgency(id, now, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		p.clients[id] = c.Certificate
	}
	nodeCreds, err := ca.IssueNode("352063", nil, now, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	p.clients["node"] = nodeCreds.Certificate
	term, err := ca.IssueTerminal("352063", "T01", now, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	p.clients["terminal"] = term.Certificate
	return p
}

// client returns an HTTPS client presenting the named certificate.
func (p *agencyPKI) client(who string) *http.Client {
	creds := &pki.AgencyCredentials{AgencyID: who, Certificate: p.clients[who], CA: p.ca.Cert}
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: creds.ClientTLSConfig(network.NationalID), ForceAttemptHTTP2: true}}
}

// logLines collects Logf output safely across the server's goroutines.
type logLines struct {
	mu    sync.Mutex
	lines []string
}

func (l *logLines) logf(f string, a ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, fmt.Sprintf(f, a...))
}

func (l *logLines) contains(s string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, x := range l.lines {
		if strings.Contains(x, s) {
			return true
		}
	}
	return false
}

// eventually waits up to 5 s for a line containing s: the server logs a
// handshake refusal after the client has already seen the alert.
func (l *logLines) eventually(s string) bool {
	for range 250 {
		if l.contains(s) {
			return true
		}
		time.Sleep(20 * time.Millisecond)
	}
	return false
}

func startAgencyListener(t testing.TB, p *agencyPKI, nat *National, cfg AgencyAPIConfig) *AgencyListener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg.National = nat
	l, err := StartAgencyListener(AgencyListenerConfig{AgencyAPIConfig: cfg, Credentials: p.national, Listener: ln})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

type provideResult struct {
	status int
	ok     ProvideResponse
	err    AgencyError
}

func post(t *testing.T, c *http.Client, url string, body []byte) (provideResult, error) {
	t.Helper()
	resp, err := c.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		return provideResult{}, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return provideResult{}, err
	}
	r := provideResult{status: resp.StatusCode}
	target := any(&r.err)
	if resp.StatusCode == http.StatusOK {
		target = &r.ok
	}
	if err := json.Unmarshal(raw, target); err != nil {
		t.Fatalf("POST %s: status %d, body %.200q is not JSON: %v", url, resp.StatusCode, raw, err)
	}
	return r, nil
}

func provideBody(task string, codes ...jukinet.ResidentCode) []byte {
	b, _ := json.Marshal(ProvideRequest{Task: task, ResidentCodes: codes})
	return b
}

func TestAgencyListener(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			n := newTestNet(t, e, nil)
			m := n.muni[hofu]
			a := birth(t, m, "國廣\u3000節子", "クニヒロ\u3000セツコ", "1950-12-12", "")
			b := birth(t, m, "山田\u3000花子", "ヤマダ\u3000ハナコ", "1980-04-01", "")
			if err := m.Register().RequestIndividualNumber(as(numbers), a.ResidentCode, jukinet.ReasonIndividualNumberExOfficioAdd, jukinet.Date{}); err != nil {
				t.Fatal(err)
			}
			n.run()
			n.noRejections()
			p := newAgencyPKI(t)
			var logs logLines
			l := startAgencyListener(t, p, n.national, AgencyAPIConfig{Logf: logs.logf, RatePerSecond: 1000})
			url := "https://" + l.Addr() + AgencyProvidePath
			pension, passport := p.client("pension"), p.client("passport")
			unknown := codeOf(t, "1234567890")
			const task = "年金給付の支給"

			t.Run("one by one", func(t *testing.T) {
				for _, c := range []jukinet.ResidentCode{a.ResidentCode, b.ResidentCode} {
					r, err := post(t, pension, url, provideBody(task, c))
					if err != nil || r.status != http.StatusOK || len(r.ok.Records) != 1 || r.ok.Records[0].ResidentCode != c || r.ok.Agency != "pension" {
						t.Fatalf("provide %s to pension = %+v, %v; want 200 with that one person", c, r, err)
					}
				}
			})
			t.Run("batch with an unknown code", func(t *testing.T) {
				r, err := post(t, pension, url, provideBody(task, a.ResidentCode, unknown, b.ResidentCode))
				if err != nil || r.status != http.StatusOK {
					t.Fatalf("batch = %+v, %v; want 200", r, err)
				}
				if len(r.ok.Records) != 2 || len(r.ok.NotFound) != 1 || r.ok.NotFound[0] != unknown {
					t.Fatalf("batch of 3 (one unknown): %d records, not_found %v; want 2 records and [%s]", len(r.ok.Records), r.ok.NotFound, unknown)
				}
				for _, rec := range r.ok.Records {
					if rec.ResidentCode == a.ResidentCode && rec.IndividualNumber == "" {
						t.Errorf("pension (individual_number = true) got no 個人番号 for %s", rec.ResidentCode)
					}
					if rec.Name.Kanji == "" || rec.BirthDate.IsZero() || rec.Address.Text == "" {
						t.Errorf("record of %s lacks items: %+v", rec.ResidentCode, rec)
					}
				}
			})
			t.Run("no individual number without the 別表", func(t *testing.T) {
				r, err := post(t, passport, url, provideBody("旅券の発給", a.ResidentCode))
				if err != nil || r.status != http.StatusOK || len(r.ok.Records) != 1 || r.ok.Records[0].IndividualNumber != "" {
					t.Fatalf("passport = %+v, %v; want 200, one record without individual_number", r, err)
				}
			})

			refusals := []struct {
				name       string
				who        string
				body       []byte
				wantStatus int
				wantKind   jukinet.Kind
				wantField  string
			}{
				{"unlisted agency", "nobody", provideBody(task, a.ResidentCode), http.StatusForbidden, jukinet.KindForbidden, "agency"},
				{"task not allowed", "passport", provideBody(task, a.ResidentCode), http.StatusForbidden, jukinet.KindForbidden, "task"},
				{"malformed JSON", "pension", []byte(`{"task": "x", "resident_codes": [`), http.StatusBadRequest, jukinet.KindInvalid, "body"},
				{"unknown field", "pension", []byte(`{"task":"` + task + `","resident_codes":["` + string(a.ResidentCode) + `"],"agency":"pension"}`), http.StatusBadRequest, jukinet.KindInvalid, "body"},
				{"two objects", "pension", append(provideBody(task, a.ResidentCode), provideBody(task, a.ResidentCode)...), http.StatusBadRequest, jukinet.KindInvalid, "body"},
				{"codes not an array", "pension", []byte(`{"task":"` + task + `","resident_codes":"` + string(a.ResidentCode) + `"}`), http.StatusBadRequest, jukinet.KindInvalid, "resident_codes"},
				{"no task", "pension", provideBody("", a.ResidentCode), http.StatusBadRequest, jukinet.KindInvalid, "task"},
				{"no codes", "pension", provideBody(task), http.StatusBadRequest, jukinet.KindInvalid, "resident_codes"},
				{"bad check digit", "pension", provideBody(task, a.ResidentCode, jukinet.ResidentCode("12345678901")), http.StatusBadRequest, jukinet.KindInvalid, "resident_codes[1]"},
				{"repeated code", "pension", provideBody(task, a.ResidentCode, b.ResidentCode, a.ResidentCode), http.StatusBadRequest, jukinet.KindInvalid, "resident_codes[2]"},
				{"oversized body", "pension", []byte(`{"task":"` + strings.Repeat("x", DefaultAgencyMaxBody) + `"}`), http.StatusRequestEntityTooLarge, jukinet.KindTooLarge, "body"},
				{"too many codes", "pension", provideBody(task, manyCodes(t, MaxProvideBatch+1)...), http.StatusRequestEntityTooLarge, jukinet.KindTooLarge, "resident_codes"},
			}
			for _, tt := range refusals {
				t.Run(tt.name, func(t *testing.T) {
					r, err := post(t, p.client(tt.who), url, tt.body)
					if err != nil {
						t.Fatalf("POST as %s: %v", tt.who, err)
					}
					if r.status != tt.wantStatus || r.err.Kind != tt.wantKind.String() || r.err.Field != tt.wantField || r.err.Message == "" || r.err.Op == "" {
						t.Errorf("POST as %s (%s) = %d %+v; want %d kind %s field %q with op and message", tt.who, tt.name, r.status, r.err, tt.wantStatus, tt.wantKind, tt.wantField)
					}
					if !logs.contains("agency " + tt.who + ": refused") {
						t.Errorf("refusal of %s (%s) not logged; log %q", tt.who, tt.name, logs.lines)
					}
				})
			}
			t.Run("GET refused", func(t *testing.T) {
				resp, err := pension.Get(url)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusMethodNotAllowed {
					t.Errorf("GET %s = %d; want 405", AgencyProvidePath, resp.StatusCode)
				}
			})
			for _, who := range []string{"node", "terminal"} {
				t.Run(who+" certificate refused at the handshake", func(t *testing.T) {
					r, err := post(t, p.client(who), url, provideBody(task, a.ResidentCode))
					if err == nil {
						t.Fatalf("POST with a %s certificate = %d %+v; want the handshake refused", who, r.status, r.err)
					}
					if !logs.eventually(who + " certificate is not an agency certificate") {
						t.Errorf("handshake refusal of a %s certificate not logged; log %q", who, logs.lines)
					}
				})
			}

			t.Run("self disclosure lists the provisions", func(t *testing.T) {
				recs, err := n.national.SelfDisclosure(as(looker), a.ResidentCode)
				if err != nil {
					t.Fatal(err)
				}
				var pensions, passports int
				for _, r := range recs {
					switch {
					case r.Agency == "pension" && r.Task == task && r.Found && strings.Contains(r.Items, "individual_number"):
						pensions++
					case r.Agency == "passport" && r.Found && !strings.Contains(r.Items, "individual_number"):
						passports++
					}
				}
				// one by one, in the batch; passport once. Refused requests record nothing.
				if pensions != 2 || passports != 1 || len(recs) != 3 {
					t.Errorf("self disclosure of %s: %+v; want 2 pension and 1 passport provisions", a.ResidentCode, recs)
				}
				recs, err = n.national.SelfDisclosure(as(looker), unknown)
				if err != nil || len(recs) != 1 || recs[0].Found {
					t.Errorf("self disclosure of the unknown code = %+v, %v; want one not-found provision", recs, err)
				}
			})
			t.Run("refusals in the operation log", func(t *testing.T) {
				c := refusalsLogged(t, n.national.DB(), jukinet.OpNationalProvide)
				// every refusal of an authenticated agency except the method one
				if want := len(refusals); c != want {
					t.Errorf("refusal records in the operation log = %d; want %d", c, want)
				}
			})
		})
	}
}

func TestAgencyRateLimit(t *testing.T) {
	n := newTestNet(t, store.SQLite, nil)
	p := newAgencyPKI(t)
	now := time.Unix(1_800_000_000, 0)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	l := startAgencyListener(t, p, n.national, AgencyAPIConfig{RatePerSecond: 1, Burst: 2, Now: clock})
	url := "https://" + l.Addr() + AgencyProvidePath
	body := provideBody("年金給付の支給", codeOf(t, "1234567890"))
	statuses := func(who string, k int) []int {
		var out []int
		for range k {
			r, err := post(t, p.client(who), url, body)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, r.status)
		}
		return out
	}
	if got, want := fmt.Sprint(statuses("pension", 3)), "[200 200 429]"; got != want {
		t.Errorf("3 requests with a burst of 2: statuses %s; want %s", got, want)
	}
	// Another agency has its own bucket.
	if got, want := fmt.Sprint(statuses("passport", 1)), "[403]"; got != want {
		t.Errorf("passport (task not allowed) after pension's burst: %s; want %s (not 429)", got, want)
	}
	mu.Lock()
	now = now.Add(time.Second)
	mu.Unlock()
	if got, want := fmt.Sprint(statuses("pension", 1)), "[200]"; got != want {
		t.Errorf("a second later: %s; want %s", got, want)
	}
}

func TestStartAgencyListenerRejects(t *testing.T) {
	n := newTestNet(t, store.SQLite, nil)
	p := newAgencyPKI(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	other, err := p.ca.IssueNode("350001", nil, time.Now(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		cfg   AgencyListenerConfig
		field string
	}{
		{"no national", AgencyListenerConfig{Credentials: p.national, Listener: ln}, "national"},
		{"no listener", AgencyListenerConfig{AgencyAPIConfig: AgencyAPIConfig{National: n.national}, Credentials: p.national}, "listener"},
		{"another node's credentials", AgencyListenerConfig{AgencyAPIConfig: AgencyAPIConfig{National: n.national}, Credentials: other, Listener: ln}, "credentials"},
		{"negative rate", AgencyListenerConfig{AgencyAPIConfig: AgencyAPIConfig{National: n.national, RatePerSecond: -1}, Credentials: p.national, Listener: ln}, "rate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, err := StartAgencyListener(tc.cfg)
			if err == nil {
				l.Close()
			}
			if !jukinet.IsKind(err, jukinet.KindInvalid) || jukinet.ErrorField(err) != tc.field {
				t.Errorf("StartAgencyListener(%s) error = %v; want KindInvalid on field %q", tc.name, err, tc.field)
			}
		})
	}
}

// manyCodes returns k distinct valid resident codes.
func manyCodes(t testing.TB, k int) []jukinet.ResidentCode {
	out := make([]jukinet.ResidentCode, k)
	for i := range out {
		first := fmt.Sprintf("9%09d", i)
		cd, err := jukinet.ResidentCodeCheckDigit(first)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = jukinet.ResidentCode(first + string(cd))
	}
	return out
}

func FuzzDecodeProvideRequest(f *testing.F) {
	f.Add([]byte(`{"task":"年金給付の支給","resident_codes":["12345678901"]}`))
	f.Add([]byte(`{"task":"t","resident_codes":[]}`))
	f.Add([]byte(`{"task":1}`))
	f.Add([]byte(`{"resident_codes":"x"} {}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := decodeProvideRequest(body)
		if err != nil {
			if k := jukinet.ErrorKind(err); k != jukinet.KindInvalid && k != jukinet.KindTooLarge {
				t.Fatalf("decodeProvideRequest(%q) error kind %v; want invalid or too_large", body, k)
			}
			if jukinet.ErrorField(err) == "" {
				t.Fatalf("decodeProvideRequest(%q) error %v names no field", body, err)
			}
			return
		}
		if strings.TrimSpace(req.Task) == "" || len(req.ResidentCodes) == 0 || len(req.ResidentCodes) > MaxProvideBatch {
			t.Fatalf("decodeProvideRequest(%q) accepted %+v", body, req)
		}
		seen := map[jukinet.ResidentCode]bool{}
		for _, c := range req.ResidentCodes {
			if !jukinet.ValidResidentCode(string(c)) || seen[c] {
				t.Fatalf("decodeProvideRequest(%q) accepted code %q", body, c)
			}
			seen[c] = true
		}
	})
}

// BenchmarkAgencyProvideBatch measures provision over the agency listener
// (TLS 1.3, JSON, one transaction per request) in batches of 1,000 persons.
func BenchmarkAgencyProvideBatch(b *testing.B) {
	const batch = 1000
	db := storetest.OpenWith(b, store.SQLite, network.NationalID, storetest.Options{})
	ag, err := ParseAgencies([]byte(testAgencies))
	if err != nil {
		b.Fatal(err)
	}
	nat, err := NewNational(context.Background(), db, NationalConfig{Agencies: ag})
	if err != nil {
		b.Fatal(err)
	}
	codes := manyCodes(b, batch)
	err = db.Update(as(jukinet.SystemActor("network")), store.Op{Operation: jukinet.OpNetworkReceive, Detail: "bench seed"}, func(tx *store.Tx) error {
		for i, c := range codes {
			born, err := jukinet.NewDate(1970, time.January, 1+i%28)
			if err != nil {
				return err
			}
			info := jukinet.IdentityInfo{Municipality: hofu, ResidentCode: c, Name: jukinet.Name{Kanji: "試験\u3000太郎", Kana: "シケン\u3000タロウ"},
				BirthDate: born, Sex: jukinet.SexMale,
				Address: jukinet.Address{LGCode: hofu, Text: "山口県防府市松崎町1番1号"},
				Change:  jukinet.ChangeInfo{Reason: jukinet.ReasonBirth, Date: born}, Version: 1}
			if err := storeIdentity(tx, info); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	p := newAgencyPKI(b)
	l := startAgencyListener(b, p, nat, AgencyAPIConfig{RatePerSecond: 1e6})
	url := "https://" + l.Addr() + AgencyProvidePath
	client := p.client("pension")
	body := provideBody("年金給付の支給", codes...)
	b.ResetTimer()
	for b.Loop() {
		resp, err := client.Post(url, "application/json", bytes.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		var out ProvideResponse
		err = json.NewDecoder(resp.Body).Decode(&out)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK || len(out.Records) != batch {
			b.Fatalf("status %d, %d records, %v; want 200 and %d", resp.StatusCode, len(out.Records), err, batch)
		}
	}
	b.ReportMetric(float64(batch*b.N)/b.Elapsed().Seconds(), "records/s")
}

// A revoked agency certificate is refused on the connection the agency
// already holds (the per-request check) and on a new one (the handshake),
// from the moment the national server's list is reloaded; another agency is
// still served.
func TestAgencyListenerRefusesRevokedAgency(t *testing.T) {
	n := newTestNet(t, store.SQLite, nil)
	p := newAgencyPKI(t)
	l := startAgencyListener(t, p, n.national, AgencyAPIConfig{})
	url := "https://" + l.Addr() + AgencyProvidePath
	body := provideBody("年金給付の支給", codeOf(t, "1234567890"))
	kept := p.client("pension")
	if r, err := post(t, kept, url, body); err != nil || r.status != http.StatusOK {
		t.Fatalf("before revocation: %v, status %d", err, r.status)
	}
	serial := p.clients["pension"].Leaf.SerialNumber
	rl, err := p.ca.RevocationList([]x509.RevocationListEntry{{SerialNumber: serial, RevocationTime: time.Now()}}, big.NewInt(1), time.Now(), time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if err := p.national.Revocations.Load(pki.EncodeCRLPEM(rl)); err != nil {
		t.Fatal(err)
	}
	r, err := post(t, kept, url, body)
	if err != nil || r.status != http.StatusUnauthorized {
		t.Errorf("revoked, kept connection: %v, status %d (%+v); want 401", err, r.status, r.err)
	}
	if _, err := post(t, p.client("pension"), url, body); err == nil {
		t.Error("revoked, new connection: the handshake succeeded")
	}
	if r, err := post(t, p.client("passport"), url, body); err != nil || r.status != http.StatusForbidden {
		t.Errorf("passport after pension's revocation: %v, status %d; want 403 (its task is not allowed), not a refusal of its certificate", err, r.status)
	}
}
