package main

import (
	"context"
	"fmt"
	"os"
	"syscall"
	"time"
)

// idle is figure 3: one krenew daemon and one kstart krenew -K 60 -b, each
// holding a ticket that needs no renewal during the window, watched side
// by side after each has renewed once; and beside them a fleet of idle
// daemons per side, whose PSS shows what each costs when many run.
func (b *bench) idle(ctx context.Context, res *results) error {
	// krenew renews at half-life minus up to 5 minutes of jitter, kstart
	// when less than 62 minutes are left: neither may fall in the window.
	life := max(10*time.Hour, 3*b.s.Idle)
	renewable := max(shotRenewable, 2*life)
	names := []string{"idle-krenew", "idle-kstart"}
	if err := b.addPrincipals(ctx, names); err != nil {
		return err
	}
	for _, n := range names {
		if err := b.kinit(ctx, n, b.cache(n), life, renewable); err != nil {
			return err
		}
	}
	mine, err := b.startKrenew(ctx, "idle-krenew")
	if err != nil {
		return err
	}
	peer, err := b.startKstart(ctx, "idle-kstart", 60)
	if err != nil {
		return err
	}
	defer b.reaper.stop([]int{mine, peer}, 5*time.Second)
	fl, err := b.startFleet(ctx, b.s.Fleet, life, renewable)
	if fl != nil {
		defer b.reaper.stop(fl.pids(), 10*time.Second)
	}
	if err != nil {
		return err
	}
	sleepers, err := b.startFloorSleepers(b.s.Fleet)
	defer b.reaper.stop(sleepers, 5*time.Second)
	if err != nil {
		return err
	}
	engines, err := b.startEngineFloorFleet(ctx, b.s.Fleet, life, renewable)
	defer b.reaper.stop(engines, 5*time.Second)
	if err != nil {
		return err
	}
	// kstart's krenew renews before it detaches; krenew renews at
	// half-life, so SIGALRM ("renew now") gives it its first renewal.
	if err := b.forceRenewal(ctx, mine, b.cache("idle-krenew")); err != nil {
		return err
	}
	if err := sleep(ctx, 2*time.Second); err != nil {
		return err
	}
	step := min(time.Minute, b.s.Idle)
	steps := int(b.s.Idle / step)
	b.logf("watching pid %d (krenew) and pid %d (kstart krenew) for %v", mine, peer, time.Duration(steps)*step)
	var ks, ps []timedSample
	start := time.Now()
	for i := 0; i <= steps; i++ {
		if err := sleep(ctx, time.Until(start.Add(time.Duration(i)*step))); err != nil {
			return err
		}
		k, err := takeSample(mine, "krenew")
		if err != nil {
			return err
		}
		p, err := takeSample(peer, "kstart krenew")
		if err != nil {
			return err
		}
		ks, ps = append(ks, k), append(ps, p)
	}
	mem := func(s []timedSample, pss bool) summary {
		var xs []float64
		for _, x := range s {
			v := x.RSSKiB
			if pss {
				v = x.PSSKiB
			}
			xs = append(xs, float64(v)/1024)
		}
		return summarize(xs)
	}
	res.add(row{Fig: "3", Measure: "idle daemon RSS after the first renewal, sampled each minute", Unit: "MiB",
		Krenew: mem(ks, false), Peer: mem(ps, false), Prec: 2, Target: "≤ 4 MiB", TargetMax: 4})
	res.add(row{Fig: "3", Measure: "idle daemon PSS, sampled each minute", Unit: "MiB",
		Krenew: mem(ks, true), Peer: mem(ps, true), Prec: 2})
	fleetMine, err := pssOf(fl.mine, "krenew")
	if err != nil {
		return err
	}
	fleetPeer, err := pssOf(fl.peer, "kstart krenew")
	if err != nil {
		return err
	}
	floorRSS, floorPSS, floorAnon, err := sampleMemory(sleepers, "Go floor")
	if err != nil {
		return err
	}
	_, _, mineAnon, err := sampleMemory(fl.mine, "krenew")
	if err != nil {
		return err
	}
	_, enginePSS, engineAnon, err := sampleMemory(engines, "engine floor")
	if err != nil {
		return err
	}
	anon, floorAnonS := summarize(mineAnon), summarize(floorAnon)
	enginePSSS, engineAnonS := summarize(enginePSS), summarize(engineAnon)
	const pssTarget = 1.25
	verdict := "so even the engine alone exceeds the target: no Go krenew built on this engine and runtime can meet it (its anonymous " +
		"memory is private to each process, a lower bound of its PSS however many run)"
	if engineAnonS.Median < pssTarget {
		verdict = "below the target by itself: the engine does not stop it, krenew's own code above the engine does"
	}
	res.add(row{Fig: "3", Measure: fmt.Sprintf("idle daemon PSS with %d daemons per side running, at the end of the window, over the daemons", b.s.Fleet),
		Unit: "MiB", Krenew: fleetMine, Peer: fleetPeer, Prec: 2, Target: "≤ 1.25 MiB", TargetMax: pssTarget,
		Floor: fmt.Sprintf("krenew's engine alone, as an idle daemon must run it (bench/enginefloor idle: read krb5.conf and the cache, "+
			"give start-up's garbage back, renew once on SIGALRM, give the renewal's garbage back; none of the command line, keeper or daemon), "+
			"keeps %.2f MiB of anonymous memory per process (PSS %.2f MiB in a fleet of %d), %s. "+
			"A Go program that does nothing keeps %.2f MiB anonymous (bench/gofloor). What the engine adds to that is the Go runtime's, not "+
			"krenew's data: an idle daemon holds about 0.18 MiB of live objects, but every size class the work touched keeps spans, and every "+
			"forced collection (runtime/debug.FreeOSMemory, the only documented way to give garbage back) leaves span-set spines and blocks, "+
			"mark bitmaps and thread stacks resident for good (measured in an experiment, 2026-12-07: two collections more added 0.38 MiB "+
			"anonymous to the same program). krenew's daemon keeps %.2f MiB anonymous, %.2f MiB above the engine floor: its command line, "+
			"lock server, logging and status",
			engineAnonS.Median, enginePSSS.Median, len(engines), verdict, floorAnonS.Median, anon.Median, anon.Median-engineAnonS.Median)})
	res.add(row{Fig: "3", Measure: fmt.Sprintf("engine floor: PSS of %d idle bench/enginefloor programs (renewed once, GOMAXPROCS=1) vs the kstart fleet", len(engines)),
		Unit: "MiB", Krenew: enginePSSS, Peer: fleetPeer, Prec: 2})
	res.add(row{Fig: "3", Measure: fmt.Sprintf("Go floor: PSS of %d sleeping Go programs (bench/gofloor, GOMAXPROCS=1) vs the kstart fleet", b.s.Fleet),
		Unit: "MiB", Krenew: summarize(floorPSS), Peer: fleetPeer, Prec: 2})
	res.note("Idle fleet, per daemon, median (min–max) MiB: krenew anonymous (heap, stacks, runtime data: private to each process, so it is the floor of its PSS) %s; "+
		"the idle engine floor program anonymous %s; the sleeping Go floor program RSS %s, PSS %s, anonymous %s.",
		anon.format(2), engineAnonS.format(2), summarize(floorRSS).format(2), summarize(floorPSS).format(2), floorAnonS.format(2))
	res.add(row{Fig: "3", Measure: "idle wakeups (voluntary context switches, all threads) per minute", Unit: "/min",
		Krenew: rates(ks, func(s timedSample) float64 { return float64(s.Voluntary) }),
		Peer:   rates(ps, func(s timedSample) float64 { return float64(s.Voluntary) }),
		Prec:   1, Target: "≤ 2/min", TargetMax: 2})
	res.add(row{Fig: "3", Measure: "idle CPU time per minute (schedstat, all threads)", Unit: "ms/min",
		Krenew: rates(ks, func(s timedSample) float64 { return float64(s.RunNs) / 1e6 }),
		Peer:   rates(ps, func(s timedSample) float64 { return float64(s.RunNs) / 1e6 }),
		Prec:   3})
	first, last := ks[0], ks[len(ks)-1]
	res.note("Idle window: %v, per-minute figures from %d intervals; krenew had %d threads (kstart krenew %d); "+
		"over the window (utime+stime, 10 ms ticks) krenew used %.2f s CPU and %d voluntary + %d involuntary switches, kstart krenew %.2f s and %d + %d.",
		time.Duration(steps)*step, steps, last.Threads, ps[len(ps)-1].Threads,
		last.CPUSeconds-first.CPUSeconds, last.Voluntary-first.Voluntary, last.Involuntary-first.Involuntary,
		ps[len(ps)-1].CPUSeconds-ps[0].CPUSeconds, ps[len(ps)-1].Voluntary-ps[0].Voluntary, ps[len(ps)-1].Involuntary-ps[0].Involuntary)
	res.note("Idle tickets: lifetime %v, so neither daemon renews in the window; krenew runs with its defaults, kstart as `krenew -K 60 -b`.", life)
	return nil
}

