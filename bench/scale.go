package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/krenew/krenew/ccache"
)

// side is one population of daemons in the scale test.
type side struct {
	who    string
	prefix string // principal names start with it
	names  []string
	pids   []int
	pss    []float64 // total MiB per sample
	cpu0   float64
	cpu1   float64
	// Starts that failed and were retried, with the first error: a
	// failure to start is a finding in itself.
	failedStarts int
	firstFailure string
}

// startAttempts bounds the retries of a daemon that failed to start.
const startAttempts = 3

// retry runs start until it succeeds, at most startAttempts times, calling
// clean before each attempt, and returns the errors of failed attempts.
func retry(start func() (int, error), clean func()) (int, []error, error) {
	var failures []error
	for range startAttempts {
		clean()
		pid, err := start()
		if err == nil {
			return pid, failures, nil
		}
		failures = append(failures, err)
	}
	return 0, failures, fmt.Errorf("%d attempts failed, the last: %w", startAttempts, failures[len(failures)-1])
}

// scale is figure 4: N krenew daemons and N kstart krenews for N users
// each, with short tickets, all running at once.
func (b *bench) scale(ctx context.Context, res *results) error {
	n := b.s.Scale
	mine := &side{who: "krenew", prefix: "kr"}
	peer := &side{who: "kstart krenew", prefix: "ks"}
	var all []string
	for i := 1; i <= n; i++ {
		mine.names = append(mine.names, fmt.Sprintf("kr%04d", i))
		peer.names = append(peer.names, fmt.Sprintf("ks%04d", i))
		all = append(all, mine.names[i-1], peer.names[i-1])
	}
	began := time.Now()
	if err := b.addPrincipals(ctx, all); err != nil {
		return err
	}
	// renew-till must outlast the set-up and the window by far.
	renewable := max(time.Hour, 3*b.s.ScaleWindow)
	err := b.pool(ctx, all, func(name string) error {
		return b.kinit(ctx, name, b.cache(name), b.s.ScaleLife, renewable)
	})
	if err != nil {
		return err
	}
	b.logf("%d principals and tickets in %v", 2*n, time.Since(began).Round(time.Millisecond))
	launch := time.Now()
	var mu sync.Mutex
	err = b.pool(ctx, all, func(name string) error {
		s, start := mine, func() (int, error) { return b.startKrenew(ctx, name) }
		if name[:2] == peer.prefix {
			s, start = peer, func() (int, error) { return b.startKstart(ctx, name, 1) }
		}
		pid, failures, err := retry(start, func() { os.Remove(b.pidfile(name)) })
		mu.Lock()
		defer mu.Unlock()
		s.failedStarts += len(failures)
		if len(failures) > 0 && s.firstFailure == "" {
			s.firstFailure = failures[0].Error()
		}
		if err != nil {
			return err
		}
		s.pids = append(s.pids, pid)
		return nil
	})
	defer b.reaper.stop(append(append([]int(nil), mine.pids...), peer.pids...), 10*time.Second)
	if err != nil {
		return err
	}
	t0 := time.Now()
	b.logf("%d daemons launched in %v; watching them for %v", 2*n, t0.Sub(launch).Round(time.Millisecond), b.s.ScaleWindow)
	step := 30 * time.Second
	for i := 0; ; i++ {
		at := t0.Add(time.Duration(i) * step)
		if at.After(t0.Add(b.s.ScaleWindow)) {
			break
		}
		if err := sleep(ctx, time.Until(at)); err != nil {
			return err
		}
		for _, s := range []*side{mine, peer} {
			total, cpu, _ := s.sample()
			s.pss = append(s.pss, total)
			if i == 0 {
				s.cpu0 = cpu
			}
		}
	}
	if err := sleep(ctx, time.Until(t0.Add(b.s.ScaleWindow))); err != nil {
		return err
	}
	t1 := time.Now()
	aliveAt := map[*side]int{}
	for _, s := range []*side{mine, peer} {
		_, s.cpu1, aliveAt[s] = s.sample()
	}
	valid := map[*side]int{}
	for _, s := range []*side{mine, peer} {
		for _, name := range s.names {
			if b.validTicket(name, t1) {
				valid[s]++
			}
		}
	}
	reqs, err := parseKDCLog(filepath.Join(b.dir, "kdc.log"), time.Now())
	if err != nil {
		return fmt.Errorf("reading the KDC log: %v", err)
	}
	// Whole seconds inside the window, as the log has them.
	from, to := t0.Truncate(time.Second).Add(time.Second), t1.Truncate(time.Second)
	st := map[*side]kdcLoad{}
	for _, s := range []*side{mine, peer} {
		st[s] = load(between(reqs, s.prefix, from, to), s.names, from, to)
	}
	k, p := st[mine], st[peer]
	nd := fmt.Sprintf("%d daemons", n)
	res.add(row{Fig: "4", Measure: "total PSS of " + nd + ", sampled every 30 s", Unit: "MiB",
		Krenew: summarize(mine.pss), Peer: summarize(peer.pss), Prec: 1})
	res.add(row{Fig: "4", Measure: "KDC requests per hour (window count extrapolated)", Unit: "req/h",
		Krenew: one(k.perHour), Peer: one(p.perHour), Prec: 0})
	res.add(row{Fig: "4", Measure: "renewals per daemon in the window", Unit: "count",
		Krenew: summarize(k.perDaemon), Peer: summarize(p.perDaemon), Prec: 0})
	res.add(row{Fig: "4", Measure: "most KDC requests in any 1 s", Unit: "req",
		Krenew: one(k.peak1), Peer: one(p.peak1), Prec: 0})
	res.add(row{Fig: "4", Measure: "most KDC requests in any 10 s", Unit: "req",
		Krenew: one(k.peak10), Peer: one(p.peak10), Prec: 0})
	res.add(row{Fig: "4", Measure: "standard deviation of KDC requests per second", Unit: "req/s",
		Krenew: one(k.stddev), Peer: one(p.stddev), Prec: 2})
	res.add(row{Fig: "4", Measure: "CPU time of all " + nd + " over the window (schedstat)", Unit: "s",
		Krenew: one(mine.cpu1 - mine.cpu0), Peer: one(peer.cpu1 - peer.cpu0), Prec: 2})
	res.add(row{Fig: "4", Measure: fmt.Sprintf("daemon starts that failed (then retried) among %d, %d at a time", n, b.s.Parallel), Unit: "count",
		Krenew: one(float64(mine.failedStarts)), Peer: one(float64(peer.failedStarts)), Prec: 0})
	for _, s := range []*side{mine, peer} {
		if s.firstFailure != "" {
			res.note("A %s start failed while starting %d at a time: %s", s.who, b.s.Parallel, s.firstFailure)
		}
	}
	res.add(row{Fig: "4", Measure: "caches holding an unexpired ticket at the end", Unit: "of " + fmt.Sprint(n),
		Krenew: one(float64(valid[mine])), Peer: one(float64(valid[peer])), Prec: 0})
	res.note("Total PSS over the window, first sample → last: krenew %.1f → %.1f MiB (%.2f → %.2f MiB per daemon), kstart krenew %.1f → %.1f MiB.",
		mine.pss[0], mine.pss[len(mine.pss)-1], mine.pss[0]/float64(n), mine.pss[len(mine.pss)-1]/float64(n),
		peer.pss[0], peer.pss[len(peer.pss)-1])
	res.note("Scale: %d principals per side, tickets `-l %v -r %v`, %d daemons per side launched in %v (%d at a time), "+
		"window %v from the end of the launch; alive at the end: krenew %d/%d, kstart krenew %d/%d. "+
		"KDC requests in the window: krenew %d (%d not ISSUE), kstart krenew %d (%d not ISSUE); mean %.2f/s and %.2f/s.",
		n, b.s.ScaleLife, renewable, n, t0.Sub(launch).Round(time.Millisecond), b.s.Parallel,
		t1.Sub(t0).Round(time.Second), aliveAt[mine], n, aliveAt[peer], n,
		k.total, k.failed, p.total, p.failed, k.mean, p.mean)
	return nil
}

