package network

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/store"
)

// Refusal reasons of the TLS handshake, beside the Reason codes of requests
// and envelopes (which are recorded by their names, Reason.String).
const (
	RefusalTLSUnknownAuthority = "tls_unknown_authority" // a client certificate from another CA
	RefusalTLSNoCertificate    = "tls_no_certificate"    // no client certificate
	RefusalTLSBadCertificate   = "tls_bad_certificate"   // a certificate of the CA that is not a node's, expired, or otherwise refused
	RefusalTLSHandshake        = "tls_handshake"         // not TLS, an old version, a timeout, a broken handshake
)

// refusalActor appends the network.refused records (a system principal).
var refusalActor = jukinet.SystemActor("network")

// maxRefusalKeys bounds the (peer, reason) pairs held for one minute: past
// it, refusals of new peers are counted under the peer "(other)", so a flood
// from many addresses neither grows memory nor the log.
const maxRefusalKeys = 1024

// OtherPeers is the peer name under which refusals past maxRefusalKeys are counted.
const OtherPeers = "(other)"

type refusalKey struct {
	minute int64 // unix seconds of the minute's start
	peer   string
	reason string
}

type refusalAgg struct {
	count       uint64
	first, last time.Time
	detail      string // the first refusal's rule (never a body)
}

// RefusalCount is the number of refusals of one peer for one reason.
type RefusalCount struct {
	Peer   string    `json:"peer"`
	Reason string    `json:"reason"`
	Count  uint64    `json:"count"`
	First  time.Time `json:"first"`
	Last   time.Time `json:"last"`
}

// RefusalLog records every refusal at the network listener: a TLS handshake
// refused, a request refused, an envelope refused by the transport's checks.
// Refusals are aggregated per (peer, reason) per minute: the minute's
// aggregate becomes one operation-log record (network.refused) and one row of
// network_refusals with its count once the minute is over (Run, Flush), so a
// flood adds at most one record per peer and reason a minute. The first
// refusal of each (peer, reason) in a minute, and each written aggregate, is
// also a structured log line. Safe for concurrent use.
type RefusalLog struct {
	db  *store.DB
	log *slog.Logger
	now func() time.Time

	mu     sync.Mutex
	open   map[refusalKey]*refusalAgg // not yet written
	totals map[[2]string]*RefusalCount
}

// NewRefusalLog returns a RefusalLog writing to db. log may be nil (no log
// lines); now may be nil (time.Now).
func NewRefusalLog(db *store.DB, log *slog.Logger, now func() time.Time) *RefusalLog {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &RefusalLog{db: db, log: log, now: now, open: map[refusalKey]*refusalAgg{}, totals: map[[2]string]*RefusalCount{}}
}

// Refused counts one refusal of peer (a node ID, a certificate subject or an
// address) for reason, with detail the rule that refused it. It never
// writes to the database itself (Run does), so a flood costs a map update.
func (l *RefusalLog) Refused(peer, reason, detail string) {
	if l == nil {
		return
	}
	now := l.now()
	peer, detail = cleanText(peer, 128), cleanText(detail, 200)
	l.mu.Lock()
	k := refusalKey{minute: now.Unix() - now.Unix()%60, peer: peer, reason: reason}
	a, ok := l.open[k]
	if !ok && len(l.open) >= maxRefusalKeys {
		k.peer = OtherPeers
		a, ok = l.open[k]
	}
	if !ok {
		a = &refusalAgg{first: now, detail: detail}
		l.open[k] = a
	}
	a.count++
	a.last = now
	tk := [2]string{k.peer, reason}
	t := l.totals[tk]
	if t == nil {
		if len(l.totals) >= maxRefusalKeys {
			tk = [2]string{OtherPeers, reason}
			t = l.totals[tk]
		}
		if t == nil {
			t = &RefusalCount{Peer: tk[0], Reason: reason, First: now}
			l.totals[tk] = t
		}
	}
	t.Count++
	t.Last = now
	l.mu.Unlock()
	if !ok {
		l.log.Warn("network refusal", "peer", k.peer, "reason", reason, "detail", detail)
	}
}

// Counts returns the refusals counted since the log was made, by peer and
// reason (sorted), including those not yet written: the figures a metrics
// exporter reads.
func (l *RefusalLog) Counts() []RefusalCount {
	l.mu.Lock()
	out := make([]RefusalCount, 0, len(l.totals))
	for _, t := range l.totals {
		out = append(out, *t)
	}
	l.mu.Unlock()
	sortCounts(out)
	return out
}

func sortCounts(cs []RefusalCount) {
	sort.Slice(cs, func(i, j int) bool {
		if cs[i].Peer != cs[j].Peer {
			return cs[i].Peer < cs[j].Peer
		}
		return cs[i].Reason < cs[j].Reason
	})
}

