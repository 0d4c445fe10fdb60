package e2e

// The fault-injection suite (issue 7): krenew against a real KDC while
// things break on purpose. Every test is bounded in time, reports
// "faults: runs=N injected=N failures=N" and fails on any failure.
//
// Clock faults. The clock-jump tests are the engine's fake-clock tests in
// renew/engine_test.go: TestEngineCatchesUpAfterSuspend (the clock jumps
// past the planned renewal: the renewal comes within a minute of the
// resume) and TestEngineExpiredAfterSuspend (it jumps past the ticket's
// end: a clear expiry error, no renewal attempt). A real suspend, or a
// faketime-style shifted clock, is not feasible for the built binary:
//   - libfaketime works by LD_PRELOAD-interposing libc's clock_gettime,
//     and Go never calls libc for time; the runtime reads the vDSO
//     directly. Checked with Debian bookworm's faketime 0.9.10:
//     `faketime '2001-01-01 00:00:00' date` prints 2001, a Go program
//     printing time.Now() prints today's date, both when linked
//     internally and when linked externally against libc with cgo.
//   - A real suspend (rtcwake, systemctl suspend) is not available in CI
//     containers, and time namespaces (unshare --time) only set a
//     constant CLOCK_MONOTONIC offset before the first process enters,
//     they cannot make the clock jump under a running daemon.
// What is feasible end to end is a frozen daemon (SIGSTOP/SIGCONT, as a
// paused VM or a stopped job): TestFaultFrozenDaemon. It differs from a
// suspend in one way: CLOCK_MONOTONIC keeps running while a process is
// stopped, so Go's timers fire as soon as it continues, whereas after a
// suspend they fire late; the engine's one-minute sleep cap, which covers
// that, is what the fake-clock tests check.

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
	"unicode"

	kcli "github.com/krenew/krenew/internal/cli"
	"golang.org/x/sys/unix"

	"github.com/krenew/krenew/ccache"
	"github.com/krenew/krenew/internal/testkdc"
)

// faultSeed makes every random choice of a test reproducible from its log.
func faultSeed(t *testing.T) *rand.Rand {
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("KRENEW_FAULT_SEED"); s != "" {
		seed, _ = strconv.ParseUint(s, 10, 64)
	}
	t.Logf("random seed %d (KRENEW_FAULT_SEED=%d repeats it)", seed, seed)
	return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
}

// faultPoll checks cond every step until it holds (true) or limit passes.
func faultPoll(limit, step time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(step)
	}
	return true
}

func faultInode(path string) uint64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Sys().(*syscall.Stat_t).Ino
}

// faultTemps lists the store's temporary files next to the cache.
func faultTemps(path string) []string {
	m, _ := filepath.Glob(filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".krenew-*"))
	return m
}

// faultTicket is krenew's own codec's verdict on a cache file: it parses,
// holds a TGT of want (if want is set), and returns its end time.
func faultTicket(path, want string) (time.Time, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return time.Time{}, err
	}
	return faultTicketIn(b, want)
}

func faultTicketIn(b []byte, want string) (time.Time, error) {
	c, err := ccache.Parse(b)
	if err != nil {
		return time.Time{}, err
	}
	tgt, ok := c.FindTGT()
	if !ok {
		return time.Time{}, errors.New("no TGT in the cache")
	}
	if want != "" && c.DefaultPrincipal.String() != want {
		return time.Time{}, fmt.Errorf("cache of %s, want %s", c.DefaultPrincipal, want)
	}
	return tgt.EndTime, nil
}

// faultKlist runs MIT klist -s: the reference reader, exit 0 if the cache
// holds a valid ticket. It may run outside the test goroutine.
func faultKlist(env []string, cc string) error {
	cmd := exec.Command("klist", "-s", "-c", cc)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("klist -s -c %s: %v %s", cc, err, out)
	}
	return nil
}

// faultForeground starts krenew --foreground -v and waits until its
// engine runs: the signal handlers are in place once it logs "renewing
// ... (pid N)", so a SIGALRM from then on means "renew now", not death.
func faultForeground(t *testing.T, env []string, cred *syscall.Credential, bin, stdin string, args ...string) *background {
	t.Helper()
	argv := append([]string{bin, "--foreground", "-v"}, args...)
	b := startBackgroundAs(t, env, cred, stdin, argv...)
	ready := fmt.Sprintf("(pid %d)", b.cmd.Process.Pid)
	if !faultPoll(30*time.Second, 5*time.Millisecond, func() bool {
		return b.exited() || strings.Contains(b.text(), ready)
	}) || b.exited() {
		t.Fatalf("krenew --foreground did not start its renewal loop:\n%s", b.text())
	}
	return b
}

// 300 forced renewals of a detached daemon while MIT klist and krenew's own
// codec read the cache in tight loops: no read may ever fail.
func TestFaultConcurrentReadsDuringForcedRenewals(t *testing.T) {
	t.Parallel()
	const renewals = 300
	var fc faultCounts
	defer fc.report(t)
	k := testkdc.Start(t, testkdc.Options{})
	cc, path := cacheIn(t, "cc")
	pid := startDaemon(t, k, testkdc.AlicePassword+"\n", "--password-stdin", "-u", "alice", "-l", "1h", "-r", "2h", "-k", cc)
	env := k.Env()

	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var klistReads, loads, rawReads atomic.Int64
	wg.Go(func() {
		for ctx.Err() == nil {
			fc.run()
			klistReads.Add(1)
			if err := faultKlist(env, cc); err != nil {
				fc.fail("MIT klist during renewals: %v", err)
			}
		}
	})
	wg.Go(func() {
		store := ccache.FileStore{Path: path}
		for ctx.Err() == nil {
			fc.run()
			loads.Add(1)
			c, err := store.Load()
			if err == nil {
				if _, ok := c.FindTGT(); !ok {
					err = errors.New("no TGT")
				}
			}
			if err != nil {
				fc.fail("FileStore.Load during renewals: %v", err)
			}
			fc.run()
			rawReads.Add(1)
			if _, err := faultTicket(path, alice); err != nil {
				fc.fail("ccache.Parse(os.ReadFile) during renewals: %v", err)
			}
		}
	})

	began := time.Now()
	var slowest time.Duration
	for i := 0; i < renewals; i++ {
		ino := faultInode(path)
		start := time.Now()
		fc.inject()
		if err := syscall.Kill(pid, syscall.SIGALRM); err != nil {
			fc.fail("renewal %d: SIGALRM: %v", i, err)
			break
		}
		// Each renewal renames a new file over the cache: a new inode.
		if !faultPoll(10*time.Second, time.Millisecond, func() bool { return faultInode(path) != ino }) {
			fc.fail("renewal %d did not complete within 10s of SIGALRM", i)
			break
		}
		slowest = max(slowest, time.Since(start))
	}
	cancel()
	wg.Wait()
	t.Logf("%d renewals in %s (slowest %s); reads: %d klist -s, %d FileStore.Load, %d Parse(ReadFile)",
		renewals, time.Since(began).Round(time.Millisecond), slowest.Round(time.Millisecond),
		klistReads.Load(), loads.Load(), rawReads.Load())
	if klistReads.Load() < 50 || loads.Load() < renewals {
		fc.fail("too few concurrent reads to prove anything: %d klist, %d Load", klistReads.Load(), loads.Load())
	}
	if !alive(pid) {
		fc.fail("the daemon died during the forced renewals")
	}
	if tmp := faultTemps(path); len(tmp) != 0 {
		fc.fail("temporary files left after clean renewals: %v", tmp)
	}
}