// sampleMemory samples each process once: RSS, PSS and anonymous memory
// in MiB, one value per process.
func sampleMemory(pids []int, who string) (rss, pss, anon []float64, err error) {
	for _, pid := range pids {
		s, err := takeSample(pid, who)
		if err != nil {
			return nil, nil, nil, err
		}
		rss = append(rss, float64(s.RSSKiB)/1024)
		pss = append(pss, float64(s.PSSKiB)/1024)
		anon = append(anon, float64(s.AnonKiB)/1024)
	}
	return rss, pss, anon, nil
}

type timedSample struct {
	procSample
	At time.Time
}

func takeSample(pid int, who string) (timedSample, error) {
	s, err := sampleProc(pid)
	if err != nil {
		return timedSample{}, fmt.Errorf("%s daemon (pid %d) is gone: %v", who, pid, err)
	}
	return timedSample{procSample: s, At: time.Now()}, nil
}

// rates turns a cumulative counter into per-minute rates, one per interval.
func rates(s []timedSample, counter func(timedSample) float64) summary {
	var xs []float64
	for i := 1; i < len(s); i++ {
		minutes := s[i].At.Sub(s[i-1].At).Minutes()
		xs = append(xs, (counter(s[i])-counter(s[i-1]))/minutes)
	}
	return summarize(xs)
}

