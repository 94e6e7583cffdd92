// Package ops serves a node's operations endpoints on its ops listener
// (ops_addr: plain HTTP on an address of its own, never the network or
// terminal port): Prometheus metrics at /metrics, /healthz (the process is
// up) and /readyz (the database answers, the listeners accept, the log's
// witness is not overdue). docs/operations.md lists the metrics with alert
// rules.
//
// Metrics that describe stored state (queues, the inbox, logins, the
// operation log, the database) are read at scrape time through the owning
// packages' Go API through indexes that hold only what is counted, at most
// once per Config.Refresh, so a scraper cannot load the database; the
// delivery latency and the received messages are observed on the delivery
// path (a histogram observation per batch, a counter increment per message). No metric carries personal data: labels are node IDs, message kinds
// and reason codes.
package ops

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/network"
	"github.com/jukinet/jukinet/oplog"
	"github.com/jukinet/jukinet/pki"
	"github.com/jukinet/jukinet/store"
)

// Defaults of Config.
const (
	DefaultRefresh        = 10 * time.Second
	DefaultWitnessOverdue = 5 * time.Minute
)

// Refusal is a count of refused requests or messages from one peer for one
// reason code (network.Reason).
type Refusal struct {
	Peer, Reason string
	Count        int64
}

// Config says what the ops handler reports on. DB is required.
type Config struct {
	DB *store.DB
	// Revocations, if set, is reported (CRL number, revoked certificates).
	Revocations *pki.Revocations
	// Refusals, if set, returns the refusals recorded so far (counters).
	Refusals func(ctx context.Context) ([]Refusal, error)
	// WitnessOverdue: /readyz fails when records have waited longer than
	// this for a cosigned checkpoint; default DefaultWitnessOverdue.
	WitnessOverdue time.Duration
	// Refresh is the shortest interval between two reads of the database;
	// default DefaultRefresh.
	Refresh time.Duration
	Logger  *slog.Logger     // scrape failures; default discards
	Now     func() time.Time // default time.Now
}

// Handler serves /metrics, /healthz and /readyz.
type Handler struct {
	cfg      Config
	started  time.Time
	mux      *http.ServeMux
	delivery *prometheus.HistogramVec
	received *prometheus.CounterVec

	mu   sync.Mutex // guards snap and read (one database read at a time)
	snap *snapshot

	lmu       sync.Mutex
	listeners map[string]string // name → address, AddListener
}

// AddListener names a listener of the node that /readyz connects to
// ("network", "terminal", "agency").
func (h *Handler) AddListener(name, addr string) {
	h.lmu.Lock()
	defer h.lmu.Unlock()
	h.listeners[name] = addr
}

// NewHandler returns the ops handler of cfg.DB's node.
// Errors: KindInvalid without a DB.
func NewHandler(cfg Config) (*Handler, error) {
	if cfg.DB == nil {
		return nil, jukinet.E("ops.NewHandler", jukinet.KindInvalid, jukinet.Field("db"), "the node's database is required")
	}
	if cfg.WitnessOverdue <= 0 {
		cfg.WitnessOverdue = DefaultWitnessOverdue
	}
	if cfg.Refresh <= 0 {
		cfg.Refresh = DefaultRefresh
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	h := &Handler{cfg: cfg, started: cfg.Now(), mux: http.NewServeMux(), listeners: map[string]string{}}
	h.delivery = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "jukinet_delivery_latency_seconds",
		Help: "Time from sending an outbox batch to committing its receipts, per peer.",
		// A batch on a LAN takes milliseconds; a slow peer seconds; the
		// request timeout is 30 s.
		Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
	}, []string{"peer"})
	h.received = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "jukinet_inbox_received_total",
		Help: "Received messages since the process started, per kind and receipt status (accepted: applied, or parked until its predecessor arrives).",
	}, []string{"kind", "status"})
	reg := prometheus.NewRegistry()
	reg.MustRegister(h.delivery, h.received, &stateCollector{h: h},
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	h.mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		ErrorHandling: promhttp.ContinueOnError, ErrorLog: slogPrinter{cfg.Logger}}))
	h.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	h.mux.HandleFunc("GET /readyz", h.serveReady)
	return h, nil
}

