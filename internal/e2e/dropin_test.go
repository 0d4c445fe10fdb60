package e2e

// Acceptance tests for krenew as a drop-in for kstart's krenew/k5start and
// MIT kinit -R/klist -s (issue 12). Each test runs the peer on a byte-for-
// byte copy of the same ticket and compares what the two do, where the
// contract says they do the same.

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/krenew/krenew/ccache"
	"github.com/krenew/krenew/internal/testkdc"
)

// wantNoRenewalPastEnd is how krenew describes a ticket that has the R flag but
// a renew-till no later than its end time.
const wantNoRenewalPastEnd = "the realm allows no renewal past its end"

// -K N without -b stays in the foreground, as kstart's krenew -K does;
// -K N -b detaches.
func TestDropInIntervalStaysInForeground(t *testing.T) {
	t.Parallel()
	k := testkdc.Start(t, testkdc.Options{})
	cc, path := cacheIn(t, "cc")
	mitKinit(t, k, cc, "alice", testkdc.AlicePassword, "-l", "1h", "-r", "1d")
	_, kpath := copyCacheFile(t, path, "kstart")
	cc3, _ := copyCacheFile(t, path, "background")
	dir := t.TempDir()
	pidfile, kpidfile := filepath.Join(dir, "ours.pid"), filepath.Join(dir, "kstart.pid")
	env := append(k.Env(), "LC_ALL=C")

	b := startBackground(t, env, "", krenewBin, "-K", "1", "-k", cc, "-p", pidfile)
	kb := startBackground(t, env, "", kstartKrenew, "-K", "1", "-k", kpath, "-p", kpidfile)
	// Should ours detach after all, its daemon must not outlive the test
	// (this cleanup runs before startBackground's).
	t.Cleanup(func() {
		if pid := pidInFile(pidfile); pid > 1 && pid != b.cmd.Process.Pid {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	})
	time.Sleep(3 * time.Second)

	if !stillRunning(kb) {
		t.Errorf("oracle: kstart krenew -K 1 exited (status %d) within 3s; it does not stay in the foreground:\n%s", kb.code, kb.text())
	} else {
		if got := pidInFile(kpidfile); got != kb.cmd.Process.Pid {
			t.Errorf("oracle: kstart's pidfile holds %d, want its own pid %d", got, kb.cmd.Process.Pid)
		}
		kb.cmd.Process.Signal(syscall.SIGTERM)
		if code := kb.wait(t, 5*time.Second); code != 0 {
			t.Errorf("oracle: kstart krenew -K 1 exited %d after SIGTERM, want 0", code)
		}
		if _, err := os.Stat(kpidfile); !os.IsNotExist(err) {
			t.Errorf("oracle: kstart left its pidfile after SIGTERM: %v", err)
		}
	}

	if !stillRunning(b) {
		t.Fatalf("krenew -K 1 exited (status %d) within 3s instead of staying in the foreground; pidfile holds %d:\n%s",
			b.code, pidInFile(pidfile), b.text())
	}
	if got := pidInFile(pidfile); got != b.cmd.Process.Pid {
		t.Errorf("pidfile holds %d, want the foreground process %d", got, b.cmd.Process.Pid)
	}
	b.cmd.Process.Signal(syscall.SIGTERM)
	if code := b.wait(t, 5*time.Second); code != 0 {
		t.Errorf("krenew -K 1 exited %d after SIGTERM, want 0:\n%s", code, b.text())
	}
	if _, err := os.Stat(pidfile); !os.IsNotExist(err) {
		t.Errorf("pidfile left after SIGTERM: %v", err)
	}

	// -K 1 -b: back within 10s, and a daemon renews the cache; kstart's
	// krenew -K 1 -b detaches too.
	_, kpath4 := copyCacheFile(t, path, "kstart-background")
	kpidfile4 := filepath.Join(dir, "kstart-background.pid")
	t.Cleanup(func() {
		if pid := pidInFile(kpidfile4); pid > 1 {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	})
	kr, timedOut := runLimited(t, k, 10*time.Second, "", kstartKrenew, "-K", "1", "-b", "-k", kpath4, "-p", kpidfile4)
	if timedOut || kr.code != 0 {
		t.Errorf("oracle: kstart krenew -K 1 -b: exit %d (timed out: %v), want 0 at once", kr.code, timedOut)
	}
	for deadline := time.Now().Add(5 * time.Second); pidInFile(kpidfile4) == 0 && time.Now().Before(deadline); {
		time.Sleep(100 * time.Millisecond)
	}
	if kpid := pidInFile(kpidfile4); kpid == 0 || !alive(kpid) {
		t.Errorf("oracle: kstart krenew -K 1 -b left no running daemon (pidfile holds %d)", kpid)
	} else {
		syscall.Kill(kpid, syscall.SIGTERM)
		waitGone(t, kpid, 5*time.Second)
	}

	began := time.Now()
	r, timedOut := runLimited(t, k, 10*time.Second, "", krenewBin, "-K", "1", "-b", "-k", cc3)
	reapDetached(t, r)
	if timedOut || r.code != 0 {
		t.Fatalf("krenew -K 1 -b: exit %d after %s (timed out: %v)", r.code, time.Since(began), timedOut)
	}
	pid, st := statusHolder(t, k, cc3)
	if pid == 0 || !strings.Contains(st.stdout, "renewed by:") || !strings.Contains(st.stdout, "krenew pid") {
		t.Fatalf("no daemon renews %s after krenew -K 1 -b:\n%s", cc3, st.stdout)
	}
	syscall.Kill(pid, syscall.SIGTERM)
	waitGone(t, pid, 5*time.Second)
}

// -H N, ticket lasting longer than N minutes: nothing to do, as kstart.
func TestDropInHappyTicketLastsLongEnough(t *testing.T) {
	t.Parallel()
	k := testkdc.Start(t, testkdc.Options{})
	cc, path := cacheIn(t, "cc")
	mitKinit(t, k, cc, "alice", testkdc.AlicePassword, "-l", "2h", "-r", "1d")
	kcc, kpath := copyCacheFile(t, path, "kstart")
	orig := readFile(t, path)

	kr := peerLimited(t, k, "", kstartKrenew, "-H", "60", "-k", kcc)
	if kr.code != 0 {
		t.Errorf("oracle: kstart krenew -H 60 exited %d, want 0", kr.code)
	}
	sameBytes(t, "kstart krenew -H 60", kpath, orig)

	r := oursLimited(t, k, "", "-H", "60", "-k", cc)
	if r.code != 0 {
		t.Errorf("krenew -H 60 exited %d, want 0 like kstart", r.code)
	}
	sameBytes(t, "krenew -H 60", path, orig)
	noDaemonLeft(t, k, cc)
}

// -H N, ticket with less than N minutes left but renewable for longer:
// renewed once, exit 0, as kstart.
func TestDropInHappyTicketRenewedWhenShort(t *testing.T) {
	t.Parallel()
	k := testkdc.Start(t, testkdc.Options{MaxLife: 10 * time.Minute, MaxRenewLife: 3 * time.Hour})
	cc, path := cacheIn(t, "cc")
	mitKinit(t, k, cc, "alice", testkdc.AlicePassword, "-l", "10m", "-r", "3h")
	kcc, _ := copyCacheFile(t, path, "kstart")
	before := testkdc.Klist(t, k, cc)
	time.Sleep(1100 * time.Millisecond) // a renewal now ends a second later

	kr := peerLimited(t, k, "", kstartKrenew, "-H", "30", "-k", kcc)
	if kr.code != 0 {
		t.Errorf("oracle: kstart krenew -H 30 exited %d, want 0", kr.code)
	}
	if after := testkdc.Klist(t, k, kcc); !after.Expires.After(before.Expires) {
		t.Errorf("oracle: kstart krenew -H 30 did not renew: expires %s, before %s", after.Expires, before.Expires)
	}

	r := oursLimited(t, k, "", "-H", "30", "-k", cc)
	if r.code != 0 {
		t.Errorf("krenew -H 30 exited %d, want 0 like kstart", r.code)
	}
	if after := testkdc.Klist(t, k, cc); !after.Expires.After(before.Expires) {
		t.Errorf("krenew -H 30 did not renew: expires %s, before %s", after.Expires, before.Expires)
	}
	noDaemonLeft(t, k, cc)
}

// -H N when renew-till is less than N minutes away: exit 1, one error,
// cache untouched; kstart exits 1 too.
func TestDropInHappyTicketCannotRenewLongEnough(t *testing.T) {
	t.Parallel()
	k := testkdc.Start(t, testkdc.Options{MaxLife: 10 * time.Minute, MaxRenewLife: 3 * time.Hour})
	cc, path := cacheIn(t, "cc")
	mitKinit(t, k, cc, "alice", testkdc.AlicePassword, "-l", "10m", "-r", "2h")
	kcc, kpath := copyCacheFile(t, path, "kstart")
	orig := readFile(t, path)

	kr := peerLimited(t, k, "", kstartKrenew, "-H", "180", "-k", kcc)
	if kr.code != 1 {
		t.Errorf("oracle: kstart krenew -H 180 exited %d, want 1", kr.code)
	}
	if !strings.Contains(kr.stderr, "cannot be renewed for long enough") {
		t.Errorf("oracle: kstart krenew -H 180 does not say 'cannot be renewed for long enough':\n%s", kr.stderr)
	}
	if kb := readFile(t, kpath); string(kb) != string(orig) {
		t.Logf("oracle: kstart krenew -H 180 rewrote its copy of the cache before failing")
	} else {
		t.Logf("oracle: kstart krenew -H 180 left its copy of the cache unchanged")
	}

	r := oursLimited(t, k, "", "-H", "180", "-k", cc)
	wantOneError(t, r, 1, "cannot be renewed for long enough")
	sameBytes(t, "krenew -H 180", path, orig)
	noDaemonLeft(t, k, cc)
}

// -H N with a keytab: a new ticket when there is none, nothing when the
// one there lasts long enough; k5start -H does the same.
func TestDropInHappyTicketKeytab(t *testing.T) {
	t.Parallel()
	k := testkdc.Start(t, testkdc.Options{})
	kt := k.AddKeytab(t, testkdc.Service)
	service := k.Principal(testkdc.Service)
	check := func(t *testing.T, who string, run func() result, cc, path string) {
		t.Helper()
		if r := run(); r.code != 0 {
			t.Errorf("%s on an empty cache: exit %d, want 0", who, r.code)
		} else if len(r.errorLines()) != 0 {
			t.Errorf("%s printed errors:\n%s", who, r.stderr)
		}
		if _, err := os.Stat(path); err != nil {
			t.Fatalf("%s wrote no cache: %v", who, err)
		}
		if tk := testkdc.Klist(t, k, cc); tk.Principal != service {
			t.Errorf("%s: cache holds %s, want %s", who, tk.Principal, service)
		}
		first := readFile(t, path)
		if r := run(); r.code != 0 {
			t.Errorf("%s again: exit %d, want 0", who, r.code)
		}
		sameBytes(t, who+" again", path, first)
	}

	t.Run("k5start", func(t *testing.T) {
		t.Parallel()
		cc, path := cacheIn(t, "k5start")
		check(t, "k5start -q -H 60 -U -f", func() result {
			return peerLimited(t, k, "", kstartK5start, "-q", "-H", "60", "-U", "-f", kt, "-k", cc)
		}, cc, path)
	})
	t.Run("krenew", func(t *testing.T) {
		t.Parallel()
		cc, path := cacheIn(t, "krenew")
		check(t, "krenew -q -H 60 -U -f", func() result {
			return oursLimited(t, k, "", "-q", "-H", "60", "-U", "-f", kt, "-k", cc)
		}, cc, path)
		noDaemonLeft(t, k, cc)
	})
}

// -q/--quiet are kstart's; a second krenew on a renewed cache, with stderr
// not a terminal, says nothing (unless -v); -q hides the start notice.
func TestDropInQuiet(t *testing.T) {
	longTest(t)
	t.Parallel()
	k := testkdc.Start(t, testkdc.Options{})
	cc, _ := cacheIn(t, "cc")
	mitKinit(t, k, cc, "alice", testkdc.AlicePassword, "-l", "1h", "-r", "2h")
	pid := startDaemon(t, k, "", "-k", cc)

	r := oursLimited(t, k, "", "-k", cc)
	if r.code != 0 || r.stderr != "" || r.stdout != "" {
		t.Errorf("second krenew with stderr not a terminal: exit %d, want 0 and no output; stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	r = oursLimited(t, k, "", "-v", "-k", cc)
	if r.code != 0 || !strings.Contains(r.stderr, "already renewed by pid "+strconv.Itoa(pid)) {
		t.Errorf("second krenew -v: exit %d, want 0 and 'already renewed by pid %d':\n%s", r.code, pid, r.stderr)
	}
	for _, q := range []string{"-q", "--quiet"} {
		r = oursLimited(t, k, "", q, "-k", cc)
		if r.code == 2 {
			t.Errorf("%s is a usage error:\n%s", q, r.stderr)
		} else if r.code != 0 || r.stderr != "" || r.stdout != "" {
			t.Errorf("second krenew %s: exit %d, want 0 and no output; stdout %q, stderr %q", q, r.code, r.stdout, r.stderr)
		}
	}
	if got, _ := statusHolder(t, k, cc); got != pid {
		t.Errorf("after the second runs, --status names pid %d, want %d", got, pid)
	}

	cc2, _ := cacheIn(t, "cc2")
	mitKinit(t, k, cc2, "alice", testkdc.AlicePassword, "-l", "1h", "-r", "2h")
	pidfile := filepath.Join(t.TempDir(), "pid")
	t.Cleanup(func() {
		if pid := pidInFile(pidfile); pid > 1 {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	})
	r = oursLimited(t, k, "", "-q", "-k", cc2, "-p", pidfile)
	if r.code != 0 || r.stderr != "" || r.stdout != "" {
		t.Errorf("krenew -q starting a daemon: exit %d, want 0 and no output; stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	got, st := statusHolder(t, k, cc2)
	if got == 0 || !alive(got) {
		t.Fatalf("krenew -q started no daemon:\n%s", st.stdout)
	}
	if p := pidInFile(pidfile); p != got {
		t.Errorf("pidfile holds %d, --status names %d", p, got)
	}
	syscall.Kill(got, syscall.SIGTERM)
	waitGone(t, got, 5*time.Second)
}

// A realm whose max_renewable_life equals max_life issues tickets with the
// R flag whose renew-till is their end: renewable, but never past the end.
func TestDropInRenewableOnlyToItsEnd(t *testing.T) {
	t.Parallel()
	k := testkdc.Start(t, testkdc.Options{MaxLife: 20 * time.Hour, MaxRenewLife: 20 * time.Hour})
	cc, path := cacheIn(t, "cc")
	mitKinit(t, k, cc, "alice", testkdc.AlicePassword, "-l", "20h", "-r", "20h")
	tk := testkdc.Klist(t, k, cc)
	if !tk.HasFlag("R") || !tk.RenewUntil.Equal(tk.Expires) {
		t.Fatalf("oracle: want the R flag and renew until == expires, klist shows flags %q, expires %s, renew until %s",
			tk.Flags, tk.Expires, tk.RenewUntil)
	}

	t.Run("status", func(t *testing.T) {
		t.Parallel()
		c, _ := copyCacheFile(t, path, "status")
		st := oursLimited(t, k, "", "--status", "-k", c)
		if st.code != 0 {
			t.Errorf("--status: exit %d, want 0", st.code)
		}
		if !strings.Contains(st.stdout, wantNoRenewalPastEnd) {
			t.Errorf("--status lacks %q:\n%s", wantNoRenewalPastEnd, st.stdout)
		}
		for _, bad := range []string{"not renewable", "non-renewable", "used up"} {
			if strings.Contains(st.stdout, bad) {
				t.Errorf("--status says %q:\n%s", bad, st.stdout)
			}
		}
	})
	t.Run("once like kinit -R", func(t *testing.T) {
		t.Parallel()
		ca, _ := copyCacheFile(t, path, "kinit")
		cb, _ := copyCacheFile(t, path, "once")
		cq, _ := copyCacheFile(t, path, "quiet")
		kr := peerLimited(t, k, "", "kinit", "-R", "-c", ca)
		if kr.code != 0 {
			t.Errorf("oracle: kinit -R exited %d, want 0", kr.code)
		}
		r := oursLimited(t, k, "", "--once", "-k", cb)
		if r.code != kr.code || r.code != 0 {
			t.Errorf("--once: exit %d, kinit -R %d, want both 0", r.code, kr.code)
		}
		if !strings.Contains(r.stderr, wantNoRenewalPastEnd) || len(r.errorLines()) != 0 {
			t.Errorf("--once: want a notice with %q and no error line:\n%s", wantNoRenewalPastEnd, r.stderr)
		}
		r = oursLimited(t, k, "", "-q", "--once", "-k", cq)
		if r.code != 0 || r.stderr != "" {
			t.Errorf("-q --once: exit %d, want 0 and nothing on stderr: %q", r.code, r.stderr)
		}
	})
	t.Run("once init", func(t *testing.T) {
		t.Parallel()
		c, _ := cacheIn(t, "new")
		r := oursLimited(t, k, testkdc.AlicePassword+"\n", "--once", "--init", "--password-stdin", "-u", "alice", "-k", c)
		if r.code != 0 || !strings.Contains(r.stderr, wantNoRenewalPastEnd) || len(r.errorLines()) != 0 {
			t.Errorf("--once --init: exit %d, want 0, a notice with %q and no error line:\n%s", r.code, wantNoRenewalPastEnd, r.stderr)
		}
	})
	t.Run("daemon with a new ticket", func(t *testing.T) {
		t.Parallel()
		c, _ := cacheIn(t, "new2")
		r := oursLimited(t, k, testkdc.AlicePassword+"\n", "--foreground", "--password-stdin", "-u", "alice", "-k", c)
		wantOneError(t, r, 1, "is renewable, but "+wantNoRenewalPastEnd)
		if strings.Contains(r.stderr, "non-renewable") {
			t.Errorf("calls the ticket non-renewable:\n%s", r.stderr)
		}
	})
	t.Run("daemon with kinit's ticket", func(t *testing.T) {
		t.Parallel()
		c, _ := copyCacheFile(t, path, "daemon")
		r := oursLimited(t, k, "", "--foreground", "-k", c)
		wantOneError(t, r, 1, "is renewable, but "+wantNoRenewalPastEnd)
		if strings.Contains(r.stderr, "non-renewable") || strings.Contains(r.stderr, "no terminal to prompt") {
			t.Errorf("calls the ticket non-renewable or tried to prompt:\n%s", r.stderr)
		}
	})
	t.Run("bob", func(t *testing.T) {
		t.Parallel()
		c, _ := cacheIn(t, "bob")
		r := oursLimited(t, k, testkdc.BobPassword+"\n", "--once", "--init", "--password-stdin", "-u", "bob", "-k", c)
		wantOneError(t, r, 1, "non-renewable")
	})
}

// --once does what kinit -R does with the same bytes.
func TestDropInOnceLikeKinitR(t *testing.T) {
	t.Parallel()
	t.Run("expired within the clock skew", func(t *testing.T) {
		t.Parallel()
		k := testkdc.Start(t, testkdc.Options{MaxLife: 10 * time.Second, MaxRenewLife: 5 * time.Minute})
		cc, path := cacheIn(t, "cc")
		mitKinit(t, k, cc, "alice", testkdc.AlicePassword, "-l", "10s", "-r", "5m")
		tk := testkdc.Klist(t, k, cc)
		ca, _ := copyCacheFile(t, path, "kinit")
		cb, _ := copyCacheFile(t, path, "once")
		time.Sleep(time.Until(tk.Expires.Add(3 * time.Second)))
		if code := klistS(t, k, cb); code != 1 {
			t.Errorf("oracle: klist -s on the expired ticket exited %d, want 1", code)
		}
		kr := peerLimited(t, k, "", "kinit", "-R", "-c", ca)
		if kr.code != 0 {
			t.Logf("oracle: MIT kinit -R refuses a ticket expired 3s ago (exit %d); expecting the same of krenew", kr.code)
		}
		r := oursLimited(t, k, "", "--once", "-k", cb)
		if r.code != kr.code {
			t.Fatalf("--once: exit %d, kinit -R: %d", r.code, kr.code)
		}
		if r.code == 0 {
			if after := testkdc.Klist(t, k, cb); !after.Expires.After(time.Now()) {
				t.Errorf("--once left a ticket that expired at %s", after.Expires)
			}
			if code := klistS(t, k, cb); code != 0 {
				t.Errorf("klist -s after --once: exit %d", code)
			}
		}
	})
	t.Run("renew-till equals end", func(t *testing.T) {
		t.Parallel()
		k := testkdc.Start(t, testkdc.Options{MaxLife: 20 * time.Hour, MaxRenewLife: 20 * time.Hour})
		cc, path := cacheIn(t, "cc")
		mitKinit(t, k, cc, "alice", testkdc.AlicePassword, "-l", "20h", "-r", "20h")
		ca, _ := copyCacheFile(t, path, "kinit")
		kr := peerLimited(t, k, "", "kinit", "-R", "-c", ca)
		r := oursLimited(t, k, "", "--once", "-k", cc)
		if r.code != kr.code || r.code != 0 {
			t.Errorf("--once: exit %d, kinit -R: %d, want both 0", r.code, kr.code)
		}
	})
}

// dropTGTs removes the local TGTs from a FILE cache, keeping service
// tickets and config entries.
func dropTGTs(t *testing.T, path string) {
	t.Helper()
	editCache(t, path, func(c *ccache.Cache) {
		var kept []ccache.Credential
		for _, cr := range c.Credentials {
			if !cr.IsConfig() && cr.Server.IsTGTFor(c.DefaultPrincipal.Realm) {
				continue
			}
			kept = append(kept, cr)
		}
		c.Credentials = kept
	})
}

func editCache(t *testing.T, path string, edit func(*ccache.Cache)) {
	t.Helper()
	err := ccache.FileStore{Path: path}.Update(func(c *ccache.Cache) (*ccache.Cache, error) {
		edit(c)
		return c, nil
	})
	if err != nil {
		t.Fatalf("editing %s: %v", path, err)
	}
}

// --status's exit status is klist -s's.
func TestDropInStatusLikeKlistS(t *testing.T) {
	t.Parallel()
	t.Run("service tickets only", func(t *testing.T) {
		t.Parallel()
		k := testkdc.Start(t, testkdc.Options{})
		cc, path := cacheIn(t, "cc")
		mitKinit(t, k, cc, "alice", testkdc.AlicePassword, "-l", "1h", "-r", "2h")
		if out, errOut, code := k.Run(t, "kvno", "-c", cc, testkdc.Service); code != 0 {
			t.Fatalf("kvno: exit %d\n%s%s", code, out, errOut)
		}
		dropTGTs(t, path)
		out, _, _ := k.Run(t, "klist", "-c", cc)
		if strings.Contains(out, "krbtgt/") || !strings.Contains(out, testkdc.Service) {
			t.Fatalf("the cache should hold only the service ticket:\n%s", out)
		}
		if code := klistS(t, k, cc); code != 0 {
			t.Errorf("oracle: klist -s with only a valid service ticket exited %d, want 0", code)
		}
		st := oursLimited(t, k, "", "--status", "-k", cc)
		if st.code != 0 {
			t.Errorf("--status: exit %d, want 0 like klist -s", st.code)
		}
		if !strings.Contains(st.stdout+st.stderr, "no ticket-granting ticket") {
			t.Errorf("--status does not say there is no ticket-granting ticket:\n%s%s", st.stdout, st.stderr)
		}
	})
	t.Run("expired TGT", func(t *testing.T) {
		t.Parallel()
		k := testkdc.Start(t, testkdc.Options{MaxLife: 10 * time.Second, MaxRenewLife: 5 * time.Minute})
		cc, path := cacheIn(t, "cc")
		mitKinit(t, k, cc, "alice", testkdc.AlicePassword, "-l", "10s", "-r", "5m")
		if out, errOut, code := k.Run(t, "kvno", "-c", cc, testkdc.Service); code != 0 {
			t.Fatalf("kvno: exit %d\n%s%s", code, out, errOut)
		}
		tk := testkdc.Klist(t, k, cc)
		// An expired TGT next to a service ticket that is still valid
		// (crafted: klist checks no signature).
		_, crafted := copyCacheFile(t, path, "crafted")
		later := time.Now().Add(time.Hour).Truncate(time.Second)
		editCache(t, crafted, func(c *ccache.Cache) {
			for i := range c.Credentials {
				cr := &c.Credentials[i]
				if !cr.IsConfig() && !cr.Server.IsTGTFor(c.DefaultPrincipal.Realm) {
					cr.EndTime = later
				}
			}
		})
		// Only a service ticket, expired with the TGT.
		_, noTGT := copyCacheFile(t, path, "no-tgt")
		dropTGTs(t, noTGT)
		time.Sleep(time.Until(tk.Expires.Add(2 * time.Second)))
		for _, c := range []struct{ name, path string }{
			{"expired TGT alone", path},
			{"expired TGT, valid service ticket", crafted},
			{"expired service ticket, no TGT", noTGT},
		} {
			ks := klistS(t, k, "FILE:"+c.path)
			if ks != 1 {
				t.Errorf("oracle: %s: klist -s exited %d, want 1", c.name, ks)
			}
			st := oursLimited(t, k, "", "--status", "-k", "FILE:"+c.path)
			if st.code != ks {
				t.Errorf("%s: --status exited %d, klist -s %d", c.name, st.code, ks)
			}
		}
	})
	t.Run("empty or missing", func(t *testing.T) {
		t.Parallel()
		k := testkdc.Start(t, testkdc.Options{})
		missing, _ := cacheIn(t, "missing")
		zero, zeroPath := cacheIn(t, "zero")
		if err := os.WriteFile(zeroPath, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		empty, emptyPath := cacheIn(t, "empty")
		mitKinit(t, k, empty, "alice", testkdc.AlicePassword, "-l", "1h", "-r", "2h")
		editCache(t, emptyPath, func(c *ccache.Cache) { c.Credentials = nil })
		for _, c := range []struct{ name, cc string }{
			{"missing cache", missing},
			{"zero-length file", zero},
			{"principal but no credentials", empty},
		} {
			ks := klistS(t, k, c.cc)
			if ks != 1 {
				t.Errorf("oracle: %s: klist -s exited %d, want 1", c.name, ks)
			}
			st := oursLimited(t, k, "", "--status", "-k", c.cc)
			if st.code != 1 || st.code != ks {
				t.Errorf("%s: --status exited %d, klist -s %d, want both 1", c.name, st.code, ks)
			}
		}
	})
}
