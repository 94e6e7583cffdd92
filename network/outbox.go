package network

import (
	"context"
	"crypto/ed25519"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"runtime/pprof"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/jukinet/jukinet"
	"github.com/jukinet/jukinet/store"
)

// DefaultOutboxBatch is how many messages the sender puts in one request.
const DefaultOutboxBatch = 1000

// MaxMessageRetries is how many times one message the receiver failed to
// apply ("internal, retry later") is sent again before it becomes a dead
// letter. Backoff paces the retries (0.5 s … about 2 min in all).
const MaxMessageRetries = 8

// ProbeInterval bounds the wait between attempts while a destination is
// unreachable: the sender probes it with one message at least this often, so
// that a queue drains as soon as the peer is back instead of after a backoff
// grown to BackoffMax (G2.2 continuity).
const ProbeInterval = 2 * time.Second

// SenderConfig configures a Sender. Fields without a stated default are required.
type SenderConfig struct {
	DB         *store.DB
	SigningKey ed25519.PrivateKey // signs the envelopes this node creates
	// Addr returns the network address (host:port) of a node, e.g. from the
	// network description.
	Addr func(nodeID string) (string, bool)
	// Client returns the client that reaches node peer (one per peer: its TLS
	// config names the peer, pki.NodeCredentials.ClientTLSConfig).
	Client func(peer string) (*Client, error)
	Batch  int                                        // messages per request; default DefaultOutboxBatch
	Logf   func(format string, args ...any)           // diagnostics; default discards
	Rand   *rand.Rand                                 // jitter; default a PCG seeded from the clock
	Now    func() time.Time                           // default the DB's clock
	Sent   func(dest string, delivered, rejected int) // optional, after each committed batch
	// Observe, if set, gets each settled batch's delivery latency: from
	// sending the request to committing its receipts (ops metrics). It
	// runs on the delivery path: keep it cheap (a histogram observation).
	Observe func(dest string, messages int, took time.Duration)
	// Logger, if set, gets delivery failures as structured lines (peer,
	// reason, kind, attempt) instead of Logf.
	Logger *slog.Logger
	// MaxRetries is how many times a message the receiver failed to apply
	// is sent in all before it becomes a dead letter; default
	// MaxMessageRetries.
	MaxRetries int
}

// Sender delivers a node's outbox (docs/design.md §4): per destination, in seq
// order, in signed batches, one goroutine per destination. It records every
// receipt as evidence in the row, marks the row delivered or rejected (a
// rejected message is not retried: it is the dead-letter list) and backs off
// exponentially with jitter while a destination is unavailable.
type Sender struct {
	cfg  SenderConfig
	self string

	mu    sync.Mutex
	dests map[string]*destRun // the running destination goroutines
	run   context.Context     // Run's context while it runs, else nil
	wg    sync.WaitGroup      // the destination goroutines
	rndMu sync.Mutex          // cfg.Rand is shared by the destinations' goroutines
	// loaded, if set (tests), is called before each load of dest's queue.
	loaded func(dest string)
	// load is loadQuery prepared while Run runs (nil: unprepared): a load
	// per message at a country's rates spent half its time parsing.
	load *sql.Stmt
}

// destRun is what reaches one destination's goroutine.
type destRun struct {
	wake    chan struct{} // a commit queued rows for the destination
	contact chan struct{} // the peer was heard from
}

// backoff is Backoff over the sender's random source. While probing (the
// peer is down) it is bounded by ProbeInterval: once Backoff's ceiling has
// grown past it, the wait is uniform in [ProbeInterval/2, ProbeInterval].
func (s *Sender) backoff(attempt int, probing bool) time.Duration {
	s.rndMu.Lock()
	defer s.rndMu.Unlock()
	if probing && (attempt >= 30 || BackoffBase<<max(attempt, 0) > ProbeInterval) {
		return ProbeInterval/2 + time.Duration(s.cfg.Rand.Int64N(int64(ProbeInterval/2)+1))
	}
	return Backoff(attempt, s.cfg.Rand)
}