// 50 times: SIGALRM, then SIGKILL 0-20 ms later, so that some kills land
// in the middle of a renewal. The cache must always be a valid file with a
// valid ticket, old or new.
//
// Temporary files: the store writes the new cache to a randomly named
// ".<cache>.krenew-XXXXXXXXXXXX" file (unnamed until complete where the
// filesystem has O_TMPFILE) and renames it over the cache. A kill between
// naming and renaming it strands that file; every stranded one must be
// private (0600, it may hold a session key), and the next start must
// sweep them all (ccache.Tidy).
func TestFaultKillDuringRenewal(t *testing.T) {
	t.Parallel()
	const kills = 50
	var fc faultCounts
	defer fc.report(t)
	rng := faultSeed(t)
	k := testkdc.Start(t, testkdc.Options{})
	cc, path := cacheIn(t, "cc")
	mitKinit(t, k, cc, "alice", testkdc.AlicePassword, "-l", "1h", "-r", "2h")
	env := append(k.Env(), "LC_ALL=C")

	var renewedBeforeKill, strandedTemps int
	for i := 0; i < kills; i++ {
		fc.run()
		b := faultForeground(t, env, nil, krenewBin, "", "-k", cc)
		pid := b.cmd.Process.Pid
		before, _ := os.ReadFile(path)
		tempsBefore := map[string]bool{}
		for _, tmp := range faultTemps(path) {
			tempsBefore[tmp] = true
		}
		delay := time.Duration(rng.IntN(21)) * time.Millisecond
		fc.inject()
		syscall.Kill(pid, syscall.SIGALRM)
		time.Sleep(delay)
		syscall.Kill(pid, syscall.SIGKILL)
		// exec reports a process ended by a signal as -1: anything else
		// means krenew exited by itself before the SIGKILL.
		if code := b.wait(t, 10*time.Second); code != -1 {
			fc.fail("kill %d: krenew exited with status %d before the SIGKILL:\n%s", i, code, b.text())
		}
		after, err := os.ReadFile(path)
		if err != nil {
			fc.fail("kill %d (%s after SIGALRM): cache unreadable: %v", i, delay, err)
			continue
		}
		if _, err := faultTicketIn(after, alice); err != nil {
			fc.fail("kill %d (%s after SIGALRM): cache invalid for krenew's codec: %v", i, delay, err)
		}
		if err := faultKlist(env, cc); err != nil {
			fc.fail("kill %d (%s after SIGALRM): %v", i, delay, err)
		}
		if !bytes.Equal(before, after) {
			renewedBeforeKill++
		}
		for _, tmp := range faultTemps(path) {
			if !tempsBefore[tmp] {
				strandedTemps++
			}
			if fi, err := os.Lstat(tmp); err == nil && (!fi.Mode().IsRegular() || fi.Mode().Perm()&0o077 != 0) {
				fc.fail("stranded temporary file %s has mode %s, want a private regular file", tmp, fi.Mode())
			}
		}
	}
	t.Logf("of %d kills: %d after the renewal was written, %d before it; %d stranded a temporary file (killed mid-write)",
		kills, renewedBeforeKill, kills-renewedBeforeKill, strandedTemps)

	// The next start: it must work on whatever the kills left.
	fc.run()
	b := faultForeground(t, env, nil, krenewBin, "", "-k", cc)
	ino := faultInode(path)
	syscall.Kill(b.cmd.Process.Pid, syscall.SIGALRM)
	if !faultPoll(10*time.Second, 5*time.Millisecond, func() bool { return faultInode(path) != ino }) {
		fc.fail("the next start did not renew after SIGALRM:\n%s", b.text())
	}
	syscall.Kill(b.cmd.Process.Pid, syscall.SIGTERM)
	if code := b.wait(t, 10*time.Second); code != 0 {
		fc.fail("the next start ended with status %d on SIGTERM", code)
	}
	if err := faultKlist(env, cc); err != nil {
		fc.fail("after the next start: %v", err)
	}
	if left := faultTemps(path); len(left) != 0 {
		fc.fail("the next start left %d of the %d stranded temporary files behind: %v", len(left), strandedTemps, left)
	}
}

// faultSpan is a time the KDC was up: from when Restart returned (it had
// answered an AS-REQ) to just before it was stopped.
type faultSpan struct{ from, to time.Time }

// faultUpThroughout: the KDC was up during all of [a, b].
func faultUpThroughout(spans []faultSpan, a, b time.Time) bool {
	for _, s := range spans {
		if !s.from.After(a) && !s.to.Before(b) {
			return true
		}
	}
	return false
}

// faultUpFor: the KDC was up for at least g without a break inside [a, b].
func faultUpFor(spans []faultSpan, a, b time.Time, g time.Duration) (faultSpan, bool) {
	for _, s := range spans {
		from, to := s.from, s.to
		if from.Before(a) {
			from = a
		}
		if to.After(b) {
			to = b
		}
		if to.Sub(from) >= g {
			return faultSpan{from, to}, true
		}
	}
	return faultSpan{}, false
}