// ServeHTTP serves the ops endpoints.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// ObserveDelivery records one settled outbox batch's delivery latency: pass
// it as node.Config.ObserveDelivery. One histogram observation, no lock of
// the handler's.
func (h *Handler) ObserveDelivery(dest string, _ int, took time.Duration) {
	h.delivery.WithLabelValues(dest).Observe(took.Seconds())
}

// ObserveInbox counts a committed received batch by kind and status: pass
// it as node.Config.ObserveInbox. A counter per message would be a full
// scan of the inbox at scrape time instead; this is one labelled increment
// per message on the delivery path.
func (h *Handler) ObserveInbox(envs []*network.Envelope, outcomes []network.Outcome) {
	for i, e := range envs {
		if i < len(outcomes) {
			h.received.WithLabelValues(e.Kind.String(), outcomes[i].Status.String()).Inc()
		}
	}
}

// snapshot is the stored state read at one scrape.
type snapshot struct {
	at          time.Time
	took        time.Duration
	err         error
	outbox      []network.DestStatus
	parked      int
	logins      map[jukinet.Operation]int64
	refusals    []Refusal
	logSize     uint64
	cosigned    oplog.StoredCheckpoint
	hasCosigned bool
	pending     int
	dbSize      int64
}

// state returns the snapshot, reading the database when the last read is
// older than Refresh. A failed read is reported (and retried at the next
// scrape), never hidden behind old figures.
func (h *Handler) state(ctx context.Context) *snapshot {
	h.mu.Lock()
	defer h.mu.Unlock()
	now := h.cfg.Now()
	if h.snap != nil && h.snap.err == nil && now.Sub(h.snap.at) >= 0 && now.Sub(h.snap.at) < h.cfg.Refresh {
		return h.snap
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	s := &snapshot{at: now}
	s.err = h.read(ctx, s)
	s.took = h.cfg.Now().Sub(now)
	if s.err != nil {
		h.cfg.Logger.Warn("ops: reading the node's state", "err", s.err)
	}
	h.snap = s
	return s
}

func (h *Handler) read(ctx context.Context, s *snapshot) error {
	db := h.cfg.DB
	var err error
	if s.outbox, s.parked, err = network.QueueGauges(ctx, db); err != nil {
		return err
	}
	if s.logins, err = oplog.CountOperations(ctx, db, jukinet.OpAccessLogin, jukinet.OpAccessLoginFailure, jukinet.OpAccessLockout); err != nil {
		return err
	}
	if h.cfg.Refusals != nil {
		if s.refusals, err = h.cfg.Refusals(ctx); err != nil {
			return err
		}
	}
	l := oplog.NewSQLLog(db)
	if s.logSize, err = l.Size(ctx); err != nil {
		return err
	}
	if s.cosigned, s.hasCosigned, err = l.LatestCheckpoint(ctx, true); err != nil {
		return err
	}
	if s.pending, err = l.PendingCheckpoints(ctx); err != nil {
		return err
	}
	s.dbSize, err = db.Size(ctx)
	return err
}

// witnessLag is how long records have waited for a cosigned checkpoint
// (0 when every record is covered). Without any cosigned checkpoint the
// wait counts from the handler's start.
func (h *Handler) witnessLag(s *snapshot) time.Duration {
	if s.hasCosigned && s.cosigned.Size >= s.logSize {
		return 0
	}
	since := h.started
	if s.hasCosigned {
		since = time.UnixMicro(s.cosigned.CreatedAt)
	}
	return max(0, s.at.Sub(since))
}

var (
	descOutboxPending   = prometheus.NewDesc("jukinet_outbox_pending", "Outbox messages waiting for delivery, per peer.", []string{"peer"}, nil)
	descDeadLetters     = prometheus.NewDesc("jukinet_outbox_dead_letters", "Outbox messages the peer rejected (never retried), per peer.", []string{"peer"}, nil)
	descOldestPending   = prometheus.NewDesc("jukinet_outbox_oldest_pending_seconds", "Age of the oldest pending outbox message, per peer.", []string{"peer"}, nil)
	descInboxParked     = prometheus.NewDesc("jukinet_inbox_parked", "Received messages waiting for an earlier version of the same person.", nil, nil)
	descRefusals        = prometheus.NewDesc("jukinet_refusals_total", "Refused requests and messages, per peer and reason code.", []string{"peer", "reason"}, nil)
	descLogins          = prometheus.NewDesc("jukinet_logins_total", "Operator logins (operation log, since it began).", nil, nil)
	descLoginFailures   = prometheus.NewDesc("jukinet_login_failures_total", "Failed operator logins (operation log, since it began).", nil, nil)
	descLockouts        = prometheus.NewDesc("jukinet_login_lockouts_total", "照合ID locked after repeated failures (operation log, since it began).", nil, nil)
	descOplogRecords    = prometheus.NewDesc("jukinet_oplog_records", "Records in the operation log.", nil, nil)
	descUnwitnessed     = prometheus.NewDesc("jukinet_oplog_unwitnessed_records", "Records after the last cosigned checkpoint.", nil, nil)
	descCheckpointAge   = prometheus.NewDesc("jukinet_oplog_cosigned_checkpoint_age_seconds", "Age of the last cosigned checkpoint (absent before the first).", nil, nil)
	descWitnessLag      = prometheus.NewDesc("jukinet_oplog_witness_lag_seconds", "How long records have waited for a cosigned checkpoint (0 when all are covered).", nil, nil)
	descPendingCosign   = prometheus.NewDesc("jukinet_oplog_checkpoints_pending", "Signed checkpoints waiting for the witness's cosignature.", nil, nil)
	descDBSize          = prometheus.NewDesc("jukinet_db_size_bytes", "Size of the node's database (SQLite pages in use, or pg_database_size).", nil, nil)
	descCRLRevoked      = prometheus.NewDesc("jukinet_crl_revoked", "Certificates revoked by the loaded CRL.", nil, nil)
	descCRLNextUpdate   = prometheus.NewDesc("jukinet_crl_next_update_timestamp_seconds", "NextUpdate of the loaded CRL (absent without one).", nil, nil)
	descReadSeconds     = prometheus.NewDesc("jukinet_ops_read_seconds", "How long the last read of the node's state took.", nil, nil)
	descReadErrorsGauge = prometheus.NewDesc("jukinet_ops_read_ok", "1 if the last read of the node's state succeeded, else 0.", nil, nil)
)

// stateCollector turns the snapshot into metrics at scrape time.
type stateCollector struct{ h *Handler }

func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descOutboxPending, descDeadLetters, descOldestPending, descInboxParked,
		descRefusals, descLogins, descLoginFailures, descLockouts, descOplogRecords, descUnwitnessed, descCheckpointAge,
		descWitnessLag, descPendingCosign, descDBSize, descCRLRevoked, descCRLNextUpdate, descReadSeconds, descReadErrorsGauge} {
		ch <- d
	}
}

