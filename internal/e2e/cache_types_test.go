package e2e

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/krenew/krenew/internal/testkdc"
)

// Every cache type MIT's own tools use: MIT kinit fills it, krenew renews
// it, krenew writes a fresh one, and MIT klist and kvno are the judges.

func TestEveryCacheTypeInteroperatesWithMIT(t *testing.T) {
	longTest(t)
	for _, kind := range cacheKinds {
		t.Run(strings.ReplaceAll(kind.name, ":", "_"), func(t *testing.T) {
			k := testkdc.Start(t, testkdc.Options{})
			cc := kind.make(t, k)

			// MIT kinit puts a renewable ticket there; krenew renews it.
			mitKinit(t, k, cc, "alice", testkdc.AlicePassword, "-l", "1h", "-r", "2h")
			before := testkdc.Klist(t, k, cc)
			time.Sleep(1100 * time.Millisecond) // klist shows whole seconds
			if r := krenew(t, k, "", "--once", "-k", cc); r.code != 0 {
				t.Fatalf("krenew --once on MIT's %s cache: exit %d: %s", kind.name, r.code, r.stderr)
			}
			after := testkdc.Klist(t, k, cc)
			if !after.Expires.After(before.Expires) {
				t.Errorf("after krenew --once klist shows the ticket ending %s, before %s", after.Expires, before.Expires)
			}
			if after.Principal != alice {
				t.Errorf("default principal %q after renewal, want %s", after.Principal, alice)
			}
			if _, errOut, code := k.Run(t, "kinit", "-R", "-c", cc); code != 0 {
				t.Errorf("MIT kinit -R on what krenew wrote: %s", errOut)
			}

			// A new ticket written by krenew is one MIT's tools can use.
			if _, errOut, code := k.Run(t, "kdestroy", "-c", cc); code != 0 {
				t.Fatalf("kdestroy: %s", errOut)
			}
			r := krenew(t, k, testkdc.AlicePassword+"\n", "--init", "--once", "--password-stdin", "-u", "alice", "-l", "1h", "-r", "2h", "-k", cc)
			if r.code != 0 {
				t.Fatalf("krenew --init --once into %s: exit %d: %s", kind.name, r.code, r.stderr)
			}
			tk := testkdc.Klist(t, k, cc)
			if tk.Principal != alice || !tk.HasFlag("R") {
				t.Errorf("klist after krenew --init: principal %q flags %q", tk.Principal, tk.Flags)
			}
			if out, errOut, code := k.Run(t, "kvno", "-c", cc, testkdc.Service); code != 0 || !strings.Contains(out, "kvno = ") {
				t.Errorf("kvno with krenew's TGT in %s: exit %d\n%s%s", kind.name, code, out, errOut)
			}
			// --status names the cache with its type.
			st := krenew(t, k, "", "--status", "-k", cc)
			if st.code != 0 || !strings.Contains(st.stdout, strings.SplitN(kind.name, ":", 2)[0]+":") {
				t.Errorf("--status (exit %d) does not name the %s cache:\n%s", st.code, kind.name, st.stdout)
			}
		})
	}
}

// The daemon keeps a kernel keyring cache and a KCM cache valid through
// several renewals while MIT klist -s checks it without pause.
func TestDaemonRenewsKeyringAndKCM(t *testing.T) {
	longTest(t)
	for _, kind := range []cacheKind{cacheKinds[2], cacheKinds[4]} {
		t.Run(strings.ReplaceAll(kind.name, ":", "_"), func(t *testing.T) {
			t.Parallel()
			k := testkdc.Start(t, testkdc.Options{})
			cc := kind.make(t, k)
			pidfile := filepath.Join(t.TempDir(), "krenew.pid")
			pid := startDaemon(t, k, testkdc.AlicePassword+"\n", "--password-stdin", "-u", "alice",
				"-l", "15s", "-r", "70s", "-k", cc, "-p", pidfile)
			ends := map[time.Time]bool{}
			checks := 0
			deadline := time.Now().Add(2 * time.Minute)
			for alive(pid) && time.Now().Before(deadline) {
				if _, errOut, code := k.Run(t, "klist", "-s", "-c", cc); code != 0 {
					t.Fatalf("klist -s failed after %d checks while the daemon renewed %s: %s", checks, cc, errOut)
				}
				checks++
				ends[testkdc.Klist(t, k, cc).Expires] = true
				time.Sleep(200 * time.Millisecond)
			}
			if alive(pid) {
				t.Errorf("daemon %d still running after its renewable lifetime", pid)
			}
			if len(ends) < 4 {
				t.Errorf("saw %d end times in %d klist checks, want the first plus at least 3 renewals", len(ends), checks)
			}
			t.Logf("%s: %d klist -s checks, %d distinct end times, no failure", kind.name, checks, len(ends))
		})
	}
}

// process: and thread: keyrings die with the process that made them, so
// a detaching krenew refuses them before prompting.
func TestProcessKeyringRefusedForDaemon(t *testing.T) {
	k := testkdc.Start(t, testkdc.Options{})
	for _, cc := range []string{"KEYRING:process:x", "KEYRING:thread:x"} {
		r := krenew(t, k, testkdc.AlicePassword+"\n", "--password-stdin", "-u", "alice", "-k", cc)
		wantOneError(t, r, 1, cc, "background")
		if !strings.Contains(r.stderr, "krenew: hint: ") {
			t.Errorf("no hint for %s:\n%s", cc, r.stderr)
		}
	}
}

// A command always gets a private FILE copy, whatever the source type, so
// that it and everything it starts can read it through KRB5CCNAME. (The
// source is named by KRB5CCNAME: an explicit -k is handed to the command
// itself, as k5start does.)
func TestCommandGetsFileCopyOfAnyCacheType(t *testing.T) {
	for _, kind := range []cacheKind{cacheKinds[1], cacheKinds[2], cacheKinds[4]} {
		t.Run(strings.ReplaceAll(kind.name, ":", "_"), func(t *testing.T) {
			k := testkdc.Start(t, testkdc.Options{})
			cc := kind.make(t, k)
			mitKinit(t, k, cc, "alice", testkdc.AlicePassword, "-l", "1h", "-r", "2h")
			r := krenewEnv(t, k, []string{"KRB5CCNAME=" + cc}, "", "--", "sh", "-c", `echo "cache=$KRB5CCNAME"; klist -s && klist | grep -q "`+alice+`"`)
			if r.code != 0 {
				t.Fatalf("command on a copy of %s: exit %d\n%s", kind.name, r.code, r.stderr)
			}
			if !strings.Contains(r.stdout, "cache=FILE:/") {
				t.Errorf("the command's KRB5CCNAME is not a FILE cache:\n%s", r.stdout)
			}
		})
	}
}