type faultSample struct {
	at    time.Time // when klist -s started
	valid bool
	end   time.Time // the TGT's end, read just before klist
	err   error     // reading the cache failed
}

// faultSampler reads a cache every 500 ms: its end time with krenew's
// codec, then validity with MIT klist -s. Reading the end time first
// matters: if klist then fails, nothing valid was written in between, so
// end is the end of the ticket that lapsed.
func faultSampler(ctx context.Context, env []string, cc, path string) (wait func() []faultSample) {
	var out []faultSample
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			var s faultSample
			s.end, s.err = faultTicket(path, "")
			s.at = time.Now()
			s.valid = faultKlist(env, cc) == nil
			out = append(out, s)
			select {
			case <-ctx.Done():
			case <-time.After(500 * time.Millisecond):
			}
		}
	}()
	return func() []faultSample { <-done; return out }
}

// The KDC killed and restarted at random moments for about 155 s, up and
// down phases of 3-12 s, then left up for 22 s, while two krenews keep
// 20-second tickets: one with a password (alice) and one with a keytab.
//
// The exact properties checked, with G = 7 s (the engine retries at most
// every 2.5 s + 50% jitter with 20 s tickets, so 7 s leaves room for one
// attempt that hangs 3 s on a KDC that is just going down):
//
//	P1, both: a ticket lapses (klist -s fails, its end time E has passed)
//	only if the KDC was never up for G in one piece during [E-10s, E-1s].
//	The engine's renewal is due at half of the lifetime (E-10s, up to 2 s
//	earlier with jitter) and it keeps retrying until a last try at E-1s, so
//	an up phase of G there must have renewed it.
//	P2, keytab: whenever the KDC has been up for the last G, the ticket is
//	valid: a keytab daemon gets a new ticket within one retry of the KDC's
//	return, also after a lapse.
//	P3, both: the issue's wording, "valid whenever the KDC was reachable
//	during the whole preceding ticket lifetime": checked at every sample
//	where the KDC was up for the preceding 20 s. Up phases of at most 12 s
//	never satisfy that, so the run ends with a stable tail of 22 s, where
//	it does: after all the flapping, a full lifetime of uptime must leave
//	a valid ticket. For the password daemon P3 does not hold after a lapse:
//	an expired ticket cannot be renewed (kinit -R cannot either), so after
//	a lapse P1 says whether the lapse was justified, the daemon must have
//	exited saying the ticket expired, and P3 is not checked for it.
func TestFaultKDCFlapping(t *testing.T) {
	longTest(t)
	t.Parallel()
	const (
		run      = 3 * time.Minute // the 3-minute run
		lifetime = 20 * time.Second
		g        = 7 * time.Second
	)
	var fc faultCounts
	defer fc.report(t)
	rng := faultSeed(t)
	k := testkdc.Start(t, testkdc.Options{})
	const svcName = "flap/svc.krenew.test"
	keytab := k.AddKeytab(t, svcName)
	ccA, pathA := cacheIn(t, "password")
	ccB, pathB := cacheIn(t, "keytab")
	env := append(k.Env(), "LC_ALL=C")
	a := faultForeground(t, env, nil, krenewBin, testkdc.AlicePassword+"\n", "--password-stdin", "-u", "alice", "-l", "20s", "-r", "10m", "-k", ccA)
	b := faultForeground(t, env, nil, krenewBin, "", "-f", keytab, "-u", svcName, "-l", "20s", "-k", ccB)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	waitA := faultSampler(ctx, env, ccA, pathA)
	waitB := faultSampler(ctx, env, ccB, pathB)

	// Flapping, then a stable tail a little longer than one lifetime, so
	// that P3 is checked at least at the end.
	spans := []faultSpan{}
	upSince := time.Now()
	end := upSince.Add(run)
	flapUntil := end.Add(-lifetime - 2*time.Second)
	phase := func() time.Duration { return 3*time.Second + time.Duration(rng.Int64N(int64(9*time.Second))) }
	for {
		up, down := phase(), phase()
		if time.Now().Add(up + down).After(flapUntil) {
			break
		}
		time.Sleep(up)
		spans = append(spans, faultSpan{upSince, time.Now()})
		fc.inject()
		k.Stop()
		time.Sleep(down)
		k.Restart(t)
		upSince = time.Now()
	}
	time.Sleep(time.Until(end))
	spans = append(spans, faultSpan{upSince, time.Now()})
	cancel()
	samples := map[string][]faultSample{"password": waitA(), "keytab": waitB()}
	for _, s := range spans {
		t.Logf("KDC up %s .. %s", s.from.Format("15:04:05.000"), s.to.Format("15:04:05.000"))
	}

	var p1Lapses, p2Checks, p3Checks int
	for _, name := range []string{"password", "keytab"} {
		lapsed := map[time.Time]bool{}
		var justifiedLapse time.Time
		for _, s := range samples[name] {
			fc.run()
			if s.err != nil {
				fc.fail("%s cache unreadable at %s: %v", name, s.at.Format("15:04:05.000"), s.err)
				continue
			}
			if !s.valid && s.end.After(s.at.Add(time.Second)) {
				fc.fail("%s: klist -s failed at %s with a ticket valid until %s", name, s.at.Format("15:04:05.000"), s.end.Format("15:04:05"))
			}
			if !s.valid && !lapsed[s.end] {
				lapsed[s.end] = true
				p1Lapses++
				if w, up := faultUpFor(spans, s.end.Add(-10*time.Second), s.end.Add(-time.Second), g); up {
					fc.fail("P1 %s: ticket lapsed at %s although the KDC was up %s .. %s", name,
						s.end.Format("15:04:05"), w.from.Format("15:04:05.000"), w.to.Format("15:04:05.000"))
				} else if justifiedLapse.IsZero() {
					justifiedLapse = s.at
				}
			}
			if name == "keytab" && faultUpThroughout(spans, s.at.Add(-g), s.at) {
				p2Checks++
				if !s.valid {
					fc.fail("P2 keytab: no valid ticket at %s after %s of KDC uptime", s.at.Format("15:04:05.000"), g)
				}
			}
			passwordGaveUp := name == "password" && !justifiedLapse.IsZero() && !s.at.Before(justifiedLapse)
			if !passwordGaveUp && faultUpThroughout(spans, s.at.Add(-lifetime), s.at) {
				p3Checks++
				if !s.valid {
					fc.fail("P3 %s: no valid ticket at %s although the KDC was up for the preceding %s", name, s.at.Format("15:04:05.000"), lifetime)
				}
			}
		}
		t.Logf("%s: %d samples, %d distinct lapses", name, len(samples[name]), len(lapsed))
		if name == "password" && a.exited() && (justifiedLapse.IsZero() || !strings.Contains(a.text(), "expired at")) {
			fc.fail("the password daemon exited (status %d) without its ticket lapsing", a.code)
		}
	}
	t.Logf("renewals: password %d, keytab %d; keytab acquisitions %d; lapses %d; P2 checks %d; P3 checks %d",
		a.count("renewed "), b.count("renewed "), b.count("got a new ticket"), p1Lapses, p2Checks, p3Checks)
	if b.exited() {
		fc.fail("the keytab daemon exited (status %d)", b.code)
	}
	if fc.injected < 3 || p2Checks == 0 || p3Checks == 0 {
		fc.fail("the run proves nothing: %d KDC kills, %d P2 checks, %d P3 checks", fc.injected, p2Checks, p3Checks)
	}
}