// sample sums Pss (MiB) and CPU seconds (schedstat) over the side's live
// daemons.
func (s *side) sample() (pssMiB, cpu float64, alive int) {
	for _, pid := range s.pids {
		ps, err := sampleProc(pid)
		if err != nil {
			continue
		}
		alive++
		pssMiB += float64(ps.PSSKiB) / 1024
		cpu += float64(ps.RunNs) / 1e9
	}
	return pssMiB, cpu, alive
}

func (b *bench) validTicket(name string, at time.Time) bool {
	c, err := ccache.FileStore{Path: b.cache(name)}.Load()
	if err != nil {
		return false
	}
	tgt, ok := c.FindTGT()
	return ok && tgt.EndTime.After(at)
}

// kdcLoad is what one side's daemons asked of the KDC in the window.
type kdcLoad struct {
	total, failed int
	perHour, mean float64
	peak1, peak10 float64
	stddev        float64
	perDaemon     []float64 // renewals (TGS_REQ issued) per principal
}

func load(reqs []kdcRequest, names []string, from, to time.Time) kdcLoad {
	var l kdcLoad
	renewals := map[string]float64{}
	for _, r := range reqs {
		l.total++
		if r.Status != "ISSUE" {
			l.failed++
		} else if r.Kind == "TGS_REQ" {
			renewals[r.Client]++
		}
	}
	counts := perSecond(reqs, from, to)
	l.perHour = float64(l.total) * float64(time.Hour) / float64(to.Truncate(time.Second).Sub(from.Truncate(time.Second)))
	l.peak1, l.peak10, l.stddev = peak(counts, 1), peak(counts, 10), stddev(counts)
	for _, c := range counts {
		l.mean += c / float64(len(counts))
	}
	for _, n := range names {
		l.perDaemon = append(l.perDaemon, renewals[n])
	}
	return l
}

// pool runs fn for every name, b.s.Parallel at a time, and returns the
// first error.
func (b *bench) pool(ctx context.Context, names []string, fn func(string) error) error {
	work := make(chan string)
	errs := make(chan error, len(names))
	var wg sync.WaitGroup
	for range b.s.Parallel {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for name := range work {
				if err := fn(name); err != nil {
					errs <- err
				}
			}
		}()
	}
	for _, n := range names {
		if ctx.Err() != nil || len(errs) > 0 {
			break
		}
		work <- n
	}
	close(work)
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	return ctx.Err()
}