// Flush writes the aggregates of the minutes that are over (all of them
// when all is set, as at shutdown): per (peer, reason, minute) one
// network.refused record and one network_refusals row, in one transaction
// each. An aggregate that fails to write is kept for the next Flush.
func (l *RefusalLog) Flush(ctx context.Context, all bool) error {
	now := l.now()
	current := now.Unix() - now.Unix()%60
	l.mu.Lock()
	var keys []refusalKey
	aggs := map[refusalKey]refusalAgg{}
	for k, a := range l.open {
		if all || k.minute < current {
			keys = append(keys, k)
			aggs[k] = *a
			delete(l.open, k)
		}
	}
	l.mu.Unlock()
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].minute != keys[j].minute {
			return keys[i].minute < keys[j].minute
		}
		if keys[i].peer != keys[j].peer {
			return keys[i].peer < keys[j].peer
		}
		return keys[i].reason < keys[j].reason
	})
	var errs []error
	for i, k := range keys {
		a := aggs[k]
		if err := l.write(ctx, k, a); err != nil {
			// Put back what was not written (merged with what came since).
			l.mu.Lock()
			for _, k := range keys[i:] {
				a := aggs[k]
				if cur, ok := l.open[k]; ok {
					cur.count += a.count
					cur.first = a.first
				} else {
					l.open[k] = &a
				}
			}
			l.mu.Unlock()
			errs = append(errs, err)
			break
		}
		l.log.Info("network refusals", "peer", k.peer, "reason", k.reason, "minute", time.Unix(k.minute, 0).UTC().Format(time.RFC3339), "count", a.count)
	}
	return errors.Join(errs...)
}

func (l *RefusalLog) write(ctx context.Context, k refusalKey, a refusalAgg) error {
	minute := time.Unix(k.minute, 0).UTC().Format("2006-01-02T15:04Z")
	detail := fmt.Sprintf("peer=%s reason=%s minute=%s count=%d", k.peer, k.reason, minute, a.count)
	if a.detail != "" {
		detail += " first: " + a.detail
	}
	return l.db.Update(jukinet.WithActor(ctx, refusalActor), store.Op{Operation: jukinet.OpNetworkRefused, Detail: detail}, func(tx *store.Tx) error {
		_, err := tx.Exec(`INSERT INTO network_refusals (minute, peer, reason, count, first_at, last_at, detail) VALUES ($1, $2, $3, $4, $5, $6, $7)
			ON CONFLICT (minute, peer, reason) DO UPDATE SET count = network_refusals.count + excluded.count, last_at = excluded.last_at`,
			k.minute, k.peer, k.reason, int64(a.count), a.first.UnixMicro(), a.last.UnixMicro(), a.detail)
		if err != nil {
			return jukinet.E("network.RefusalLog", jukinet.KindInternal, err)
		}
		return nil
	})
}

// Run writes the aggregates of each minute shortly after it ends, and all
// of them when ctx ends.
func (l *RefusalLog) Run(ctx context.Context) {
	t := time.NewTicker(5 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			if err := l.Flush(context.WithoutCancel(ctx), true); err != nil {
				l.log.Error("network refusals not written", "err", err)
			}
			return
		case <-t.C:
			if err := l.Flush(ctx, false); err != nil {
				l.log.Error("network refusals not written", "err", err)
			}
		}
	}
}

// Refusals reads the refusals written since since, by peer and reason, the
// most frequent first: the network-status screen's table.
func Refusals(ctx context.Context, db *store.DB, since time.Time) ([]RefusalCount, error) {
	rows, err := db.Bookkeeping(store.Status).QueryContext(ctx, `SELECT peer, reason, SUM(count), MIN(first_at), MAX(last_at) FROM network_refusals WHERE minute >= $1
		GROUP BY peer, reason ORDER BY SUM(count) DESC, peer, reason LIMIT 200`, since.Unix()-since.Unix()%60)
	if err != nil {
		return nil, jukinet.E("network.Refusals", jukinet.KindInternal, err)
	}
	defer rows.Close()
	var out []RefusalCount
	for rows.Next() {
		var c RefusalCount
		var n, first, last int64
		if err := rows.Scan(&c.Peer, &c.Reason, &n, &first, &last); err != nil {
			return nil, jukinet.E("network.Refusals", jukinet.KindInternal, err)
		}
		c.Count, c.First, c.Last = uint64(n), time.UnixMicro(first), time.UnixMicro(last)
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, jukinet.E("network.Refusals", jukinet.KindInternal, err)
	}
	return out, nil
}

// cleanText keeps a peer-supplied string printable and short: certificate
// subjects and addresses come from whoever connects.
func cleanText(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if r == unicode.ReplacementChar || !unicode.IsPrint(r) {
			return '?'
		}
		return r
	}, s)
	if len(s) > n {
		s = s[:n]
		for len(s) > 0 && !utf8Valid(s) {
			s = s[:len(s)-1]
		}
	}
	return s
}