// faultUnwritable sets up a cache whose directory krenew cannot write to,
// in one of two ways that also hold for root:
//
//	read-only: a directory without write permission, with krenew running
//	as nobody when the tests run as root (root ignores permissions);
//	full: RLIMIT_FSIZE of the running krenew lowered to 0 with prlimit, so
//	every write to a file fails with EFBIG like on a full disk (root is
//	not exempt, and Go ignores the SIGXFSZ that comes with it).
//
// It returns the running krenew, its cache path, and a function that makes
// writing possible again.
func faultUnwritable(t *testing.T, k *testkdc.KDC, how string, extra ...string) (b *background, path string, restore func()) {
	t.Helper()
	env := append(k.Env(), "LC_ALL=C")
	bin := krenewBin
	var cred *syscall.Credential
	uid := os.Geteuid()
	base, err := os.MkdirTemp("", "krenew-fault-")
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(base, "cache")
	t.Cleanup(func() {
		os.Chmod(dir, 0o755)
		os.RemoveAll(base)
	})
	if err := os.Chmod(base, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if how == "read-only" && uid == 0 {
		bin = filepath.Join(base, "krenew")
		conf := filepath.Join(base, "krb5.conf")
		copyFile(t, krenewBin, bin, 0o755)
		copyFile(t, k.Krb5Conf, conf, 0o644)
		env = append(env, "KRB5_CONFIG="+conf)
		uid = nobody
		cred = &syscall.Credential{Uid: nobody, Gid: nobody}
	}
	path = filepath.Join(dir, "cc")
	mitKinit(t, k, "FILE:"+path, "alice", testkdc.AlicePassword, "-l", "30s", "-r", "10m")
	if err := os.Chown(dir, uid, -1); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(path, uid, -1); err != nil {
		t.Fatal(err)
	}
	args := append([]string{"-k", "FILE:" + path}, extra...)
	b = faultForeground(t, env, cred, bin, "", args...)
	switch how {
	case "read-only":
		if err := os.Chmod(dir, 0o555); err != nil {
			t.Fatal(err)
		}
		restore = func() { os.Chmod(dir, 0o755) }
	case "full":
		pid := b.cmd.Process.Pid
		var old unix.Rlimit
		if err := unix.Prlimit(pid, unix.RLIMIT_FSIZE, nil, &old); err != nil {
			t.Fatal(err)
		}
		full := unix.Rlimit{Cur: 0, Max: old.Max}
		if err := unix.Prlimit(pid, unix.RLIMIT_FSIZE, &full, nil); err != nil {
			t.Fatal(err)
		}
		restore = func() { unix.Prlimit(pid, unix.RLIMIT_FSIZE, &old, nil) }
	}
	return b, path, restore
}

// A cache on a read-only or full directory: a clear error naming the
// cache, the old cache intact byte for byte, no temporary file left; the
// daemon keeps retrying and recovers when writing works again; with -x it
// exits 1 on the first failure.
func TestFaultUnwritableCacheDirectory(t *testing.T) {
	t.Parallel()
	k := testkdc.Start(t, testkdc.Options{})
	for _, tc := range []struct{ how, reason string }{
		{"read-only", "permission denied"},
		{"full", "file too large"},
	} {
		t.Run(tc.how+"/retry", func(t *testing.T) {
			t.Parallel()
			var fc faultCounts
			defer fc.report(t)
			b, path, restore := faultUnwritable(t, k, tc.how)
			before := readFile(t, path)
			fc.run()
			fc.inject()
			syscall.Kill(b.cmd.Process.Pid, syscall.SIGALRM)
			failed := "cannot write credential cache FILE:" + path
			if !faultPoll(25*time.Second, 50*time.Millisecond, func() bool { return b.count("retrying in") >= 3 || b.exited() }) || b.exited() {
				fc.fail("want three failed attempts, each logged with its retry, and krenew running:\n%s", b.text())
			}
			for _, l := range strings.Split(b.text(), "\n") {
				if strings.Contains(l, "retrying in") && (!strings.Contains(l, failed) || !strings.Contains(l, tc.reason)) {
					fc.fail("unclear error, want %q and %q in: %s", failed, tc.reason, l)
				}
			}
			if !bytes.Equal(readFile(t, path), before) {
				fc.fail("the cache changed although it could not be written")
			}
			if tmp := faultTemps(path); len(tmp) != 0 {
				fc.fail("temporary files left: %v", tmp)
			}
			restore()
			if !faultPoll(15*time.Second, 50*time.Millisecond, func() bool { return b.count("renewed "+alice) > 0 }) {
				fc.fail("no renewal once the directory was writable again:\n%s", b.text())
			}
			if err := faultKlist(k.Env(), "FILE:"+path); err != nil || bytes.Equal(readFile(t, path), before) {
				fc.fail("after recovery: klist %v, cache changed %v", err, !bytes.Equal(readFile(t, path), before))
			}
		})
		t.Run(tc.how+"/exit-on-error", func(t *testing.T) {
			t.Parallel()
			var fc faultCounts
			defer fc.report(t)
			b, path, _ := faultUnwritable(t, k, tc.how, "-x")
			before := readFile(t, path)
			fc.run()
			fc.inject()
			syscall.Kill(b.cmd.Process.Pid, syscall.SIGALRM)
			if code := b.wait(t, 20*time.Second); code != 1 {
				fc.fail("-x: exit status %d, want 1", code)
			}
			if n := b.count("cannot write credential cache FILE:" + path); n != 1 || b.count(tc.reason) != 1 {
				fc.fail("-x: want the write error (%s) logged once:\n%s", tc.reason, b.text())
			}
			if b.count("retrying") != 0 {
				fc.fail("-x retried:\n%s", b.text())
			}
			if !bytes.Equal(readFile(t, path), before) {
				fc.fail("the cache changed although it could not be written")
			}
			if tmp := faultTemps(path); len(tmp) != 0 {
				fc.fail("temporary files left: %v", tmp)
			}
		})
	}
}

// faultExec runs krenew to completion in dir (a fresh session, no
// terminal), safe to call outside the test goroutine. A run that does not
// end within a minute is reported as hung.
func faultExec(env []string, dir, stdin string, args ...string) (code int, stderr string, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, krenewBin, args...)
	cmd.Env = env
	cmd.Dir = dir
	cmd.Stdin = strings.NewReader(stdin)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	cmd.WaitDelay = 2 * time.Second
	runErr := cmd.Run()
	if ctx.Err() != nil {
		return -1, out.String(), errors.New("hung for a minute")
	}
	code, err = exitStatus(runErr)
	return code, out.String(), err
}

