package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/krenew/krenew/internal/testkdc"
	"golang.org/x/sys/unix"
)

// password is shared by every benchmark principal; it only guards a
// throwaway realm.
const password = "bench-secret-pw"

// processTimeout only guards against a hung program.
const processTimeout = 2 * time.Minute

type bench struct {
	s      settings
	kdc    *testkdc.KDC
	tb     testing.TB
	env    []string
	dir    string
	reaper *reaper
	floor  string // the Go floor program, bench/gofloor
	// engineFloor is bench/enginefloor: krenew's engine without its
	// command line, keeper or daemon.
	engineFloor string
}

func newBench(s settings) (*bench, func(), error) {
	k, tb, stopKDC, err := testkdc.StartStandalone(testkdc.Options{})
	if err != nil {
		return nil, nil, fmt.Errorf("cannot start a KDC: %v (install krb5-kdc krb5-admin-server krb5-user)", err)
	}
	b := &bench{
		s: s, kdc: k, tb: tb, dir: k.Dir, reaper: newReaper(),
		env: append(k.Env(), "LC_ALL=C"),
	}
	// A snapshot of the binary: a rebuild of ./krenew during the run
	// cannot mix two versions in one table.
	snap := filepath.Join(k.Dir, "krenew")
	if err := copyFile(s.Krenew, snap); err != nil {
		stopKDC()
		return nil, nil, fmt.Errorf("cannot copy %s: %v", s.Krenew, err)
	}
	b.s.Krenew = snap
	if err := b.buildFloor(context.Background()); err != nil {
		stopKDC()
		return nil, nil, err
	}
	// The in-process renewal reads krb5.conf the way krenew does.
	os.Setenv("KRB5_CONFIG", k.Krb5Conf)
	b.logf("KDC %s on 127.0.0.1:%d, files in %s", k.Realm, k.Port, k.Dir)
	return b, func() {
		b.reaper.stopAll()
		stopKDC()
	}, nil
}

func (b *bench) logf(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "%s %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, a...))
}

func (b *bench) principal(name string) string { return b.kdc.Principal(name) }

func (b *bench) cache(name string) string { return filepath.Join(b.dir, name+".ccache") }

func (b *bench) pidfile(name string) string { return filepath.Join(b.dir, name+".pid") }

// addPrincipals creates them all with one kadmin.local, which reads
// queries from stdin: one process per principal takes seconds per hundred.
func (b *bench) addPrincipals(ctx context.Context, names []string) error {
	var in strings.Builder
	for _, n := range names {
		fmt.Fprintf(&in, "addprinc -pw %s %s\n", password, n)
	}
	ctx, cancel := context.WithTimeout(ctx, processTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "kadmin.local", "-r", b.kdc.Realm)
	cmd.Env, cmd.Dir = b.env, b.dir
	cmd.Stdin = strings.NewReader(in.String())
	var errOut bytes.Buffer
	cmd.Stderr = &errOut
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("kadmin.local: %v: %s", err, errOut.String())
	}
	for _, line := range strings.Split(errOut.String(), "\n") {
		line = strings.TrimSpace(line)
		if line != "" && !strings.Contains(line, "No policy specified") && !strings.Contains(line, "no policy specified") {
			return fmt.Errorf("kadmin.local: %s", line)
		}
	}
	return nil
}

// kinit puts a fresh ticket for name into cache.
func (b *bench) kinit(ctx context.Context, name, cache string, life, renewable time.Duration) error {
	_, err := b.timed(ctx, password+"\n", b.s.Kinit, "-l", secs(life), "-r", secs(renewable),
		"-c", "FILE:"+cache, b.principal(name))
	return err
}

// timed runs a program to its end and returns its wall-clock time, from
// just before fork to just after wait, which is what a user or a cron job
// pays for it. Output goes to a file, not a pipe: no copying goroutine in
// the measurement, and a detached daemon cannot hold the run open.
func (b *bench) timed(ctx context.Context, stdin, prog string, args ...string) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, processTimeout)
	defer cancel()
	out, err := os.CreateTemp(b.dir, "out-")
	if err != nil {
		return 0, err
	}
	defer os.Remove(out.Name())
	defer out.Close()
	cmd := exec.CommandContext(ctx, prog, args...)
	cmd.Env, cmd.Dir = b.env, b.dir
	cmd.Stdin = strings.NewReader(stdin)
	cmd.Stdout, cmd.Stderr = out, out
	start := time.Now()
	err = cmd.Run()
	took := time.Since(start)
	if err != nil {
		text, _ := os.ReadFile(out.Name())
		return took, fmt.Errorf("%s %s: %v: %s", prog, strings.Join(args, " "), err, strings.TrimSpace(string(text)))
	}
	return took, nil
}

func secs(d time.Duration) string { return fmt.Sprintf("%ds", int(d/time.Second)) }

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// sleep waits d unless the run is interrupted.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// requestsPerOp counts the KDC requests logged for name since a whole
// second, when it was used for exactly ops operations, to show what each
// tool sends.
func (b *bench) requestsPerOp(name string, ops int, since time.Time) string {
	reqs, err := parseKDCLog(filepath.Join(b.dir, "kdc.log"), time.Now())
	if err != nil {
		return "?"
	}
	counts := map[string]int{}
	for _, r := range reqs {
		if r.Client == name && !r.At.Before(since) {
			counts[r.Kind]++
		}
	}
	var parts []string
	for _, k := range []string{"AS_REQ", "TGS_REQ"} {
		if counts[k] > 0 {
			parts = append(parts, fmt.Sprintf("%.1f %s", float64(counts[k])/float64(ops), k))
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, " + ")
}

// quietSecond returns the start of a second in which nothing set up so far
// is logged, so that requestsPerOp counts only what follows. The KDC stamps
// its log with time(), which reads a coarse clock up to a scheduler tick
// behind, hence the margin.
func quietSecond(ctx context.Context) (time.Time, error) {
	next := time.Now().Truncate(time.Second).Add(time.Second)
	return next, sleep(ctx, time.Until(next.Add(50*time.Millisecond)))
}

// copyFile copies the binary and then evicts the copy from the page
// cache, so that the first run reads it from disk the way an installed
// krenew is read after a boot. Left cached as written, a file written in
// one piece sits in the page cache in 2 MiB folios, and a kernel since
// about 6.16 maps a whole folio at a page fault: every daemon's resident
// code would then be that of the write, not that of a binary on disk.
func copyFile(from, to string) error {
	data, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o755)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := f.Write(data); err != nil {
		return err
	}
	if err := evictOpen(f); err != nil {
		return err
	}
	return f.Close()
}

// evictFromPageCache does for a file already written (the floor programs,
// fresh from the linker) what copyFile does for krenew's copy.
func evictFromPageCache(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return evictOpen(f)
}

func evictOpen(f *os.File) error {
	// Only clean pages can be evicted.
	if err := f.Sync(); err != nil {
		return err
	}
	return unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_DONTNEED)
}
