package main

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// row is one figure: krenew against its peer, the ratio, and the target
// from issues 7 and 14 where there is one.
type row struct {
	Fig, Measure, Unit string
	PeerName           string // who krenew is compared with; "" picks a default per figure
	Krenew, Peer       summary
	Prec               int
	Target             string
	TargetRatio        float64 // met when krenew/peer <= this
	TargetMax          float64 // met when krenew's median <= this
	// Floor says, for a target not met, what stops it, from figures of the
	// same run; RESULTS.md lists it under the table.
	Floor string
}

type results struct {
	Rows     []row
	Notes    []string
	Settings settings
	Machine  machine
	Took     time.Duration
}

func (r *results) add(x row) { r.Rows = append(r.Rows, x) }

func (r *results) note(format string, a ...any) { r.Notes = append(r.Notes, fmt.Sprintf(format, a...)) }

func (x row) ratio() float64 { return ratio(x.Krenew, x.Peer) }

func (x row) met() string {
	switch {
	case x.TargetRatio > 0 && !math.IsNaN(x.ratio()):
		return yesNo(x.ratio() <= x.TargetRatio)
	case x.TargetMax > 0 && x.Krenew.N > 0:
		return yesNo(x.Krenew.Median <= x.TargetMax)
	}
	return ""
}

func yesNo(ok bool) string {
	if ok {
		return "met"
	}
	return "**not met**"
}

func (x row) peerName() string {
	if x.PeerName != "" {
		return x.PeerName
	}
	switch x.Fig {
	case "2":
		return "MIT kinit"
	}
	return "kstart krenew"
}

func (r *results) markdown() string {
	var b strings.Builder
	s, m := r.Settings, r.Machine
	fmt.Fprintf(&b, "# krenew benchmarks\n\n")
	fmt.Fprintf(&b, "Produced by `make bench` (`go run ./bench`) on %s; the run took %s.\n\n",
		m.Date.Format("2006-01-02 15:04 MST"), r.Took.Round(time.Second))
	fmt.Fprintf(&b, "- Commit at the start of the run (when krenew was built and copied): %s\n", m.Commit)
	fmt.Fprintf(&b, "- Machine: %s, %d cores, %s RAM; %s; kernel %s\n", m.CPU, m.Cores, m.RAM, m.OS, m.Kernel)
	fmt.Fprintf(&b, "- Load average (1, 5, 15 min) at the start: %s; at the end: %s\n", m.LoadStart, m.LoadEnd)
	fmt.Fprintf(&b, "- Go: %s (krenew built with %s)\n", m.GoBench, m.GoKrenew)
	fmt.Fprintf(&b, "- krenew build: %s\n", m.Build)
	fmt.Fprintf(&b, "- Packages: %s\n", m.Packages)
	fmt.Fprintf(&b, "- Programs: krenew %s (copied at the start and run from the copy), kstart krenew %s, kinit %s\n", s.Krenew, s.KstartKrenew, s.Kinit)
	fmt.Fprintf(&b, "- Settings: %s\n", s.describe())
	fmt.Fprintf(&b, "\nEach figure: median (min–max) over the repetitions or samples named; the ratio is krenew's median over the peer's. ")
	fmt.Fprintf(&b, "krenew is this repository's binary, run by path; the peers are MIT krb5's kinit and kstart's krenew, against the same throwaway MIT KDC on 127.0.0.1.\n\n")
	fmt.Fprintf(&b, "| # | measure | unit | krenew | peer | peer value | krenew/peer | target | |\n")
	fmt.Fprintf(&b, "|---|---|---|---|---|---|---|---|---|\n")
	for _, x := range r.Rows {
		ratio := "–"
		if q := x.ratio(); !math.IsNaN(q) && !math.IsInf(q, 0) {
			ratio = fmt.Sprintf("%.2f×", q)
		}
		target := x.Target
		if target == "" {
			target = "–"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", x.Fig, x.Measure, x.Unit,
			x.Krenew.format(x.Prec), x.peerName(), x.Peer.format(x.Prec), ratio, target, x.met())
	}
	var floors []string
	for _, x := range r.Rows {
		if x.met() == yesNo(false) && x.Floor != "" {
			floors = append(floors, fmt.Sprintf("- %s (target %s): %s", x.Measure, x.Target, x.Floor))
		}
	}
	if len(floors) > 0 {
		fmt.Fprintf(&b, "\n## Targets not met, and the floor that stops them\n\n%s\n", strings.Join(floors, "\n"))
	}
	if len(r.Notes) > 0 {
		fmt.Fprintf(&b, "\n## Notes\n\n")
		for _, n := range r.Notes {
			fmt.Fprintf(&b, "- %s\n", n)
		}
	}
	fmt.Fprintf(&b, "\n## How each figure is taken\n\n%s", method)
	return b.String()
}