// faultVerdict checks the standard for a failure: one of the exit codes,
// exactly one "krenew: error:" line, no panic and no race report. It
// returns what is wrong, or "".
func faultVerdict(code int, output string, err error, codes ...int) string {
	if err != nil {
		return err.Error()
	}
	var problems []string
	okCode := false
	for _, c := range codes {
		okCode = okCode || code == c
	}
	if !okCode {
		problems = append(problems, fmt.Sprintf("exit status %d, want one of %v", code, codes))
	}
	var errs []string
	for _, l := range strings.Split(output, "\n") {
		if msg, ok := strings.CutPrefix(l, "krenew: error: "); ok {
			errs = append(errs, msg)
		}
	}
	if len(errs) != 1 {
		problems = append(problems, fmt.Sprintf("%d 'krenew: error:' lines, want 1", len(errs)))
	}
	for _, msg := range errs {
		// Lowercase, no trailing period; "FILE:..." or "KDC" may start it.
		if len(msg) > 1 && unicode.IsUpper(rune(msg[0])) && unicode.IsLower(rune(msg[1])) || strings.HasSuffix(msg, ".") {
			problems = append(problems, fmt.Sprintf("error not in krenew's style: %q", msg))
		}
	}
	for _, bad := range []string{"panic:", "goroutine ", "DATA RACE"} {
		if strings.Contains(output, bad) {
			problems = append(problems, fmt.Sprintf("%q in the output", bad))
		}
	}
	if len(problems) == 0 {
		return ""
	}
	return strings.Join(problems, "; ") + "\n" + output
}

// faultParallel runs jobs on a few workers: hundreds of short krenew runs
// one after another would take too long, all at once would swamp CI.
func faultParallel(jobs []func()) {
	sem := make(chan struct{}, 4)
	var wg sync.WaitGroup
	for _, j := range jobs {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			j()
		})
	}
	wg.Wait()
}

// faultDirSnapshot lists a directory with sizes and modification times,
// to show that a failed run touched nothing in it.
func faultDirSnapshot(dir string) string {
	var b strings.Builder
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			fmt.Fprintf(&b, "%s: %v\n", p, err)
			return nil
		}
		if fi, err := os.Lstat(p); err == nil {
			fmt.Fprintf(&b, "%s %s %d %d\n", p, fi.Mode(), fi.Size(), fi.ModTime().UnixNano())
		}
		return nil
	})
	return b.String()
}

// Bad input of every kind: each gives its one error line and exit status,
// no panic, and clobbers nothing.
func TestFaultBadInput(t *testing.T) {
	t.Parallel()
	k := testkdc.Start(t, testkdc.Options{})
	env := append(k.Env(), "LC_ALL=C")
	t.Run("flags", func(t *testing.T) { longTest(t); t.Parallel(); faultBadFlags(t, env) })
	t.Run("caches", func(t *testing.T) { longTest(t); t.Parallel(); faultHostileCaches(t, env) })
	t.Run("krb5.conf", func(t *testing.T) { t.Parallel(); faultHostileConf(t, k) })
	t.Run("symlinks", func(t *testing.T) { t.Parallel(); faultSymlinks(t, k) })
}