// NewSender checks cfg and returns a Sender; Run starts it.
func NewSender(cfg SenderConfig) (*Sender, error) {
	const op = "network.NewSender"
	switch {
	case cfg.DB == nil:
		return nil, jukinet.Errorf(op, jukinet.KindInvalid, "DB", "required")
	case len(cfg.SigningKey) != ed25519.PrivateKeySize:
		return nil, jukinet.Errorf(op, jukinet.KindInvalid, "SigningKey", "not an Ed25519 private key")
	case cfg.Addr == nil || cfg.Client == nil:
		return nil, jukinet.Errorf(op, jukinet.KindInvalid, "", "Addr and Client are required")
	}
	if cfg.Batch <= 0 || cfg.Batch > MaxBatchEnvelopes {
		cfg.Batch = DefaultOutboxBatch
	}
	if cfg.Logf == nil {
		cfg.Logf = func(string, ...any) {}
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 0x6a756b69))
	}
	if cfg.Now == nil {
		cfg.Now = cfg.DB.Now
	}
	if cfg.MaxRetries <= 0 {
		cfg.MaxRetries = MaxMessageRetries
	}
	return &Sender{cfg: cfg, self: cfg.DB.Node(), dests: map[string]*destRun{}}, nil
}

// Contact tells the sender that peer was just heard from (it sent this node
// a batch): a backoff towards it is cut short and the next attempt is at once.
func (s *Sender) Contact(peer string) {
	s.mu.Lock()
	r := s.dests[peer]
	s.mu.Unlock()
	if r != nil {
		signal(r.contact)
	}
}

// signal makes a pending signal on c (buffered, 1) without blocking.
func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// queued is told by the store where a commit's new rows go: it wakes those
// destinations' goroutines, or starts them, and no other.
func (s *Sender) queued(dests []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, d := range dests {
		if r := s.dests[d]; r != nil {
			signal(r.wake)
		} else {
			s.startLocked(d)
		}
	}
}

// startLocked starts dest's goroutine unless it runs (s.mu held).
func (s *Sender) startLocked(dest string) {
	if s.run == nil || s.run.Err() != nil || s.dests[dest] != nil {
		return
	}
	r := &destRun{wake: make(chan struct{}, 1), contact: make(chan struct{}, 1)}
	s.dests[dest] = r
	s.wg.Add(1)
	go func(ctx context.Context) {
		defer s.wg.Done()
		// Run's profile labels, not those of the commit that started it.
		pprof.SetGoroutineLabels(ctx)
		s.runDest(ctx, dest, r)
	}(s.run)
}

// leave ends dest's goroutine unless a commit queued rows for it since it
// last looked (it reports whether it may leave): checked under s.mu, as
// queued signals, so a commit either wakes this goroutine or starts another.
func (s *Sender) leave(dest string, r *destRun) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case <-r.wake:
		return false
	default:
	}
	if s.dests[dest] == r {
		delete(s.dests, dest)
	}
	return true
}

// ContactInbox returns in with every delivery from a peer reported to s
// (Sender.Contact) first: hearing from a peer is the surest sign it is back.
func ContactInbox(in Inbox, s *Sender) Inbox { return contactInbox{in, s} }

type contactInbox struct {
	Inbox
	s *Sender
}

func (c contactInbox) Deliver(ctx context.Context, from string, envs []*Envelope) ([]Outcome, error) {
	c.s.Contact(from)
	return c.Inbox.Deliver(ctx, from, envs)
}