func utf8Valid(s string) bool { return strings.ToValidUTF8(s, "\x00") == s }

// hostOf is the address without its port: a client's port changes with
// every connection, and the aggregate is per peer.
func hostOf(addr string) string {
	if h, _, err := net.SplitHostPort(addr); err == nil {
		return h
	}
	return addr
}

// TLSListener wraps the network listener's TCP listener: it completes each
// TLS handshake itself, so that a handshake the configuration refuses (a
// certificate from another CA, no certificate, not TLS at all) is recorded
// in refusals, and hands the http.Server only connections whose handshake
// succeeded. Handshakes run concurrently, each bounded by timeout.
type TLSListener struct {
	inner    net.Listener
	cfg      *tls.Config
	refusals *RefusalLog
	timeout  time.Duration
	conns    chan net.Conn
	done     chan struct{}
	once     sync.Once
	err      error
	wg       sync.WaitGroup
	full     atomic.Int64 // handshakes that verified certificate chains
	resumed  atomic.Int64 // handshakes that resumed a session
}

// NewTLSListener starts accepting on inner. cfg must require client
// certificates (pki.NodeCredentials.ServerTLSConfig); "h2" and "http/1.1"
// are offered when cfg names no protocols. Give the http.Server TLSConfig()
// so that it serves HTTP/2.
func NewTLSListener(inner net.Listener, cfg *tls.Config, refusals *RefusalLog, timeout time.Duration) *TLSListener {
	cfg = cfg.Clone()
	if len(cfg.NextProtos) == 0 {
		cfg.NextProtos = []string{"h2", "http/1.1"}
	}
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	l := &TLSListener{inner: inner, cfg: cfg, refusals: refusals, timeout: timeout, conns: make(chan net.Conn), done: make(chan struct{})}
	go l.accept()
	return l
}

// Handshakes is how many handshakes the listener completed: full ones
// (certificate chains verified, signatures made) and resumed ones.
func (l *TLSListener) Handshakes() (full, resumed int64) { return l.full.Load(), l.resumed.Load() }

// TLSConfig is the configuration the listener handshakes with.
func (l *TLSListener) TLSConfig() *tls.Config { return l.cfg }

func (l *TLSListener) accept() {
	for {
		c, err := l.inner.Accept()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				time.Sleep(5 * time.Millisecond)
				continue
			}
			l.once.Do(func() {
				l.err = err
				close(l.done)
			})
			return
		}
		l.wg.Add(1)
		go l.handshake(c)
	}
}

func (l *TLSListener) handshake(c net.Conn) {
	defer l.wg.Done()
	tc := tls.Server(c, l.cfg)
	ctx, cancel := context.WithTimeout(context.Background(), l.timeout)
	err := tc.HandshakeContext(ctx)
	cancel()
	if err != nil {
		peer, reason := classifyHandshake(c.RemoteAddr().String(), err)
		l.refusals.Refused(peer, reason, handshakeDetail(err))
		tc.Close()
		return
	}
	if tc.ConnectionState().DidResume {
		l.resumed.Add(1)
	} else {
		l.full.Add(1)
	}
	select {
	case l.conns <- tc:
	case <-l.done:
		tc.Close()
	}
}

// classifyHandshake names the peer (the certificate's subject when one was
// presented, and the address) and the reason of a refused handshake.
func classifyHandshake(addr string, err error) (peer, reason string) {
	peer = hostOf(addr)
	var cve *tls.CertificateVerificationError
	if errors.As(err, &cve) {
		if len(cve.UnverifiedCertificates) > 0 {
			peer = "CN=" + cve.UnverifiedCertificates[0].Subject.CommonName + " at " + peer
		}
		var ua x509.UnknownAuthorityError
		if errors.As(cve.Err, &ua) {
			return peer, RefusalTLSUnknownAuthority
		}
		return peer, RefusalTLSBadCertificate
	}
	msg := err.Error()
	switch {
	case strings.Contains(msg, "didn't provide a certificate"):
		return peer, RefusalTLSNoCertificate
	case strings.Contains(msg, "certificate"):
		return peer, RefusalTLSBadCertificate
	}
	return peer, RefusalTLSHandshake
}

// handshakeDetail is the handshake error without the address (already the peer).
func handshakeDetail(err error) string {
	var cve *tls.CertificateVerificationError
	if errors.As(err, &cve) {
		return cve.Err.Error()
	}
	return err.Error()
}

// Accept returns the next connection whose handshake succeeded.
func (l *TLSListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		if l.err != nil {
			return nil, l.err
		}
		return nil, net.ErrClosed
	}
}

// Close stops accepting; handshakes under way end with their timeout.
func (l *TLSListener) Close() error {
	err := l.inner.Close()
	l.once.Do(func() { close(l.done) })
	return err
}

// Addr is the listener's address.
func (l *TLSListener) Addr() net.Addr { return l.inner.Addr() }