// faultBadFlags gives every flag of the real command line (newApp's, so a
// new flag is covered without touching this test) garbage values. The
// cache does not exist and there is no terminal, so no run can get as far
// as doing something: the flag's value is rejected (2) or the missing
// ticket is (1).
func faultBadFlags(t *testing.T, env []string) {
	var fc faultCounts
	defer fc.report(t)
	garbage := []string{"\x01garbage", "-1", "99999999999999999999d", "", "\xff\xfe\xfd", strings.Repeat("9", 4096), "%n%s%x", "0", "1d-1h", " "}
	// Values that are wrong for every parsed flag, so the status must be 2.
	alwaysBad := map[string]bool{"\x01garbage": true, "-1": true, "99999999999999999999d": true, "": true, "\xff\xfe\xfd": true, "%n%s%x": true}
	parsed := map[string]bool{"lifetime": true, "renewable": true, "interval": true, "min-lifetime": true}
	boolGarbage := []string{"maybe", "2", "", "\x01", "-1", "yes please"}

	type tc struct {
		args      []string
		codes     []int
		setsCache bool // the flag under test is -k: no second -k
	}
	var cases []tc
	for _, f := range kcli.App().Flags {
		names := f.Names()
		name := names[0]
		// By what the flag takes, not its type: krenew wraps urfave/cli's
		// flag types (internal/cli/app.go, withFixedNames).
		tv, known := f.(interface{ TakesValue() bool })
		switch {
		case known && tv.TakesValue():
			for _, v := range garbage {
				codes := []int{1, 2}
				if parsed[name] && alwaysBad[v] {
					codes = []int{2}
				}
				cases = append(cases, tc{[]string{"--" + name + "=" + v}, codes, name == "cache"})
			}
			for _, alias := range names[1:] {
				cases = append(cases, tc{[]string{"-" + alias, garbage[0]}, []int{1, 2}, name == "cache"})
			}
		case known:
			for _, v := range boolGarbage {
				cases = append(cases, tc{[]string{"--" + name + "=" + v}, []int{2}, false})
			}
		default:
			fc.fail("flag %v of type %T is not covered by this test", names, f)
		}
	}
	dir := t.TempDir()
	cc := "FILE:" + filepath.Join(dir, "no-such-cache")
	work := filepath.Join(dir, "cwd")
	if err := os.Mkdir(work, 0o755); err != nil {
		t.Fatal(err)
	}
	snapshot := faultDirSnapshot(dir)
	var jobs []func()
	for _, c := range cases {
		jobs = append(jobs, func() {
			fc.run()
			fc.inject()
			args := append([]string{}, c.args...)
			if !c.setsCache {
				args = append(args, "-k", cc)
			}
			code, out, err := faultExec(env, work, "", args...)
			if v := faultVerdict(code, out, err, c.codes...); v != "" {
				fc.fail("krenew %q: %s", args, v)
			}
		})
	}
	faultParallel(jobs)
	if now := faultDirSnapshot(dir); now != snapshot {
		fc.fail("bad flags changed files:\nbefore:\n%s\nafter:\n%s", snapshot, now)
	}
}

// faultCorpus reads Go fuzz corpus files ([]byte values only).
func faultCorpus(t *testing.T, dir string) map[string][]byte {
	out := map[string][]byte{}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Logf("no fuzz corpus in %s (%v): replaying fixtures and crafted files only", dir, err)
		return out
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(string(b)), "\n")
		if len(lines) != 2 || !strings.HasPrefix(lines[0], "go test fuzz v1") {
			continue
		}
		lit, ok := strings.CutPrefix(lines[1], "[]byte(")
		lit, ok2 := strings.CutSuffix(lit, ")")
		if !ok || !ok2 {
			continue
		}
		v, err := strconv.Unquote(lit)
		if err != nil {
			continue
		}
		out["corpus/"+e.Name()] = []byte(v)
	}
	return out
}

// faultHostileCacheFiles is the corpus replayed as caches: the fuzz
// corpus, MIT's own files cut short, and files crafted to claim absurd
// sizes. Only contents krenew's codec rejects are kept: a cut at a
// credential boundary is a valid, smaller cache.
func faultHostileCacheFiles(t *testing.T) map[string][]byte {
	files := faultCorpus(t, filepath.Join("ccache", "testdata", "fuzz", "FuzzParse"))
	for _, name := range []string{"mit-v4.ccache", "mit-v3.ccache", "mit-v4-renewed.ccache"} {
		full := readFile(t, filepath.Join("ccache", "testdata", name))
		cuts := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 12, 16, len(full) / 2, len(full) - 1}
		for n := 20; n < len(full); n += 97 {
			cuts = append(cuts, n)
		}
		for _, n := range cuts {
			files[fmt.Sprintf("%s[:%d]", name, n)] = full[:n]
		}
		if name != "mit-v4.ccache" {
			continue
		}
		hdrEnd := 4 + int(binary.BigEndian.Uint16(full[2:4]))
		patch := func(what string, off int, v []byte) {
			b := bytes.Clone(full)
			copy(b[off:], v)
			files[name+" "+what] = b
		}
		patch("header length 0xffff", 2, []byte{0xff, 0xff})
		patch("principal component count 2^32-1", hdrEnd+4, []byte{0xff, 0xff, 0xff, 0xff})
		patch("realm length 2^32-1", hdrEnd+8, []byte{0xff, 0xff, 0xff, 0xff})
		patch("realm length 2^31", hdrEnd+8, []byte{0x80, 0, 0, 0})
		for _, v := range [][]byte{{5, 1}, {5, 2}, {5, 5}, {6, 4}, {0, 0}} {
			patch(fmt.Sprintf("version %d.%d", v[0], v[1]), 0, v)
		}
	}
	files["4 KiB of zeros"] = make([]byte, 4096)
	r := rand.New(rand.NewPCG(7, 7))
	noise := make([]byte, 4096)
	for i := range noise {
		noise[i] = byte(r.Uint32())
	}
	files["4 KiB of noise"] = noise
	for name, b := range files {
		if _, err := ccache.Parse(b); err == nil {
			delete(files, name)
		}
	}
	return files
}

// faultHostileCaches replays hostile files as the cache of --status and
// --once: exit 1, one error line, no panic, the file untouched. Then the
// same for what is not a file at all, and for a file over the size limit.
func faultHostileCaches(t *testing.T, env []string) {
	var fc faultCounts
	defer fc.report(t)
	files := faultHostileCacheFiles(t)
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	slices.Sort(names)
	base := t.TempDir()
	var jobs []func()
	for i, name := range names {
		dir := filepath.Join(base, strconv.Itoa(i))
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, "cc")
		if err := os.WriteFile(path, files[name], 0o600); err != nil {
			t.Fatal(err)
		}
		for _, mode := range faultCacheModes {
			jobs = append(jobs, func() { faultHostileCache(&fc, env, name, mode, path) })
		}
	}
	special := filepath.Join(base, "special")
	if err := os.Mkdir(special, 0o700); err != nil {
		t.Fatal(err)
	}
	fifo, subdir, huge := filepath.Join(special, "fifo"), filepath.Join(special, "dir"), filepath.Join(special, "huge")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(subdir, 0o700); err != nil {
		t.Fatal(err)
	}
	// Sparse: 65 MiB that cost nothing, far over the store's 8 MiB limit.
	if f, err := os.Create(huge); err != nil {
		t.Fatal(err)
	} else {
		f.Write([]byte{5, 4})
		f.Truncate(65 << 20)
		f.Close()
	}
	for _, p := range []string{fifo, subdir, huge} {
		for _, mode := range faultCacheModes {
			jobs = append(jobs, func() { faultHostileCache(&fc, env, filepath.Base(p), mode, p) })
		}
	}
	t.Logf("%d hostile cache files, %d runs", len(files)+3, len(jobs))
	faultParallel(jobs)
}