// startKrenew starts a krenew daemon on name's cache; it detaches by
// itself once the ticket is in place.
func (b *bench) startKrenew(ctx context.Context, name string) (int, error) {
	cache, pidfile := b.cache(name), b.pidfile(name)
	if _, err := b.timed(ctx, "", b.s.Krenew, "-k", "FILE:"+cache, "-p", pidfile); err != nil {
		return 0, err
	}
	return b.adopt(pidfile, cache)
}

// startKstart starts kstart's krenew -K interval -b on name's cache.
func (b *bench) startKstart(ctx context.Context, name string, interval int) (int, error) {
	cache, pidfile := b.cache(name), b.pidfile(name)
	if _, err := b.timed(ctx, "", b.s.KstartKrenew, "-K", fmt.Sprint(interval), "-b",
		"-p", pidfile, "-k", "FILE:"+cache); err != nil {
		return 0, err
	}
	return b.adopt(pidfile, cache)
}

func (b *bench) adopt(pidfile, cache string) (int, error) {
	pid, err := readPidfile(pidfile, 10*time.Second)
	if err != nil {
		return 0, err
	}
	if !cmdlineHas(pid, cache) {
		return 0, fmt.Errorf("pid %d from %s is not the daemon for %s", pid, pidfile, cache)
	}
	b.reaper.add(pid, cache)
	return pid, nil
}

// forceRenewal sends SIGALRM and waits until the cache file is replaced.
func (b *bench) forceRenewal(ctx context.Context, pid int, cache string) error {
	before, err := os.Stat(cache)
	if err != nil {
		return err
	}
	if err := syscall.Kill(pid, syscall.SIGALRM); err != nil {
		return err
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		now, err := os.Stat(cache)
		if err == nil && (!os.SameFile(before, now) || !now.ModTime().Equal(before.ModTime())) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("pid %d did not renew %s within 30s of SIGALRM", pid, cache)
		}
		if err := sleep(ctx, 20*time.Millisecond); err != nil {
			return err
		}
	}
}
