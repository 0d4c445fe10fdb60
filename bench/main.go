// Command bench measures krenew against MIT kinit and kstart's krenew on a
// throwaway MIT KDC on 127.0.0.1: the cost of one renewal, of getting the
// first ticket, of an idle daemon, and of many daemons on one machine. It
// writes the table to -out (bench/RESULTS.md under `make bench`). It is
// never part of the test run: it takes over twenty minutes with the
// defaults; `make bench BENCHFLAGS="-quick -out /tmp/r.md"` is a smoke run
// of a few minutes that leaves RESULTS.md alone.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// settings are the knobs; RESULTS.md repeats them, since the numbers mean
// little without them.
type settings struct {
	Krenew       string
	KstartKrenew string
	Kinit        string
	Reps         int
	Idle         time.Duration
	Fleet        int
	Scale        int
	ScaleWindow  time.Duration
	ScaleLife    time.Duration
	Parallel     int
	Phases       string
	Out          string
	Quick        bool
}

func main() {
	var s settings
	flag.StringVar(&s.Krenew, "krenew", "./krenew", "the krenew binary to measure (by path; kstart installs its own krenew)")
	flag.StringVar(&s.KstartKrenew, "kstart-krenew", kstartKrenew(), "kstart's krenew")
	flag.StringVar(&s.Kinit, "kinit", "kinit", "MIT kinit")
	flag.IntVar(&s.Reps, "reps", 30, "repetitions of each one-shot measurement")
	flag.DurationVar(&s.Idle, "idle", 10*time.Minute, "idle window for the daemons' idle cost")
	flag.IntVar(&s.Fleet, "fleet", 20, "idle daemons per side running together for the PSS-per-daemon figure")
	flag.IntVar(&s.Scale, "scale", 200, "daemons (and users) per side in the scale test")
	flag.DurationVar(&s.ScaleWindow, "scale-window", 10*time.Minute, "how long the scale test watches the daemons")
	flag.DurationVar(&s.ScaleLife, "scale-life", 2*time.Minute, "ticket lifetime in the scale test")
	flag.IntVar(&s.Parallel, "parallel", 8, "concurrent kinits and daemon launches while setting up the scale test")
	flag.StringVar(&s.Phases, "phases", "1234", "which figures to measure (for debugging; RESULTS.md should have all four)")
	flag.StringVar(&s.Out, "out", "", "write the results as Markdown to this file (default: stdout only)")
	flag.BoolVar(&s.Quick, "quick", false, "smoke run of a few minutes: -reps 5 -idle 1m -scale 20 -scale-window 2m unless given")
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "bench: unexpected argument %q\n", flag.Arg(0))
		os.Exit(2)
	}
	if s.Quick {
		set := map[string]bool{}
		flag.Visit(func(f *flag.Flag) { set[f.Name] = true })
		quick := map[string]func(){
			"reps":         func() { s.Reps = 5 },
			"idle":         func() { s.Idle = time.Minute },
			"scale":        func() { s.Scale = 20 },
			"scale-window": func() { s.ScaleWindow = 2 * time.Minute },
		}
		for name, apply := range quick {
			if !set[name] {
				apply()
			}
		}
	}
	if err := s.check(); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
	ctx, cancel := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer cancel()
	if err := run(ctx, s); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func (s *settings) check() error {
	abs, err := filepath.Abs(s.Krenew)
	if err != nil {
		return err
	}
	s.Krenew = abs
	for _, p := range []*string{&s.Krenew, &s.KstartKrenew} {
		if fi, err := os.Stat(*p); err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
			return fmt.Errorf("%s is not an executable file (build krenew with make; install kstart)", *p)
		}
	}
	switch {
	case s.Reps < 1:
		return fmt.Errorf("-reps must be at least 1")
	case s.Idle < 10*time.Second:
		return fmt.Errorf("-idle must be at least 10s")
	case s.Fleet < 1:
		return fmt.Errorf("-fleet must be at least 1")
	case s.Scale < 1:
		return fmt.Errorf("-scale must be at least 1")
	case s.ScaleWindow < 30*time.Second:
		return fmt.Errorf("-scale-window must be at least 30s")
	case s.ScaleLife < time.Minute:
		return fmt.Errorf("-scale-life must be at least 1m (kstart's krenew wakes at most once a minute)")
	case s.Parallel < 1:
		return fmt.Errorf("-parallel must be at least 1")
	}
	return nil
}

func run(ctx context.Context, s settings) error {
	began := time.Now()
	loadStart := loadavg()
	// The binary is built and copied now, so this is the code measured,
	// whatever is committed during the run.
	rev := commit()
	b, stop, err := newBench(s)
	if err != nil {
		return err
	}
	defer stop()
	var res results
	phases := []struct {
		name string
		fn   func(context.Context, *results) error
	}{
		{"1. one renewal", b.renewal},
		{"2. initial ticket", b.initial},
		{"3. idle daemon", b.idle},
		{"4. scale", b.scale},
	}
	for i, p := range phases {
		if !strings.ContainsRune(s.Phases, rune('1'+i)) {
			continue
		}
		b.logf("== %s", p.name)
		if err := p.fn(ctx, &res); err != nil {
			return fmt.Errorf("%s: %w", p.name, err)
		}
		if ctx.Err() != nil {
			return fmt.Errorf("interrupted during %s", p.name)
		}
	}
	res.Took = time.Since(began)
	res.Settings = s
	res.Machine = describeMachine(s)
	res.Machine.LoadStart = loadStart
	res.Machine.Commit = rev
	text := res.markdown()
	fmt.Print("\n" + text)
	if s.Out != "" {
		if err := os.WriteFile(s.Out, []byte(text), 0o644); err != nil {
			return err
		}
		b.logf("wrote %s", s.Out)
	}
	return nil
}

// kstartKrenew is where kstart's krenew is: krenew.kstart where krenew's
// .deb has diverted it (packaging/deb/preinst), else its own name.
func kstartKrenew() string {
	if _, err := os.Stat("/usr/bin/krenew.kstart"); err == nil {
		return "/usr/bin/krenew.kstart"
	}
	return "/usr/bin/krenew"
}