// faultRegularContent reads path if it is a regular file: opening a FIFO
// would block.
func faultRegularContent(path string) []byte {
	if fi, err := os.Lstat(path); err != nil || !fi.Mode().IsRegular() {
		return nil
	}
	b, _ := os.ReadFile(path)
	return b
}

// faultCacheModes read a hostile cache (--status, --once) or would write
// one (--init with a good password: a corrupt cache must not be silently
// replaced).
var faultCacheModes = [][]string{{"--status"}, {"--once"}, {"--once", "--init", "--password-stdin", "-u", "alice"}}

func faultHostileCache(fc *faultCounts, env []string, name string, mode []string, path string) {
	fc.run()
	fc.inject()
	before := faultDirSnapshot(filepath.Dir(path))
	content := faultRegularContent(path)
	code, out, err := faultExec(env, filepath.Dir(path), testkdc.AlicePassword+"\n", append(slices.Clone(mode), "-k", "FILE:"+path)...)
	if v := faultVerdict(code, out, err, 1); v != "" {
		fc.fail("krenew %s on %s: %s", mode, name, v)
	}
	after := faultRegularContent(path)
	if now := faultDirSnapshot(filepath.Dir(path)); now != before || !bytes.Equal(content, after) {
		fc.fail("krenew %s on %s changed the cache or its directory:\nbefore:\n%s\nafter:\n%s", mode, name, before, now)
	}
}

// faultHostileConf points KRB5_CONFIG at broken configurations while
// the cache holds a good ticket: one error line, exit 1, no panic, the
// cache untouched. Every file that gets past parsing turns DNS lookups
// off, so that nothing leaves 127.0.0.1.
//
// Not covered, and reported instead: "include" of a FIFO nobody writes
// to. krenew then blocks in open(2) for ever and, since it catches
// SIGTERM/SIGINT/SIGHUP from the start, cannot be stopped by them either
// (MIT kinit blocks too, but dies on SIGTERM).
func faultHostileConf(t *testing.T, k *testkdc.KDC) {
	var fc faultCounts
	defer fc.report(t)
	dir := t.TempDir()
	cc, cachePath := cacheIn(t, "cc")
	mitKinit(t, k, cc, "alice", testkdc.AlicePassword, "-l", "1h", "-r", "2h")
	good := readFile(t, cachePath)
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	noDNS := "[libdefaults]\n dns_lookup_kdc = false\n dns_lookup_realm = false\n"
	loopDir := filepath.Join(dir, "loop.d")
	if err := os.Mkdir(loopDir, 0o755); err != nil {
		t.Fatal(err)
	}
	write("loop.d/a.conf", "includedir "+loopDir+"\n")
	r := rand.New(rand.NewPCG(11, 11))
	noise := make([]byte, 2048)
	for i := range noise {
		noise[i] = byte(r.Uint32())
	}
	chain := write("chain-0.conf", noDNS)
	for i := 1; i <= 20; i++ {
		chain = write(fmt.Sprintf("chain-%d.conf", i), "include "+chain+"\n")
	}
	self := filepath.Join(dir, "self.conf")
	write("self.conf", noDNS+"include "+self+"\n")
	cases := []struct {
		name string
		conf string
		args []string
	}{
		{"missing realm, renewing", write("norealm.conf", noDNS), []string{"--once", "-k", cc}},
		{"missing realm, new ticket", filepath.Join(dir, "norealm.conf"), []string{"--once", "--init", "--password-stdin", "-u", "alice", "-k", cc}},
		{"realm without a KDC", write("nokdc.conf", noDNS+" default_realm = "+testkdc.Realm+"\n[realms]\n "+testkdc.Realm+" = {\n }\n"), []string{"--once", "-k", cc}},
		{"includedir loop", write("loop.conf", noDNS+"includedir "+loopDir+"\n"), []string{"--once", "-k", cc}},
		{"include of itself", self, []string{"--once", "-k", cc}},
		{"includes nested 20 deep", chain, []string{"--once", "-k", cc}},
		{"include of a directory", write("incdir.conf", noDNS+"include "+loopDir+"\n"), []string{"--once", "-k", cc}},
		// Unreadable even for root: reading offset 0 of one's own memory is EIO.
		{"include of an unreadable file", write("eio.conf", noDNS+"include /proc/self/mem\n"), []string{"--once", "-k", cc}},
		{"include of an endless file", write("zero.conf", noDNS+"include /dev/zero\n"), []string{"--once", "-k", cc}},
		{"include of a missing file", write("missing.conf", noDNS+"include "+filepath.Join(dir, "nope.conf")+"\n"), []string{"--once", "-k", cc}},
		{"garbage bytes", write("garbage.conf", noDNS+string(noise)), []string{"--once", "-k", cc}},
		{"garbage bytes, --status", filepath.Join(dir, "garbage.conf"), []string{"--status", "-k", cc}},
		{"unterminated group", write("group.conf", noDNS+"[realms]\n "+testkdc.Realm+" = {\n  kdc = 127.0.0.1:1\n"), []string{"--once", "-k", cc}},
	}
	var jobs []func()
	for _, c := range cases {
		jobs = append(jobs, func() {
			fc.run()
			fc.inject()
			code, out, err := faultExec(append(k.Env(), "LC_ALL=C", "KRB5_CONFIG="+c.conf), dir, testkdc.AlicePassword+"\n", c.args...)
			if v := faultVerdict(code, out, err, 1); v != "" {
				fc.fail("%s: %s", c.name, v)
			}
		})
	}
	faultParallel(jobs)
	if !bytes.Equal(readFile(t, cachePath), good) {
		fc.fail("a hostile krb5.conf run changed the cache")
	}
}

