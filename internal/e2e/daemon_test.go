package e2e

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/krenew/krenew/internal/testkdc"
)

// The main use: one prompt, the shell back at once, renewals until
// renew-till, klist -s never failing, then the daemon leaves by itself.
func TestDaemonRenewsUntilRenewTill(t *testing.T) {
	longTest(t)
	t.Parallel()
	k := testkdc.Start(t, testkdc.Options{})
	cc, path := cacheIn(t, "cc")
	pidfile := filepath.Join(t.TempDir(), "krenew.pid")
	pid := startDaemon(t, k, testkdc.AlicePassword+"\n", "--password-stdin", "-u", "alice", "-l", "20s", "-r", "90s", "-k", cc, "-p", pidfile)
	if b, err := os.ReadFile(pidfile); err != nil || strings.TrimSpace(string(b)) != strconv.Itoa(pid) {
		t.Errorf("pidfile holds %q (%v), daemon is %d", b, err, pid)
	}
	ends := map[time.Time]bool{}
	var last testkdc.Ticket
	for alive(pid) {
		if _, errOut, code := k.Run(t, "klist", "-s", "-c", cc); code != 0 {
			t.Fatalf("klist -s failed while the daemon ran: %s", errOut)
		}
		last = testkdc.Klist(t, k, cc)
		ends[last.Expires] = true
		time.Sleep(time.Second)
		if len(ends) > 30 {
			t.Fatal("too many renewals")
		}
	}
	if len(ends) < 5 {
		t.Errorf("saw %d end times, want the first plus at least 4 renewals", len(ends))
	}
	final := testkdc.Klist(t, k, cc)
	if d := final.RenewUntil.Sub(final.Expires); d < 0 || d > time.Second {
		t.Errorf("final ticket ends %s, renew-till %s", final.Expires, final.RenewUntil)
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("cache gone after the daemon ended: %v", err)
	}
	if _, err := os.Stat(pidfile); !os.IsNotExist(err) {
		t.Errorf("pidfile left behind: %v", err)
	}
}

// In the foreground the same run exits 0 and says why.
func TestForegroundExitsAtEndOfRenewableLife(t *testing.T) {
	longTest(t)
	t.Parallel()
	k := testkdc.Start(t, testkdc.Options{})
	cc, _ := cacheIn(t, "cc")
	r := krenew(t, k, testkdc.AlicePassword+"\n", "--foreground", "--password-stdin", "-u", "alice", "-l", "10s", "-r", "30s", "-k", cc)
	if r.code != 0 {
		t.Fatalf("exit %d", r.code)
	}
	if !strings.Contains(r.stderr, "renewable lifetime of "+alice+" ends at ") || !strings.Contains(r.stderr, "; exiting") {
		t.Errorf("no end-of-life line:\n%s", r.stderr)
	}
	// It says what it does at once, as the detached start does, not only
	// at its first renewal (issue 18).
	if first, _, _ := strings.Cut(r.stderr, "\n"); !strings.Contains(first, "renewing "+alice+" in "+cc+" until ") {
		t.Errorf("first line %q is not the start line:\n%s", first, r.stderr)
	}
	if n := strings.Count(r.stderr, "renewed "+alice); n < 2 {
		t.Errorf("%d renewals logged", n)
	}
}

