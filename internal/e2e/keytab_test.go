package e2e

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/krenew/krenew/internal/testkdc"
)

// shortKDC has tickets short enough that several renewable lifetimes
// pass in a test: 6s, renewable for 14s.
func shortKDC(t *testing.T) (*testkdc.KDC, string) {
	k := testkdc.Start(t, testkdc.Options{MaxLife: 6 * time.Second, MaxRenewLife: 14 * time.Second})
	return k, k.AddKeytab(t, svc)
}

// Renew, then re-acquire from the keytab after renew-till, again and
// again; klist -s never fails; a removed cache comes back.
func TestKeytabKeepsServiceTicketForever(t *testing.T) {
	longTest(t)
	t.Parallel()
	k, keytab := shortKDC(t)
	cc, path := cacheIn(t, "cc")
	r := startKrenew(t, k, "-f", keytab, "-u", svc, "--foreground", "-v", "-k", cc)
	waitFor(t, "first ticket", 10*time.Second, func() bool { _, err := os.Stat(path); return err == nil })
	end := time.Now().Add(3*14*time.Second + 3*time.Second)
	for time.Now().Before(end) {
		if _, errOut, code := k.Run(t, "klist", "-s", "-c", cc); code != 0 {
			t.Fatalf("klist -s failed: %s\n%s", errOut, r.text())
		}
		time.Sleep(500 * time.Millisecond)
	}
	if n := r.count("got a new ticket for " + svc); n < 3 {
		t.Errorf("%d acquisitions from the keytab over three renewable lifetimes, want at least 3", n)
	}
	if n := r.count("renewed " + svc); n < 3 {
		t.Errorf("%d renewals, want some between acquisitions", n)
	}

	os.Remove(path)
	waitFor(t, "cache re-created from the keytab", 10*time.Second, func() bool {
		_, _, code := k.Run(t, "klist", "-s", "-c", cc)
		return code == 0
	})
	if !strings.Contains(r.text(), "is gone; getting a new ticket") {
		t.Errorf("the re-creation was not logged")
	}
}

// KDC down longer than the ticket lifetime: a valid ticket is back within
// one backoff step of its return.
func TestKeytabRecoversAfterLongOutage(t *testing.T) {
	longTest(t)
	t.Parallel()
	k, keytab := shortKDC(t)
	cc, _ := cacheIn(t, "cc")
	r := startKrenew(t, k, "-f", keytab, "-u", svc, "--foreground", "-k", cc)
	waitFor(t, "first ticket", 10*time.Second, func() bool { _, _, code := k.Run(t, "klist", "-s", "-c", cc); return code == 0 })
	k.Stop()
	time.Sleep(9 * time.Second)
	if _, _, code := k.Run(t, "klist", "-s", "-c", cc); code == 0 {
		t.Fatal("the ticket is still valid after 9s of a 6s lifetime; the test proves nothing")
	}
	k.Restart(t)
	back := time.Now()
	waitFor(t, "valid ticket after the KDC's return", 4*time.Second, func() bool {
		_, _, code := k.Run(t, "klist", "-s", "-c", cc)
		return code == 0
	})
	t.Logf("valid again %s after the restart", time.Since(back).Round(time.Millisecond))
	if r.cmd.ProcessState != nil {
		t.Fatal("krenew exited during the outage")
	}
}

// Key rotation: with a stale keytab the error names principal and kvno and
// the loop keeps trying; the rotated keytab copied over the old one is
// used without a restart.
func TestKeytabRotation(t *testing.T) {
	longTest(t)
	t.Parallel()
	k, keytab := shortKDC(t)
	cc, _ := cacheIn(t, "cc")
	r := startKrenew(t, k, "-f", keytab, "-u", svc, "--foreground", "-k", cc)
	waitFor(t, "first ticket", 10*time.Second, func() bool { _, _, code := k.Run(t, "klist", "-s", "-c", cc); return code == 0 })
	rotated := filepath.Join(t.TempDir(), "rotated.keytab")
	k.Kadmin(t, "ktadd -k "+rotated+" "+svc) // new random key, kvno 2
	waitFor(t, "stale keytab reported", 30*time.Second, func() bool {
		return r.count("rejected the keytab key of "+svc+"@"+testkdc.Realm+" (kvno 1)") > 0
	})
	b, err := os.ReadFile(rotated)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keytab, b, 0o600); err != nil {
		t.Fatal(err)
	}
	before := r.count("got a new ticket for " + svc)
	waitFor(t, "ticket from the rotated keytab", 10*time.Second, func() bool {
		return r.count("got a new ticket for "+svc) > before
	})
	if _, errOut, code := k.Run(t, "klist", "-s", "-c", cc); code != 0 {
		t.Fatalf("no valid ticket after the rotation: %s", errOut)
	}
}