// faultSymlinks: symbolic links planted where krenew writes.
//
// At the temporary file's name: the name ends in 48 random bits, so a
// planted link cannot be hit from outside; what a hit does (O_EXCL|
// O_NOFOLLOW: the link is neither followed nor replaced, another name is
// tried) is checked in ccache's TestTempNameCollisionsAreNotFollowed, which
// fixes the name. End to end this plants a crowd of links with the right
// pattern and checks that renewals neither follow, remove nor trip over
// them. At the cache's own name (planted before a run, or swapped in under
// a running daemon) the link must be refused and its target left alone.
func faultSymlinks(t *testing.T, k *testkdc.KDC) {
	var fc faultCounts
	defer fc.report(t)
	env := append(k.Env(), "LC_ALL=C")
	victimDir := t.TempDir()
	victim := filepath.Join(victimDir, "victim")
	victimText := []byte("a file krenew must never write\n")
	if err := os.WriteFile(victim, victimText, 0o600); err != nil {
		t.Fatal(err)
	}

	// A crowd of links at the temporary file's pattern around a daemon.
	cc, path := cacheIn(t, "cc")
	pid := startDaemon(t, k, testkdc.AlicePassword+"\n", "--password-stdin", "-u", "alice", "-l", "1h", "-r", "2h", "-k", cc)
	var planted []string
	for i := 0; i < 64; i++ {
		p := filepath.Join(filepath.Dir(path), fmt.Sprintf(".cc.krenew-%012x", rand.Uint64()&(1<<48-1)))
		if err := os.Symlink(victim, p); err != nil {
			t.Fatal(err)
		}
		planted = append(planted, p)
	}
	for i := 0; i < 20; i++ {
		fc.run()
		fc.inject()
		ino := faultInode(path)
		syscall.Kill(pid, syscall.SIGALRM)
		if !faultPoll(10*time.Second, 2*time.Millisecond, func() bool { return faultInode(path) != ino }) {
			fc.fail("renewal %d with planted links did not complete", i)
			break
		}
	}
	for _, p := range planted {
		if target, err := os.Readlink(p); err != nil || target != victim {
			fc.fail("planted link %s: now %q, %v", p, target, err)
		}
	}
	if err := faultKlist(env, cc); err != nil {
		fc.fail("after renewals among planted links: %v", err)
	}

	// The cache itself is a link, before krenew starts.
	fc.run()
	fc.inject()
	link := filepath.Join(t.TempDir(), "cc")
	if err := os.Symlink(victim, link); err != nil {
		t.Fatal(err)
	}
	for _, mode := range [][]string{{"--once"}, {"--status"}, {"--foreground", "--password-stdin", "-u", "alice", "-l", "1h"}} {
		code, out, err := faultExec(env, victimDir, testkdc.AlicePassword+"\n", append(mode, "-k", "FILE:"+link)...)
		if v := faultVerdict(code, out, err, 1); v != "" {
			fc.fail("krenew %v on a cache that is a symlink: %s", mode, v)
		} else if !strings.Contains(out, "symbolic link") {
			fc.fail("krenew %v on a cache that is a symlink does not say so:\n%s", mode, out)
		}
	}

	// A link swapped in for the cache under a running daemon.
	fc.run()
	fc.inject()
	cc2, path2 := cacheIn(t, "cc")
	mitKinit(t, k, cc2, "alice", testkdc.AlicePassword, "-l", "1h", "-r", "2h")
	b := faultForeground(t, env, nil, krenewBin, "", "-k", cc2)
	swap := path2 + ".link"
	if err := os.Symlink(victim, swap); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(swap, path2); err != nil {
		t.Fatal(err)
	}
	syscall.Kill(b.cmd.Process.Pid, syscall.SIGALRM)
	if code := b.wait(t, 15*time.Second); code != 1 || b.count("symbolic link") == 0 {
		fc.fail("daemon whose cache became a symlink: exit %d, want 1 with the reason logged", code)
	}
	if target, err := os.Readlink(path2); err != nil || target != victim {
		fc.fail("the swapped-in link was replaced: %q, %v", target, err)
	}

	if got, _ := os.ReadFile(victim); !bytes.Equal(got, victimText) {
		fc.fail("the symlinks' target was written: %q", got)
	}
}

// A daemon frozen (SIGSTOP) past its renewal point renews as soon as it
// continues; one frozen past the ticket's end says the ticket expired and
// exits 1 without asking the KDC. See the comment at the top of this file
// for how this relates to a real suspend.
func TestFaultFrozenDaemon(t *testing.T) {
	longTest(t)
	t.Parallel()
	var fc faultCounts
	defer fc.report(t)
	k := testkdc.Start(t, testkdc.Options{})
	cc, path := cacheIn(t, "cc")
	b := faultForeground(t, append(k.Env(), "LC_ALL=C"), nil, krenewBin, testkdc.AlicePassword+"\n",
		"--password-stdin", "-u", "alice", "-l", "10s", "-r", "2m", "-k", cc)
	pid := b.cmd.Process.Pid
	first, err := faultTicket(path, alice)
	if err != nil {
		t.Fatal(err)
	}

	// Frozen from now until 3 s before the end: past the half-life plan.
	fc.run()
	fc.inject()
	syscall.Kill(pid, syscall.SIGSTOP)
	time.Sleep(time.Until(first.Add(-3 * time.Second)))
	syscall.Kill(pid, syscall.SIGCONT)
	resumed := time.Now()
	// The log line comes after the cache is written: waiting for it means
	// the renewal is over, so the next freeze cannot split it.
	if !faultPoll(2*time.Second, 10*time.Millisecond, func() bool { return b.count("renewed "+alice) == 1 }) {
		fc.fail("no renewal within 2s of continuing past the renewal point:\n%s", b.text())
	}
	t.Logf("renewed %s after SIGCONT", time.Since(resumed).Round(time.Millisecond))
	second, err := faultTicket(path, alice)
	if err != nil || !second.After(first) {
		t.Fatalf("after the renewal the cache holds a ticket until %s (%v), before until %s", second, err, first)
	}

	// Frozen until 2 s past the end of the renewed ticket.
	fc.run()
	fc.inject()
	syscall.Kill(pid, syscall.SIGSTOP)
	renewals := b.count("renewed " + alice)
	time.Sleep(time.Until(second.Add(2 * time.Second)))
	syscall.Kill(pid, syscall.SIGCONT)
	if code := b.wait(t, 10*time.Second); code != 1 {
		fc.fail("continued after the ticket's end: exit %d, want 1", code)
	}
	if b.count("expired at") != 1 || b.count("renewed "+alice) != renewals {
		fc.fail("want one expiry message and no renewal attempt after the end:\n%s", b.text())
	}
}