func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	h := c.h
	s := h.state(context.Background())
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	counter := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, labels...)
	}
	gauge(descReadSeconds, s.took.Seconds())
	if rl := h.cfg.Revocations; rl != nil {
		gauge(descCRLRevoked, float64(rl.Len()))
		if n, next := rl.Number(); n != nil {
			gauge(descCRLNextUpdate, float64(next.Unix()))
		}
	}
	if s.err != nil {
		gauge(descReadErrorsGauge, 0)
		ch <- prometheus.NewInvalidMetric(descReadErrorsGauge, s.err)
		return
	}
	gauge(descReadErrorsGauge, 1)
	for _, d := range s.outbox {
		gauge(descOutboxPending, float64(d.Pending), d.Dest)
		gauge(descDeadLetters, float64(d.Rejected), d.Dest)
		gauge(descOldestPending, d.OldestPending.Seconds(), d.Dest)
	}
	gauge(descInboxParked, float64(s.parked))
	for _, r := range s.refusals {
		counter(descRefusals, float64(r.Count), r.Peer, r.Reason)
	}
	counter(descLogins, float64(s.logins[jukinet.OpAccessLogin]))
	counter(descLoginFailures, float64(s.logins[jukinet.OpAccessLoginFailure]))
	counter(descLockouts, float64(s.logins[jukinet.OpAccessLockout]))
	gauge(descOplogRecords, float64(s.logSize))
	covered := uint64(0)
	if s.hasCosigned {
		covered = s.cosigned.Size
		gauge(descCheckpointAge, s.at.Sub(time.UnixMicro(s.cosigned.CreatedAt)).Seconds())
	}
	gauge(descUnwitnessed, float64(s.logSize-min(s.logSize, covered)))
	gauge(descWitnessLag, h.witnessLag(s).Seconds())
	gauge(descPendingCosign, float64(s.pending))
	gauge(descDBSize, float64(s.dbSize))
}