// Two krenews on one keytab cache: the second reports the first; with
// --wait-lock it takes over once the first is killed.
func TestKeytabTwoProcessesOneCache(t *testing.T) {
	longTest(t)
	t.Parallel()
	k, keytab := shortKDC(t)
	cc, _ := cacheIn(t, "cc")
	first := startKrenew(t, k, "-f", keytab, "-u", svc, "--foreground", "-k", cc)
	waitFor(t, "first ticket", 10*time.Second, func() bool { _, _, code := k.Run(t, "klist", "-s", "-c", cc); return code == 0 })
	r := krenew(t, k, "", "-v", "-f", keytab, "-u", svc, "--foreground", "-k", cc)
	if r.code != 0 || !strings.Contains(r.stderr, "is already renewed by pid "+itoa(first.cmd.Process.Pid)) {
		t.Fatalf("second krenew: exit %d\n%s", r.code, r.stderr)
	}
	second := startKrenew(t, k, "-f", keytab, "-u", svc, "--foreground", "--wait-lock", "-k", cc)
	waitFor(t, "second waits", 5*time.Second, func() bool { return second.count("waiting for pid") > 0 })
	first.cmd.Process.Signal(syscall.SIGKILL)
	waitFor(t, "take-over", 5*time.Second, func() bool { return second.count("took over renewing") > 0 })
	time.Sleep(16 * time.Second) // past a whole renewable lifetime
	if _, errOut, code := k.Run(t, "klist", "-s", "-c", cc); code != 0 {
		t.Fatalf("no valid ticket after the take-over: %s\n%s", errOut, second.text())
	}
}

// -U takes the keytab's first principal; a keytab without the principal
// is one clear error.
func TestKeytabPrincipalSelection(t *testing.T) {
	t.Parallel()
	k, keytab := shortKDC(t)
	cc, _ := cacheIn(t, "cc")
	if r := krenew(t, k, "", "--once", "--init", "-U", "-f", keytab, "-k", cc); r.code != 0 {
		t.Fatalf("-U: exit %d\n%s", r.code, r.stderr)
	}
	if tk := testkdc.Klist(t, k, cc); tk.Principal != svc+"@"+testkdc.Realm {
		t.Errorf("-U got a ticket for %q", tk.Principal)
	}
	r := krenew(t, k, "", "--once", "--init", "-u", "alice", "-f", keytab, "-k", cc)
	wantOneError(t, r, 1, keytab, "no usable key for alice@"+testkdc.Realm)
	r = krenew(t, k, "", "--once", "--init", "-u", svc, "-f", "/nonexistent.keytab", "-k", cc)
	wantOneError(t, r, 1, "cannot read keytab /nonexistent.keytab")
	// Without -u or -U the principal is host/<name>, which this keytab
	// lacks: the hint says so and names -u and -U (issue 18).
	r = krenew(t, k, "", "--once", "--init", "-f", keytab, "-k", cc)
	wantOneError(t, r, 1, "no usable key for host/")
	if !strings.Contains(r.stderr, "krenew: hint: without -u krenew uses host/") || !strings.Contains(r.stderr, "-U") {
		t.Errorf("no hint towards -u/-U:\n%s", r.stderr)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// Keytab mode around a command and as a detached daemon: the ticket
// outlives its renewable lifetime in both.
func TestKeytabCommandAndDaemon(t *testing.T) {
	longTest(t)
	t.Parallel()
	k, keytab := shortKDC(t)
	cc, _ := cacheIn(t, "cc")
	r := krenew(t, k, "", "-f", keytab, "-u", svc, "-k", cc, "--", "sh", "-c", "sleep 18; klist -s && exit 6")
	if r.code != 6 {
		t.Fatalf("exit %d, want 6: the service had no valid ticket after 18s (renewable lifetime 14s)\n%s", r.code, r.stderr)
	}

	cc2, _ := cacheIn(t, "cc2")
	// -l/-r reach the daemon too: its later tickets ask for the same.
	pid := startDaemon(t, k, "", "-f", keytab, "-u", svc, "-l", "5s", "-r", "11s", "-k", cc2)
	time.Sleep(18 * time.Second)
	if _, errOut, code := k.Run(t, "klist", "-s", "-c", cc2); code != 0 || !alive(pid) {
		t.Fatalf("detached keytab daemon: klist -s %d (%s), alive %v", code, errOut, alive(pid))
	}
	if tk := testkdc.Klist(t, k, cc2); tk.RenewableLifetime() > 11*time.Second+time.Second {
		t.Errorf("a re-acquired ticket is renewable for %s; -r 11s was not passed to the daemon", tk.RenewableLifetime())
	}
}

// -U without -f reads $KRB5_KTNAME, as k5start does.
func TestKeytabFromKRB5KTNAME(t *testing.T) {
	t.Parallel()
	k, keytab := shortKDC(t)
	cc, _ := cacheIn(t, "cc")
	r := krenewEnv(t, k, []string{"KRB5_KTNAME=FILE:" + keytab}, "", "--once", "--init", "-U", "-k", cc)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	if tk := testkdc.Klist(t, k, cc); tk.Principal != svc+"@"+testkdc.Realm {
		t.Errorf("got a ticket for %q", tk.Principal)
	}
}