// Run delivers until ctx is done, then waits for its per-destination
// goroutines and returns nil (or the error that stopped it).
//
// A commit that queues rows wakes the goroutine of their destination only
// (DB.OnQueue), or starts it; the queues are listed at the start and every
// 5 s, for rows that wait for a retry time or were queued by another
// process.
func (s *Sender) Run(ctx context.Context) error {
	if st, err := s.cfg.DB.Bookkeeping(store.Delivery).PrepareContext(ctx, loadQuery); err == nil {
		s.load = st
		defer st.Close() // after wg.Wait below: no load runs any more
	}
	s.mu.Lock()
	s.run = ctx
	s.mu.Unlock()
	remove := s.cfg.DB.OnQueue(s.queued)
	defer func() {
		remove()
		s.mu.Lock()
		s.run = nil // no goroutine starts after this: wg.Wait may begin
		s.mu.Unlock()
		s.wg.Wait()
	}()
	t := time.NewTicker(5 * time.Second)
	defer t.Stop()
	for {
		dests, err := s.pendingDestinations(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			s.cfg.Logf("outbox: listing destinations: %v", err)
		}
		s.mu.Lock()
		for _, d := range dests {
			s.startLocked(d)
		}
		s.mu.Unlock()
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

func (s *Sender) pendingDestinations(ctx context.Context) ([]string, error) {
	rows, err := s.cfg.DB.Bookkeeping(store.Delivery).QueryContext(ctx, `SELECT DISTINCT dest FROM outbox WHERE state = 'pending'`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var d string
		if err := rows.Scan(&d); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// outRow is one pending outbox row.
type outRow struct {
	seq      int64
	id       string
	kind     string
	key      string
	version  int64
	body     []byte
	envelope []byte
	created  int64
	attempts int64
	retries  int64 // times the receiver failed to apply it
}

// runDest delivers dest's queue until it is empty or ctx ends; a commit
// that queues rows for dest wakes it (r.wake), or starts it again.
//
// The receipts of one batch are recorded while the next batch is sent: the
// receiver applies batch k+1 while the sender writes batch k's receipts,
// instead of waiting for them. Order is kept — batch k+1 leaves only after
// batch k was accepted by the receiver — and a batch whose recording fails
// stays pending and is sent again (the receiver answers "duplicate").
//
// The queue is loaded again only when rows may be there that it has not
// seen: a full batch was loaded, a commit queued rows since the last load,
// a recording failed or a retry time came (at a country's rates a batch is
// one message, and a load per message and commit was most of the sender).
//
// While dest is unreachable (or answers 5xx) the sender probes it with one
// message at most every ProbeInterval; the full batches resume after the
// first answer. A delivery from dest (Contact) ends a wait at once.
func (s *Sender) runDest(ctx context.Context, dest string, r *destRun) {
	st := destState{s: s, dest: dest, r: r, more: true}
	defer st.finish()
	for ctx.Err() == nil {
		select {
		case <-r.wake:
			st.more = true
		default:
		}
		if !st.more {
			if st.idle(ctx) {
				return
			}
			continue
		}
		limit := s.cfg.Batch
		if st.probing {
			limit = 1
		}
		if s.loaded != nil {
			s.loaded(dest)
		}
		batch, loadedAt, err := s.loadPending(ctx, dest, st.after, limit)
		if err != nil {
			if ctx.Err() == nil {
				s.cfg.Logf("outbox %s: loading: %v", dest, err)
				sleep(ctx, s.backoff(st.attempt, false))
				st.attempt++
			}
			continue
		}
		st.more = len(batch) == limit
		if len(batch) == 0 {
			continue
		}
		start := time.Now()
		sent, err := s.send(ctx, dest, batch, loadedAt)
		if rerr := st.finish(); rerr != nil && err == nil && ctx.Err() == nil {
			// The previous batch was delivered but not recorded: its rows
			// are pending again; this batch is recorded below and the other
			// one sent again after it (a duplicate to the receiver).
			s.cfg.Logf("outbox %s: recording receipts: %v", dest, rerr)
		}
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			st.more = true
			st.retry(ctx, err, batch)
			continue
		}
		st.attempt, st.probing = 0, false
		done := make(chan error, 1)
		st.recording, st.sent, st.after = done, sent, batch[len(batch)-1].seq
		go func() {
			err := s.record(ctx, sent)
			if err == nil && s.cfg.Observe != nil {
				s.cfg.Observe(dest, len(sent.batch), time.Since(start))
			}
			done <- err
		}()
	}
}

// destState is a destination goroutine's state between loads.
type destState struct {
	s       *Sender
	dest    string
	r       *destRun
	attempt int
	probing bool
	more    bool  // rows may be pending after seq after that were not loaded
	after   int64 // rows up to this seq are being recorded: not loaded again
	retryAt int64 // the earliest retry time a recording set (unix µs), 0 if none
	// recording is the recording in progress (of sent), nil if none.
	recording chan error
	sent      *sentBatch
}

// recorded takes the end of the recording in progress.
func (st *destState) recorded(err error) error {
	if err != nil {
		st.more = true // its rows are pending again
	} else if t := st.sent.retryAt; t > 0 && (st.retryAt == 0 || t < st.retryAt) {
		st.retryAt = t
	}
	st.recording, st.sent, st.after = nil, nil, 0
	return err
}

// finish waits for the recording in progress.
func (st *destState) finish() error {
	if st.recording == nil {
		return nil
	}
	return st.recorded(<-st.recording)
}

// idle waits, with nothing known to load, for the recording in progress, a
// commit for the destination or a retry time; it reports that the
// goroutine may end (nothing of these is left).
func (st *destState) idle(ctx context.Context) bool {
	var timer <-chan time.Time
	switch {
	case st.recording != nil:
	case st.retryAt > 0:
		t := time.NewTimer(time.Duration(st.retryAt-st.s.cfg.Now().UnixMicro()) * time.Microsecond)
		defer t.Stop()
		timer = t.C
	default:
		return st.s.leave(st.dest, st.r)
	}
	select {
	case <-ctx.Done():
	case <-st.r.wake:
		st.more = true
	case err := <-st.recording:
		if st.recorded(err) != nil && ctx.Err() == nil {
			st.retry(ctx, err, nil)
		}
	case <-timer:
		st.retryAt, st.more = 0, true
	}
	return false
}

// retry logs a failed attempt, notes it on the batch's rows (if any) and
// waits the backoff, or less if the peer is heard from.
func (st *destState) retry(ctx context.Context, err error, batch []outRow) {
	s := st.s
	st.probing = jukinet.ErrorKind(err) == jukinet.KindUnavailable
	wait := s.backoff(st.attempt, st.probing)
	st.attempt++
	if s.cfg.Logger != nil {
		s.cfg.Logger.Warn("delivery failed", "peer", st.dest, "reason", ReasonOf(err).String(), "kind", jukinet.ErrorKind(err).String(),
			"attempt", st.attempt, "retry_in", wait.Round(time.Millisecond).String(), "err", err)
	} else {
		s.cfg.Logf("outbox %s: %v (retry in %s)", st.dest, err, wait.Round(time.Millisecond))
	}
	if batch != nil {
		s.recordFailure(ctx, st.dest, batch, err, wait)
	}
	if waitContact(ctx, wait, st.r.contact) {
		st.attempt = 0
	}
}

// waitContact waits d, or less if contact signals; it reports whether it did.
func waitContact(ctx context.Context, d time.Duration, contact <-chan struct{}) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	case <-contact:
		return true
	}
	return false
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// loadQuery reads dest's pending rows by the index outbox_pending. The
// unary plus keeps "seq > after" off the primary key: on statistics taken
// while one destination had all the pending rows (a seed), SQLite chose
// the key's range and stepped through every row sent since the batch being
// recorded — with after 0 most of the time, the whole outbox at each load.
const loadQuery = `SELECT seq, id, kind, ordering_key, version, body, envelope, created_at, attempts, retries
	FROM outbox WHERE dest = $1 AND state = 'pending' AND +seq > $2 AND retry_at <= $3 ORDER BY seq LIMIT $4`

// loadPending returns up to limit first pending rows of dest after seq
// after, leaving out the messages waiting for their retry time (retry_at
// after now, which it returns).
func (s *Sender) loadPending(ctx context.Context, dest string, after int64, limit int) ([]outRow, int64, error) {
	now := s.cfg.Now().UnixMicro()
	var rows *sql.Rows
	var err error
	if s.load != nil {
		rows, err = s.load.QueryContext(ctx, dest, after, now, limit)
	} else {
		rows, err = s.cfg.DB.Bookkeeping(store.Delivery).QueryContext(ctx, loadQuery, dest, after, now, limit)
	}
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var out []outRow
	for rows.Next() {
		var r outRow
		if err := rows.Scan(&r.seq, &r.id, &r.kind, &r.key, &r.version, &r.body, &r.envelope, &r.created, &r.attempts, &r.retries); err != nil {
			return nil, 0, err
		}
		out = append(out, r)
	}
	return out, now, rows.Err()
}

// envelopeOf builds the envelope of an outbox row: the row's own message,
// or, for a relay, an identity.relay envelope whose body is the original
// signed envelope (法30条の7: the creator's signature travels inside).
func (s *Sender) envelopeOf(r *outRow, dest string) (*Envelope, error) {
	kind, ok := ParseKind(r.kind)
	if !ok {
		return nil, jukinet.Errorf("network.Sender", jukinet.KindInvalid, "kind", "unknown message kind %q", r.kind)
	}
	id, err := uuid.Parse(r.id)
	if err != nil {
		return nil, jukinet.E("network.Sender", jukinet.KindInvalid, jukinet.Field("id"), err)
	}
	body := r.body
	if r.envelope != nil {
		body = r.envelope
	}
	e := &Envelope{ID: id, Kind: kind, From: s.self, To: dest, CreatedAt: r.created,
		OrderingKey: r.key, Version: uint64(r.version), Body: body}
	if err := e.validateContent("network.Sender"); err != nil {
		return nil, err
	}
	return e, nil
}

// sentBatch is a batch that reached its destination, with the receipts.
type sentBatch struct {
	dest     string
	loadedAt int64 // when the batch was loaded (loadPending)
	batch    []outRow
	bad      []int    // rows that could not become an envelope
	sendRows []outRow // the rows sent, in order
	receipts []*Receipt
	evidence []byte // the receipt list as the receiver answered
	retryAt  int64  // the earliest retry time record set on a row (unix µs), 0 if none
}

// send signs and sends batch to dest and returns its receipts (nothing is
// recorded yet: record does that).
func (s *Sender) send(ctx context.Context, dest string, batch []outRow, loadedAt int64) (*sentBatch, error) {
	addr, ok := s.cfg.Addr(dest)
	if !ok {
		return nil, jukinet.Errorf("network.Sender", jukinet.KindUnavailable, "dest", "node %s has no network address in the description", dest)
	}
	envs := make([]*Envelope, 0, len(batch))
	var bad []int // rows that cannot become an envelope: rejected locally
	var sendRows []outRow
	for i := range batch {
		e, err := s.envelopeOf(&batch[i], dest)
		if err != nil {
			bad = append(bad, i)
			continue
		}
		envs = append(envs, e)
		sendRows = append(sendRows, batch[i])
	}
	sb := &sentBatch{dest: dest, loadedAt: loadedAt, batch: batch, bad: bad, sendRows: sendRows}
	if len(envs) > 0 {
		if err := SignBatch(s.cfg.SigningKey, s.self, envs); err != nil {
			return nil, err
		}
		client, err := s.cfg.Client(dest)
		if err != nil {
			return nil, err
		}
		if sb.receipts, sb.evidence, err = client.SendBatch(ctx, dest, addr, &Batch{Sender: s.self, Envelopes: envs}); err != nil {
			return nil, err
		}
	}
	return sb, nil
}

// record settles a sent batch's rows and keeps its receipts, in one
// transaction. A nil error means the batch is settled: each row delivered,
// rejected (a dead letter), or — the receiver failed to apply it — left
// pending with a retry time, alone (MaxMessageRetries, then a dead letter).
func (s *Sender) record(ctx context.Context, sb *sentBatch) error {
	var delivered, rejected int
	err := s.cfg.DB.Update(NetworkContext(ctx), store.Op{Operation: jukinet.OpNetworkDeliveryResult,
		Detail: fmt.Sprintf("batch of %d to %s", len(sb.batch), sb.dest)}, func(tx *store.Tx) error {
		delivered, rejected, sb.retryAt = 0, 0, 0
		tx.ExpectLogs(len(sb.batch)) // a record per message
		now := tx.NowMicro()
		for _, i := range sb.bad {
			r := &sb.batch[i]
			if _, err := tx.Exec(`UPDATE outbox SET state = 'rejected', last_error = $1, done_at = $2 WHERE seq = $3`,
				"malformed: cannot build an envelope", now, r.seq); err != nil {
				return err
			}
			tx.Log(jukinet.OpNetworkDeliveryResult, "", "rejected", r.kind+" "+r.id+" to "+sb.dest+" malformed")
			rejected++
		}
		if len(sb.receipts) == 0 {
			return nil
		}
		// The receipt list as the receiver signed it, once for the batch
		// (evidence: StoredReceipt); a rejected row also keeps its own.
		first, last := sb.sendRows[0].seq, sb.sendRows[len(sb.sendRows)-1].seq
		if _, err := tx.Exec(`INSERT INTO outbox_receipts (dest, first_seq, last_seq, received_at, receipts) VALUES ($1,$2,$3,$4,$5)`,
			sb.dest, first, last, now, sb.evidence); err != nil {
			return err
		}
		for i, rc := range sb.receipts {
			if rc.Status != StatusRejected {
				delivered++
				tx.Log(jukinet.OpNetworkDeliveryResult, "", rc.Status.String(), sb.sendRows[i].kind+" "+sb.sendRows[i].id+" to "+sb.dest)
				continue
			}
			dead, at, err := s.settleRefused(tx, sb.dest, &sb.sendRows[i], rc, now)
			if err != nil {
				return err
			}
			if dead {
				rejected++
			}
			if at > 0 && (sb.retryAt == 0 || at < sb.retryAt) {
				sb.retryAt = at
			}
		}
		return settleDelivered(tx, sb.dest, first, last, sb.loadedAt, delivered, now)
	})
	if err != nil {
		return jukinet.E("network.Sender", jukinet.KindInternal, "recording receipts", err)
	}
	if s.cfg.Sent != nil {
		s.cfg.Sent(sb.dest, delivered, rejected)
	}
	return nil
}

// settleRefused settles a row whose receipt is a rejection: a dead letter
// keeping its receipt, unless the receiver only failed to apply it
// ("internal, retry later") and it has retries left — then it waits for its
// retry time alone, the rows after it go on. It reports a dead letter, or
// the retry time.
func (s *Sender) settleRefused(tx *store.Tx, dest string, r *outRow, rc *Receipt, now int64) (dead bool, retryAt int64, err error) {
	lastErr := rc.Reason.String()
	if rc.Detail != "" {
		lastErr += ": " + rc.Detail
	}
	d := r.kind + " " + r.id + " to " + dest
	if rc.Reason == ReasonInternal && r.retries+1 < int64(s.cfg.MaxRetries) {
		// Backoff, at least 100 ms: a retry time after the batch's load
		// time keeps settleDelivered's count exact.
		wait := max(s.backoff(int(r.retries), false), 100*time.Millisecond)
		at := now + wait.Microseconds()
		if _, err := tx.Exec(`UPDATE outbox SET retries = retries + 1, retry_at = $1, last_error = $2, attempts = attempts + 1 WHERE seq = $3`,
			at, lastErr, r.seq); err != nil {
			return false, 0, err
		}
		tx.Log(jukinet.OpNetworkDeliveryResult, "", "retry", fmt.Sprintf("%s: the receiver failed to apply it (retry %d of %d)", d, r.retries+1, s.cfg.MaxRetries-1))
		return false, at, nil
	}
	if rc.Reason == ReasonInternal {
		lastErr += fmt.Sprintf(" (given up after %d attempts)", s.cfg.MaxRetries)
	}
	ev, err := EncodeReceipt(rc)
	if err != nil {
		return false, 0, err
	}
	if _, err := tx.Exec(`UPDATE outbox SET state = 'rejected', last_error = $1, done_at = $2, receipt = $3, attempts = attempts + 1 WHERE seq = $4`,
		lastErr, now, ev, r.seq); err != nil {
		return false, 0, err
	}
	tx.Log(jukinet.OpNetworkDeliveryResult, "", rc.Status.String(), d+" "+rc.Reason.String())
	return true, 0, nil
}

// settleDelivered marks the batch's accepted rows delivered in one statement
// (a row-by-row UPDATE was most of recording a batch's receipts): the rows
// of dest still pending between first and last are exactly those, since
// the rejected ones were settled before and the batch was the first pending
// rows of dest in seq order. If any other row turns up in the range (a
// PostgreSQL transaction that took a lower seq and committed after the
// batch was loaded), the count differs and the transaction is undone: the
// batch is sent again, and the receiver's deduplication makes that harmless.
func settleDelivered(tx *store.Tx, dest string, first, last, loadedAt int64, want int, now int64) error {
	if want == 0 {
		return nil
	}
	res, err := tx.Exec(`UPDATE outbox SET state = 'delivered', last_error = '', done_at = $1, attempts = attempts + 1
		WHERE dest = $2 AND state = 'pending' AND seq BETWEEN $3 AND $4 AND retry_at <= $5`, now, dest, first, last, loadedAt)
	if err != nil {
		return err
	}
	if got, err := res.RowsAffected(); err != nil || got != int64(want) {
		return jukinet.Errorf("network.Sender", jukinet.KindConflict, "outbox", "%d rows pending in seq %d..%d to %s, the batch delivered %d: sending again", got, first, last, dest, want)
	}
	return nil
}

// StoredReceipt returns the receipt the receiver signed for the outbox
// message id (evidence that it was delivered or refused), from its outbox
// row or from its batch's receipt list; KindNotFound if it is not settled.
func StoredReceipt(ctx context.Context, db *store.DB, id string) (*Receipt, error) {
	const op = "network.StoredReceipt"
	var dest, state string
	var seq int64
	var own []byte
	err := db.Bookkeeping(store.Delivery).QueryRowContext(ctx, `SELECT dest, seq, state, receipt FROM outbox WHERE id = $1`, id).Scan(&dest, &seq, &state, &own)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, jukinet.Errorf(op, jukinet.KindNotFound, "id", "no outbox message %s", id)
	}
	if err != nil {
		return nil, jukinet.E(op, jukinet.KindInternal, err)
	}
	if own != nil {
		return DecodeReceipt(own)
	}
	if state == "rejected" {
		return nil, jukinet.Errorf(op, jukinet.KindNotFound, "id", "%s was refused before it was sent: there is no receipt", id)
	}
	mid, err := uuid.Parse(id)
	if err != nil {
		return nil, jukinet.E(op, jukinet.KindInvalid, jukinet.Field("id"), err)
	}
	rows, err := db.Bookkeeping(store.Delivery).QueryContext(ctx, `SELECT receipts FROM outbox_receipts WHERE dest = $1 AND first_seq <= $2 AND last_seq >= $2 ORDER BY id DESC`, dest, seq)
	if err != nil {
		return nil, jukinet.E(op, jukinet.KindInternal, err)
	}
	defer rows.Close()
	for rows.Next() {
		var b []byte
		if err := rows.Scan(&b); err != nil {
			return nil, jukinet.E(op, jukinet.KindInternal, err)
		}
		rs, err := DecodeReceiptAnswer(b)
		if err != nil {
			return nil, jukinet.E(op, jukinet.KindInternal, "a stored receipt list does not decode", err)
		}
		for _, r := range rs {
			if r.MessageID == mid {
				return r, nil
			}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, jukinet.E(op, jukinet.KindInternal, err)
	}
	return nil, jukinet.Errorf(op, jukinet.KindNotFound, "id", "no receipt for %s (not delivered yet)", id)
}

// recordFailure notes a failed attempt on the batch's rows (attempts,
// last_error, next_attempt_at) for the status page; the rows stay pending.
func (s *Sender) recordFailure(ctx context.Context, dest string, batch []outRow, cause error, wait time.Duration) {
	msg := jukinet.Clip(cause.Error(), 500)
	next := s.cfg.Now().Add(wait).UnixMicro()
	err := s.cfg.DB.Update(NetworkContext(ctx), store.Op{Operation: jukinet.OpNetworkDeliveryResult,
		Detail: fmt.Sprintf("%d messages to %s not delivered: %s", len(batch), dest, jukinet.ErrorKind(cause))}, func(tx *store.Tx) error {
		_, err := tx.Exec(`UPDATE outbox SET attempts = attempts + 1, last_error = $1, next_attempt_at = $2
			WHERE dest = $3 AND state = 'pending' AND seq BETWEEN $4 AND $5`, msg, next, dest, batch[0].seq, batch[len(batch)-1].seq)
		return err
	})
	if err != nil && ctx.Err() == nil {
		s.cfg.Logf("outbox %s: recording the failure: %v", dest, err)
	}
}

// StatusReport is the state of a node's queues, for the admin console.
type StatusReport struct {
	Outbox       []DestStatus `json:"outbox"`        // per destination with pending or rejected messages
	Rejected     int          `json:"rejected"`      // the dead-letter list's length
	InboxParked  int          `json:"inbox_parked"`  // received messages waiting for an earlier version
	InboxTotal   int          `json:"inbox_total"`   // messages ever received
	LastReceipts []ReceiptRow `json:"last_receipts"` // the most recent settled outbox rows
	// Alerts are the dead letters of the last AlertWindow, newest first (at
	// most 20): messages a receiver refused for good, or failed to apply
	// MaxMessageRetries times. Each needs an operator's look.
	Alerts []ReceiptRow `json:"alerts"`
	// Retrying counts pending messages a receiver failed to apply, waiting
	// for their retry time.
	Retrying int `json:"retrying"`
}

// AlertWindow is how long a dead letter stays among the status alerts.
const AlertWindow = 7 * 24 * time.Hour

// DestStatus is the outbox of one destination.
type DestStatus struct {
	Dest          string        `json:"dest"`
	Pending       int           `json:"pending"`
	Rejected      int           `json:"rejected"`
	OldestPending time.Duration `json:"oldest_pending_ns"` // age of the oldest pending message
	LastError     string        `json:"last_error,omitempty"`
}

// ReceiptRow is a settled outbox message.
type ReceiptRow struct {
	ID     string `json:"id"`
	Kind   string `json:"kind"`
	Dest   string `json:"dest"`
	State  string `json:"state"`
	Error  string `json:"error,omitempty"`
	DoneAt int64  `json:"done_at"` // unix microseconds
}

// QueueStatus reports db's queues. It reads only queue metadata, no personal data.
func QueueStatus(ctx context.Context, db *store.DB) (StatusReport, error) {
	const op = "network.QueueStatus"
	var rep StatusReport
	q := db.Bookkeeping(store.Delivery)
	now := db.Now().UnixMicro()
	rows, err := q.QueryContext(ctx, `SELECT dest,
		SUM(CASE WHEN state = 'pending' THEN 1 ELSE 0 END),
		SUM(CASE WHEN state = 'rejected' THEN 1 ELSE 0 END),
		MIN(CASE WHEN state = 'pending' THEN created_at END)
		FROM outbox WHERE state <> 'delivered' GROUP BY dest ORDER BY dest`)
	if err != nil {
		return rep, jukinet.E(op, jukinet.KindInternal, err)
	}
	for rows.Next() {
		var d DestStatus
		var oldest sql.NullInt64
		if err := rows.Scan(&d.Dest, &d.Pending, &d.Rejected, &oldest); err != nil {
			rows.Close()
			return rep, jukinet.E(op, jukinet.KindInternal, err)
		}
		if oldest.Valid {
			d.OldestPending = time.Duration(now-oldest.Int64) * time.Microsecond
		}
		rep.Rejected += d.Rejected
		rep.Outbox = append(rep.Outbox, d)
	}
	rows.Close()
	for i := range rep.Outbox {
		d := &rep.Outbox[i]
		if d.Pending == 0 {
			continue
		}
		if err := q.QueryRowContext(ctx, `SELECT last_error FROM outbox WHERE dest = $1 AND state = 'pending' ORDER BY seq LIMIT 1`, d.Dest).Scan(&d.LastError); err != nil {
			return rep, jukinet.E(op, jukinet.KindInternal, err)
		}
	}
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(CASE WHEN state = 'parked' THEN 1 ELSE 0 END), 0) FROM inbox`).Scan(&rep.InboxTotal, &rep.InboxParked); err != nil {
		return rep, jukinet.E(op, jukinet.KindInternal, err)
	}
	rep.LastReceipts, err = settled(ctx, db, `state <> 'pending'`, 20)
	if err != nil {
		return rep, jukinet.E(op, jukinet.KindInternal, err)
	}
	rep.Alerts, err = settled(ctx, db, `state = 'rejected' AND done_at >= $1`, 20, now-AlertWindow.Microseconds())
	if err != nil {
		return rep, jukinet.E(op, jukinet.KindInternal, err)
	}
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM outbox WHERE state = 'pending' AND retries > 0`).Scan(&rep.Retrying); err != nil {
		return rep, jukinet.E(op, jukinet.KindInternal, err)
	}
	return rep, nil
}

