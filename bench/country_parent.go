package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"
)

// shardClient is the parent's end of a shard process: commands go down its
// stdin, answers come back on its stdout, matched by ID.
type shardClient struct {
	cmd     *exec.Cmd
	mu      sync.Mutex
	w       io.WriteCloser
	next    int
	waiting map[int]chan shardAnswer
	dead    error
}

type shardAnswer struct {
	ok   bool
	text string
}

// call sends command (words joined by spaces) and waits for its answer.
func (s *shardClient) call(ctx context.Context, words ...any) (string, error) {
	ch := make(chan shardAnswer, 1)
	s.mu.Lock()
	if s.dead != nil {
		s.mu.Unlock()
		return "", s.dead
	}
	s.next++
	id := s.next
	s.waiting[id] = ch
	line := fmt.Sprint(id)
	for _, w := range words {
		line += " " + fmt.Sprint(w)
	}
	_, err := io.WriteString(s.w, line+"\n")
	s.mu.Unlock()
	if err != nil {
		return "", fmt.Errorf("shard: %w", err)
	}
	select {
	case a := <-ch:
		if !a.ok {
			return "", fmt.Errorf("%s", a.text)
		}
		return a.text, nil
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// callJSON calls and decodes the answer into v.
func (s *shardClient) callJSON(ctx context.Context, v any, words ...any) error {
	text, err := s.call(ctx, words...)
	if err != nil {
		return err
	}
	return json.Unmarshal([]byte(text), v)
}

// read dispatches the answers until the shard's stdout ends.
func (s *shardClient) read(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for sc.Scan() {
		f := strings.SplitN(sc.Text(), " ", 3)
		if len(f) < 3 {
			continue
		}
		id, err := strconv.Atoi(f[0])
		if err != nil {
			continue
		}
		s.mu.Lock()
		ch := s.waiting[id]
		delete(s.waiting, id)
		s.mu.Unlock()
		if ch != nil {
			ch <- shardAnswer{ok: f[1] == "ok", text: f[2]}
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dead = fmt.Errorf("shard process ended")
	for id, ch := range s.waiting {
		ch <- shardAnswer{text: s.dead.Error()}
		delete(s.waiting, id)
	}
}

// kill ends the process if it still runs.
func (s *shardClient) kill() {
	if s.cmd.Process != nil && s.cmd.ProcessState == nil {
		s.w.Close()
		done := make(chan struct{})
		go func() { s.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			s.cmd.Process.Kill()
			<-done
		}
	}
}

// spawn starts the shard processes — this executable again, with
// CountryShardEnv set — each inheriting its nodes' listeners.
func (c *countryRun) spawn(ctx context.Context) error {
	if c.o.Processes == 0 {
		c.o.Processes = max(1, (len(c.topo.Nodes)+499)/500)
	}
	c.r.Processes = c.o.Processes
	c.shardOf = assignShards(c.topo, c.o.Processes)
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	for sh := 0; sh < c.o.Processes; sh++ {
		spec, _ := json.Marshal(shardSpec{Shard: sh, Shards: c.o.Processes, Dir: c.dir, Moves: c.o.Moves, Prefectures: c.o.Prefectures,
			Municipalities: c.o.Municipalities, Seed: c.o.Seed, Today: c.today.String()})
		cmd := exec.Command(exe, "bench", "country")
		cmd.Env = append(os.Environ(), CountryShardEnv+"="+string(spec))
		if os.Getenv("GOGC") == "" {
			// Hundreds of nodes share a shard's heap: collect at twice the
			// live heap, not at the five times a node process allows itself.
			cmd.Env = append(cmd.Env, "GOGC=100")
		}
		cmd.Stderr = os.Stderr
		var files []*os.File
		for i, l := range c.listeners {
			if c.shardOf[i] != sh {
				continue
			}
			f, err := l.(*net.TCPListener).File()
			if err != nil {
				return err
			}
			files = append(files, f)
		}
		cmd.ExtraFiles = files
		s := &shardClient{cmd: cmd, waiting: map[int]chan shardAnswer{}}
		if s.w, err = cmd.StdinPipe(); err != nil {
			return err
		}
		out, err := cmd.StdoutPipe()
		if err != nil {
			return err
		}
		if err := cmd.Start(); err != nil {
			return err
		}
		for _, f := range files {
			f.Close()
		}
		c.shards = append(c.shards, s)
		go s.read(out)
	}
	for i, l := range c.listeners { // the shards hold them now
		l.Close()
		c.listeners[i] = nil
	}
	return ctx.Err()
}

// start waits until every shard has started its nodes, every municipality
// holds resident codes and nothing is pending, and measures what an idle
// node costs.
func (c *countryRun) start(ctx context.Context) error {
	t0 := time.Now()
	c.progress("starting %d nodes in %d processes", len(c.topo.Nodes), len(c.shards))
	deadline := time.Now().Add(30 * time.Minute)
	for _, s := range c.shards {
		for {
			_, err := s.call(ctx, "pools")
			if err == nil {
				break
			}
			if s.dead != nil || time.Now().After(deadline) {
				return fmt.Errorf("starting the nodes: %w", err)
			}
			time.Sleep(500 * time.Millisecond)
		}
	}
	if err := c.waitIdle(ctx, 10*time.Minute); err != nil {
		return err
	}
	now, base, err := c.shardStats(ctx)
	if err != nil {
		return err
	}
	var rss int64
	var files, goroutines int
	for i := range now {
		rss += now[i].RSS - base[i].RSS
		files += now[i].Files - base[i].Files
		goroutines += now[i].Goroutines - base[i].Goroutines
	}
	nodes := float64(len(c.topo.Nodes))
	c.r.IdleNodeMB = float64(rss) / nodes / (1 << 20)
	c.r.IdleNodeFiles = float64(files) / nodes
	c.r.IdleNodeGoroutines = float64(goroutines) / nodes
	c.r.StartS += time.Since(t0).Seconds()
	return nil
}

// shardStats asks every shard for its stats now and as they were before
// its nodes started, in shard order.
func (c *countryRun) shardStats(ctx context.Context) (now, base []shardStats, err error) {
	for _, s := range c.shards {
		var st struct{ Now, Base shardStats }
		if err := s.callJSON(ctx, &st, "stats"); err != nil {
			return nil, nil, err
		}
		now, base = append(now, st.Now), append(base, st.Base)
	}
	return now, base, nil
}

// totalCPU is the CPU time the shards of stats had spent.
func totalCPU(stats []shardStats) float64 {
	total := 0.0
	for _, st := range stats {
		total += st.CPUS
	}
	return total
}

// stop asks every shard to stop its nodes and close its databases, and
// keeps their peak memory and first diagnostics.
func (c *countryRun) stop(ctx context.Context) error {
	for _, s := range c.shards {
		var st shardStats
		if err := s.callJSON(ctx, &st, "quit"); err != nil {
			return err
		}
		c.r.MaxRSSMB += st.MaxRSSMB
		c.r.ShardMemory = append(c.r.ShardMemory, st.Memory)
		c.r.TLSHandshakes += st.TLSFull
		c.r.TLSResumed += st.TLSResumed
		c.r.PeakOpenFiles = max(c.r.PeakOpenFiles, st.Files)
		c.r.NodeMessages = append(c.r.NodeMessages, st.Messages...)
		s.kill()
	}
	return nil
}