func (s settings) describe() string {
	txt := fmt.Sprintf("`-reps %d -idle %v -fleet %d -scale %d -scale-window %v -scale-life %v -parallel %d`",
		s.Reps, s.Idle, s.Fleet, s.Scale, s.ScaleWindow, s.ScaleLife, s.Parallel)
	if s.Phases != "1234" {
		txt += fmt.Sprintf(" `-phases %s` (not every figure)", s.Phases)
	}
	if s.Quick {
		txt += " (from `-quick`: a smoke run, not the reference numbers)"
	}
	return txt
}

const method = `1. One renewal. In-process: what the daemon does per renewal, timed inside the benchmark's own Go process:
   read the cache, ` + "`renew.Client.Renew`" + ` (the TGS exchange with the RENEW option), ` + "`ccache.FileStore.Update`" + `
   (the daemon's atomic replacement of the file), against ` + "`kinit -R -c FILE:...`" + ` as a whole process. Then ` + "`krenew --once -k FILE:...`" + `
   against kstart's ` + "`krenew -k FILE:...`" + ` (without -K it renews once and exits), both whole processes, fork to wait.
   Each side has its own principal and cache; one untimed warm-up each, then the sides alternate and swap who goes first.
   Start and exit alone: ` + "`krenew --version`" + ` against kstart's ` + "`krenew -h`" + `, the same way: the floor under every whole-process figure;
   and under that the Go floor, bench/gofloor (a Go program that does nothing, built static and stripped like krenew).
   The engine floor, bench/enginefloor (built like krenew; ` + "`enginefloor renew CACHE`" + `: krenew's own packages read krb5.conf and
   the cache, renew, write atomically, with none of the command line, keeper or daemon), against kstart's krenew in an
   alternation of its own: the least a Go krenew on this engine can take. Both floor programs are evicted from the page
   cache after the build, as krenew's copy is.
2. Initial ticket: ` + "`krenew --once --init --password-stdin -u P -l 10h -r 7d`" + ` against ` + "`kinit -l 10h -r 7d P`" + ` with the
   password on stdin (MIT kinit reads it from there when stdin is not a terminal), whole processes, alternating; and
   ` + "`enginefloor init P CACHE`" + ` (the AS exchange and the write alone, same lifetimes) against kinit the same way.
3. Idle daemon: ` + "`krenew -k FILE:a -p pidfile`" + ` (detaches itself) and kstart's ` + "`krenew -K 60 -b -p pidfile -k FILE:b`" + `,
   started on the same kind of ticket, run side by side. kstart's krenew renews before it detaches; krenew gets its first
   renewal from SIGALRM. From two seconds later, each minute: Rss and Pss from /proc/PID/smaps_rollup, utime+stime of
   the thread group from /proc/PID/stat, and voluntary context switches summed over /proc/PID/task/*/status (a
   voluntary switch is the thread going to sleep, so each wake-up costs one). Rates are per one-minute interval.
   Beside them, -fleet daemons per side started the same way (each on its own principal's ticket, each krenew renewed
   once by SIGALRM), idle through the same window; at its end, Pss of each, over the daemons. Pss divides every shared
   page among the processes that map it, so it is what one more daemon costs the machine when many run. As many
   bench/gofloor sleepers (GOMAXPROCS=1, blocked on a signal) are sampled the same way: the Go floor of an idle process;
   and as many ` + "`enginefloor idle`" + ` programs, each on its own ticket (GOMAXPROCS=1; start-up's garbage given back, one
   renewal on SIGALRM, its garbage given back, as the daemon does): the engine floor of an idle daemon.
4. Scale: N principals per side, tickets from kinit with the scale lifetime, then N krenew daemons (defaults) and N
   kstart ` + "`krenew -K 1 -b`" + ` (a one-minute interval, kstart's smallest, so that it can keep short tickets alive) run at
   the same time, launched interleaved, -parallel at a time. All tickets are obtained within seconds and all daemons
   start within about a second: the worst case for bursts, since only jitter then keeps them from renewing together
   (kstart's krenew wakes every minute counted from its own start). Over the window: total Pss of each side sampled every 30 s, KDC requests of
   each side's principals from the KDC log (whole-second timestamps), extrapolated to an hour, the largest number in
   any 1 s and 10 s, the standard deviation of the per-second counts, renewals per daemon, CPU time of all daemons,
   and at the end how many caches still hold an unexpired ticket.
`