// The daemon never had the password: not in argv, environment or memory.
func TestDaemonNeverHoldsPassword(t *testing.T) {
	longTest(t)
	t.Parallel()
	k := testkdc.Start(t, testkdc.Options{})
	const password = "Zq8-daemon-must-never-see-this-9xK"
	k.AddPrincipal(t, "carol", password)
	cc, _ := cacheIn(t, "cc")
	envDump := filepath.Join(t.TempDir(), "aklog-env")
	aklog := filepath.Join(t.TempDir(), "aklog")
	writeProgram(t, aklog, "#!/bin/sh\nenv > "+envDump+"\n")
	began := time.Now()
	r := krenewEnv(t, k, []string{"AKLOG=" + aklog}, password+"\n", "--password-stdin", "-t", "-u", "carol", "-l", "1h", "-r", "2h", "-k", cc)
	m := detachedPid.FindStringSubmatch(r.stderr)
	if r.code != 0 || m == nil || time.Since(began) > 10*time.Second {
		t.Fatalf("krenew: exit %d after %s\n%s", r.code, time.Since(began), r.stderr)
	}
	pid, _ := strconv.Atoi(m[1])
	t.Cleanup(func() { syscall.Kill(pid, syscall.SIGKILL) })
	proc := "/proc/" + strconv.Itoa(pid)
	for _, f := range []string{"cmdline", "environ"} {
		b, err := os.ReadFile(proc + "/" + f)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte(password)) {
			t.Errorf("password in the daemon's %s", f)
		}
	}
	// Renew once so that the daemon has done real work with its memory,
	// and ran aklog, whose environment must not carry go-daemon's marker.
	syscall.Kill(pid, syscall.SIGALRM)
	deadline := time.Now().Add(5 * time.Second)
	for {
		env, err := os.ReadFile(envDump)
		if err == nil && bytes.Contains(env, []byte("KRB5CCNAME=")) {
			if bytes.Contains(env, []byte("_GO_DAEMON")) {
				t.Errorf("a process the daemon started inherited _GO_DAEMON")
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("aklog did not run after SIGALRM")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if found, scanned := scanMemory(t, pid, []byte(password)); found || scanned < 1<<20 {
		t.Fatalf("password found: %v, after scanning %d bytes", found, scanned)
	}
	// The scan must be able to find what is there: the principal is.
	if found, _ := scanMemory(t, pid, []byte("carol@"+testkdc.Realm)); !found {
		t.Fatal("the memory scan cannot even find the principal's name; it proves nothing")
	}
}

// scanMemory reads every readable mapping of pid and reports whether
// needle is in one, and how many bytes it read.
func scanMemory(t *testing.T, pid int, b []byte) (found bool, total int) {
	t.Helper()
	got, total := scanMemoryFor(t, pid, []needle{{name: "the needle", b: b}})
	return got["the needle"], total
}

// A second krenew on the same cache says who renews it, exits 0, does
// not prompt and does not start a second daemon.
func TestSecondKrenewFindsTheFirst(t *testing.T) {
	t.Parallel()
	k := testkdc.Start(t, testkdc.Options{})
	cc, _ := cacheIn(t, "cc")
	pid := startDaemon(t, k, testkdc.AlicePassword+"\n", "--password-stdin", "-u", "alice", "-l", "1h", "-r", "2h", "-k", cc)
	// From cron or a login script (stderr not a terminal) it is silent.
	if r := krenew(t, k, "", "-k", cc); r.code != 0 || r.stderr != "" || r.stdout != "" {
		t.Errorf("second krenew without a terminal: exit %d, output %q %q; want 0 and silence", r.code, r.stdout, r.stderr)
	}
	r := krenew(t, k, "", "-v", "-k", cc)
	want := alice + " in " + cc + " is already renewed by pid " + strconv.Itoa(pid) + " until "
	if r.code != 0 || !strings.Contains(r.stderr, "krenew: "+want) {
		t.Fatalf("exit %d, want %q in:\n%s", r.code, want, r.stderr)
	}
	if strings.Contains(r.stderr, "Password") || strings.Contains(r.stderr, "(pid ") && !strings.Contains(r.stderr, "already") {
		t.Errorf("second krenew prompted or started a daemon:\n%s", r.stderr)
	}
	st := krenew(t, k, "", "--status", "-k", cc)
	if st.code != 0 || !strings.Contains(st.stdout, "renewed by:    krenew pid "+strconv.Itoa(pid)) || strings.Contains(st.stdout, "next renewal:  none") {
		t.Errorf("--status does not show the daemon and its plan:\n%s", st.stdout)
	}
}

// SIGALRM renews at once; SIGTERM removes the pidfile and ends the daemon;
// kdestroy ends it too, and the cache stays destroyed.
func TestDaemonSignalsAndKdestroy(t *testing.T) {
	t.Parallel()
	k := testkdc.Start(t, testkdc.Options{})
	cc, path := cacheIn(t, "cc")
	pidfile := filepath.Join(t.TempDir(), "pid")
	pid := startDaemon(t, k, testkdc.AlicePassword+"\n", "--password-stdin", "-u", "alice", "-l", "1h", "-r", "2h", "-k", cc, "-p", pidfile)
	before := testkdc.Klist(t, k, cc)
	time.Sleep(1100 * time.Millisecond)
	syscall.Kill(pid, syscall.SIGALRM)
	deadline := time.Now().Add(5 * time.Second)
	for !testkdc.Klist(t, k, cc).Start.After(before.Start) {
		if time.Now().After(deadline) {
			t.Fatal("SIGALRM did not renew within 5s")
		}
		time.Sleep(100 * time.Millisecond)
	}
	syscall.Kill(pid, syscall.SIGTERM)
	waitGone(t, pid, 5*time.Second)
	if _, err := os.Stat(pidfile); !os.IsNotExist(err) {
		t.Errorf("pidfile left after SIGTERM: %v", err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("SIGTERM removed the cache: %v", err)
	}

	pid = startDaemon(t, k, "", "-k", cc, "-l", "1h")
	if _, errOut, code := k.Run(t, "kdestroy", "-c", cc); code != 0 {
		t.Fatal(errOut)
	}
	waitGone(t, pid, 70*time.Second)
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("the cache came back after kdestroy: %v", err)
	}
}

// KDC down longer than a renewal interval: renewed within one backoff
// step of its return, and the ticket never lapses meanwhile.
func TestDaemonSurvivesKDCOutage(t *testing.T) {
	longTest(t)
	t.Parallel()
	k := testkdc.Start(t, testkdc.Options{})
	cc, _ := cacheIn(t, "cc")
	pid := startDaemon(t, k, testkdc.AlicePassword+"\n", "--password-stdin", "-u", "alice", "-l", "20s", "-r", "200s", "-k", cc)
	first := testkdc.Klist(t, k, cc)
	k.Stop()
	time.Sleep(12 * time.Second) // longer than the 10s renewal interval
	if _, errOut, code := k.Run(t, "klist", "-s", "-c", cc); code != 0 {
		t.Fatalf("ticket lapsed during the outage: %s", errOut)
	}
	k.Restart(t)
	back := time.Now()
	for {
		if tk := testkdc.Klist(t, k, cc); tk.Expires.After(first.Expires) {
			break
		}
		// Backoff is capped at lifetime/8 = 2.5s plus 50% jitter.
		if time.Since(back) > 5*time.Second {
			t.Fatalf("no renewal within 5s of the KDC's return")
		}
		time.Sleep(200 * time.Millisecond)
	}
	if !alive(pid) {
		t.Fatal("daemon died during the outage")
	}
}

// Two KDCs, the first dead: renewals go through the second.
func TestSecondKDCIsUsed(t *testing.T) {
	longTest(t)
	t.Parallel()
	k := testkdc.Start(t, testkdc.Options{})
	dead := testkdc.FreePort(t)
	conf := filepath.Join(t.TempDir(), "krb5.conf")
	text := "[libdefaults]\n default_realm = " + testkdc.Realm + "\n dns_lookup_kdc = false\n" +
		"[realms]\n " + testkdc.Realm + " = {\n  kdc = 127.0.0.1:" + strconv.Itoa(dead) + "\n  kdc = 127.0.0.1:" + strconv.Itoa(k.Port) + "\n }\n"
	if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	cc, _ := cacheIn(t, "cc")
	env := []string{"KRB5_CONFIG=" + conf}
	r := krenewEnv(t, k, env, testkdc.AlicePassword+"\n", "--foreground", "--password-stdin", "-u", "alice", "-l", "6s", "-r", "15s", "-k", cc)
	if r.code != 0 {
		t.Fatalf("exit %d", r.code)
	}
	if n := strings.Count(r.stderr, "renewed "+alice); n < 2 {
		t.Errorf("%d renewals through the second KDC:\n%s", n, r.stderr)
	}
}

// --wait-lock: the newcomer returns at once, waits, and takes over when
// the first daemon exits.
func TestWaitLockTakesOver(t *testing.T) {
	t.Parallel()
	k := testkdc.Start(t, testkdc.Options{})
	cc, _ := cacheIn(t, "cc")
	first := startDaemon(t, k, testkdc.AlicePassword+"\n", "--password-stdin", "-u", "alice", "-l", "1h", "-r", "2h", "-k", cc)
	r := krenew(t, k, "", "--wait-lock", "-k", cc)
	m := regexp.MustCompile(`pid (\d+) will take over renewing ` + regexp.QuoteMeta(alice) + ` in ` + regexp.QuoteMeta(cc) + ` when pid ` + strconv.Itoa(first) + ` exits`).FindStringSubmatch(r.stderr)
	if r.code != 0 || m == nil {
		t.Fatalf("exit %d, no take-over notice:\n%s", r.code, r.stderr)
	}
	second, _ := strconv.Atoi(m[1])
	t.Cleanup(func() { syscall.Kill(second, syscall.SIGKILL) })
	if !alive(second) {
		t.Fatal("the waiting daemon is not running")
	}
	syscall.Kill(first, syscall.SIGTERM)
	waitGone(t, first, 5*time.Second)
	deadline := time.Now().Add(5 * time.Second)
	for {
		st := krenew(t, k, "", "--status", "-k", cc)
		if strings.Contains(st.stdout, "renewed by:    krenew pid "+strconv.Itoa(second)) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("pid %d did not take over:\n%s", second, st.stdout)
		}
		time.Sleep(300 * time.Millisecond)
	}
	before := testkdc.Klist(t, k, cc)
	time.Sleep(1100 * time.Millisecond)
	syscall.Kill(second, syscall.SIGALRM)
	deadline = time.Now().Add(5 * time.Second)
	for !testkdc.Klist(t, k, cc).Start.After(before.Start) {
		if time.Now().After(deadline) {
			t.Fatal("the daemon that took over does not renew")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// A detached daemon that cannot start says why through the parent, as the
// foreground would: one error line, a failure status, no daemon left,
// and the ticket the parent put in place untouched. (The hint's way
// through the parent is daemon's TestDetachFailWithHint and cli's
// TestDetachedFailureKeepsHintAndExitStatus.)
func TestDetachedStartFailureReachesParent(t *testing.T) {
	t.Parallel()
	k := testkdc.Start(t, testkdc.Options{})
	cc, path := cacheIn(t, "cc")
	mitKinit(t, k, cc, "alice", testkdc.AlicePassword, "-l", "1h", "-r", "2h")
	before := readFile(t, path)
	pidfile := filepath.Join(t.TempDir(), "no-such-dir", "krenew.pid")
	r := krenew(t, k, "", "-k", cc, "-p", pidfile)
	reapDetached(t, r)
	wantOneError(t, r, 1, "the renewal daemon for alice@"+testkdc.Realm+" did not start", "cannot write pidfile "+pidfile)
	noDaemonLeft(t, k, cc)
	sameBytes(t, "krenew whose daemon failed", path, before)
}