// serveReady answers 200 when every check passes, else 503, one line per
// check ("ok NAME" or "fail NAME: why").
func (h *Handler) serveReady(w http.ResponseWriter, r *http.Request) {
	var lines []string
	ok := true
	check := func(name string, err error) {
		if err != nil {
			ok = false
			lines = append(lines, fmt.Sprintf("fail %s: %v", name, err))
			return
		}
		lines = append(lines, "ok "+name)
	}
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	check("db", h.cfg.DB.Bookkeeping(store.Status).PingContext(ctx))
	h.lmu.Lock()
	listeners := maps.Clone(h.listeners)
	h.lmu.Unlock()
	for _, name := range slices.Sorted(maps.Keys(listeners)) {
		check("listener "+name, dialListener(ctx, listeners[name]))
	}
	s := h.state(ctx)
	if s.err != nil {
		check("witness", s.err)
	} else if lag := h.witnessLag(s); lag > h.cfg.WitnessOverdue {
		check("witness", fmt.Errorf("%d records have waited %s for a cosigned checkpoint (limit %s)",
			s.logSize-min(s.logSize, s.cosigned.Size), lag.Round(time.Second), h.cfg.WitnessOverdue))
	} else {
		check("witness", nil)
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if !ok {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	fmt.Fprintln(w, strings.Join(lines, "\n"))
}

// dialListener connects to a listener (an unspecified host means this
// machine) and hangs up: the listener accepts connections.
func dialListener(ctx context.Context, addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
		if ip != nil && ip.To4() == nil {
			host = "::1"
		}
	}
	d := net.Dialer{Timeout: 2 * time.Second}
	c, err := d.DialContext(ctx, "tcp", net.JoinHostPort(host, port))
	if err != nil {
		return err
	}
	return c.Close()
}

// slogPrinter adapts a slog.Logger to promhttp's error log.
type slogPrinter struct{ l *slog.Logger }

func (p slogPrinter) Println(v ...any) { p.l.Warn("ops: metrics", "err", fmt.Sprint(v...)) }

// Server is a running ops listener.
type Server struct {
	srv  *http.Server
	addr net.Addr
	done chan struct{}
}

// Listen serves h on addr (plain HTTP: the ops listener belongs on a
// management network or loopback) until Close.
// Errors: KindUnavailable when addr cannot be listened on.
func Listen(addr string, h http.Handler) (*Server, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, jukinet.E("ops.Listen", jukinet.KindUnavailable, jukinet.Field("ops_addr"), err)
	}
	s := &Server{addr: l.Addr(), done: make(chan struct{}),
		srv: &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second,
			WriteTimeout: 30 * time.Second, MaxHeaderBytes: 8 << 10}}
	go func() { // owned by s: Close waits for it
		defer close(s.done)
		s.srv.Serve(l)
	}()
	return s, nil
}

// Addr is the address the ops listener listens on.
func (s *Server) Addr() string { return s.addr.String() }

// Close stops the listener and waits for it.
func (s *Server) Close() error {
	err := s.srv.Close()
	<-s.done
	return err
}