// DeadLetters returns up to limit rejected outbox messages, newest first:
// messages the receiver refused, which are never retried.
func DeadLetters(ctx context.Context, db *store.DB, limit int) ([]ReceiptRow, error) {
	r, err := settled(ctx, db, `state = 'rejected'`, limit)
	if err != nil {
		return nil, jukinet.E("network.DeadLetters", jukinet.KindInternal, err)
	}
	return r, nil
}

// Parked returns up to limit parked inbox messages (ID, kind, sender, key, version).
func Parked(ctx context.Context, db *store.DB, limit int) ([]ParkedRow, error) {
	rows, err := db.Bookkeeping(store.Delivery).QueryContext(ctx, `SELECT message_id, kind, sender, ordering_key, version, received_at FROM inbox
		WHERE state = 'parked' ORDER BY ordering_key, version LIMIT $1`, limit)
	if err != nil {
		return nil, jukinet.E("network.Parked", jukinet.KindInternal, err)
	}
	defer rows.Close()
	var out []ParkedRow
	for rows.Next() {
		var p ParkedRow
		if err := rows.Scan(&p.ID, &p.Kind, &p.Sender, &p.OrderingKey, &p.Version, &p.ReceivedAt); err != nil {
			return nil, jukinet.E("network.Parked", jukinet.KindInternal, err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// ParkedRow is a received message waiting for an earlier version of its key.
type ParkedRow struct {
	ID          string `json:"id"`
	Kind        string `json:"kind"`
	Sender      string `json:"sender"`
	OrderingKey string `json:"ordering_key"`
	Version     int64  `json:"version"`
	ReceivedAt  int64  `json:"received_at"`
}

// settled returns up to limit outbox rows matching where (its parameters
// args are $1…), newest first.
func settled(ctx context.Context, db *store.DB, where string, limit int, args ...any) ([]ReceiptRow, error) {
	if limit <= 0 {
		limit = 100
	}
	rows, err := db.Bookkeeping(store.Delivery).QueryContext(ctx, `SELECT id, kind, dest, state, last_error, done_at FROM outbox WHERE `+where+
		fmt.Sprintf(` ORDER BY done_at DESC, seq DESC LIMIT $%d`, len(args)+1), append(args, limit)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ReceiptRow
	for rows.Next() {
		var r ReceiptRow
		if err := rows.Scan(&r.ID, &r.Kind, &r.Dest, &r.State, &r.Error, &r.DoneAt); err != nil {
			return nil, err
		}
		r.Error = strings.TrimSpace(r.Error)
		out = append(out, r)
	}
	return out, rows.Err()
}
