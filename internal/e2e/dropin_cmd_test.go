package e2e

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/krenew/krenew/internal/testkdc"
)

// Point 1 of the drop-in issue: k5start's idiom `-U -f keytab -- cmd`
// without -k gives the command a private cache and leaves the user's own
// cache (KRB5CCNAME) byte for byte as it was, as k5start does.
func TestDropInKeytabCommandLeavesUserCache(t *testing.T) {
	t.Parallel()
	k := testkdc.Start(t, testkdc.Options{})
	keytab := k.AddKeytab(t, svc)
	mine, minePath := cacheIn(t, "mine")
	mitKinit(t, k, mine, "alice", testkdc.AlicePassword, "-l", "1h", "-r", "2h")
	before := readFile(t, minePath)
	seen := filepath.Join(t.TempDir(), "seen")
	script := `echo "$KRB5CCNAME" > ` + seen + `; klist | sed -n 's/^Default principal: //p' >> ` + seen

	for _, peer := range []struct {
		name string
		argv []string
	}{
		{"krenew", []string{krenewBin}},
		{"k5start", []string{"/usr/bin/k5start", "-q"}},
	} {
		t.Run(peer.name, func(t *testing.T) {
			os.Remove(seen)
			argv := append(append([]string(nil), peer.argv...), "-U", "-f", keytab, "--", "sh", "-c", script)
			cmd := k.Command(t, argv[0], argv[1:]...)
			cmd.Env = append(cmd.Env, "KRB5CCNAME="+mine, "LC_ALL=C")
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("%v: %v\n%s", argv, err, out)
			}
			if after := readFile(t, minePath); !bytes.Equal(before, after) {
				t.Errorf("%s changed the user's cache %s", peer.name, mine)
			}
			if tk := testkdc.Klist(t, k, mine); tk.Principal != alice {
				t.Errorf("the user's cache holds %s after %s, want %s", tk.Principal, peer.name, alice)
			}
			lines := strings.Split(strings.TrimSpace(string(readFile(t, seen))), "\n")
			if len(lines) != 2 || lines[0] == mine || strings.Contains(lines[0], minePath) {
				t.Fatalf("the command saw %q; want a private cache and its principal", lines)
			}
			if lines[1] != svc+"@"+testkdc.Realm {
				t.Errorf("the command's cache holds %q, want %s", lines[1], svc)
			}
			if _, err := os.Stat(strings.TrimPrefix(lines[0], "FILE:")); !os.IsNotExist(err) {
				t.Errorf("%s left the private cache %s behind", peer.name, lines[0])
			}
		})
	}
}

// Point 7: an explicit -k with a command renews that cache and hands it
// to the command, so that its other readers see it renewed.
func TestDropInExplicitCacheGoesToCommand(t *testing.T) {
	longTest(t)
	t.Parallel()
	k := testkdc.Start(t, testkdc.Options{})
	cc, _ := cacheIn(t, "cc")
	mitKinit(t, k, cc, "alice", testkdc.AlicePassword, "-l", "8s", "-r", "2m")
	first := testkdc.Klist(t, k, cc)
	seen := filepath.Join(t.TempDir(), "seen")
	r := krenew(t, k, "", "-k", cc, "--", "sh", "-c", `echo "$KRB5CCNAME" > `+seen+`; sleep 12; klist -s`)
	if r.code != 0 {
		t.Fatalf("exit %d: the command's klist -s failed on the -k cache\n%s", r.code, r.stderr)
	}
	if got := strings.TrimSpace(string(readFile(t, seen))); got != cc {
		t.Errorf("the command's KRB5CCNAME is %q, want the -k cache %q", got, cc)
	}
	if now := testkdc.Klist(t, k, cc); !now.Expires.After(first.Expires) {
		t.Errorf("the -k cache was not renewed: expires %v, first ticket %v", now.Expires, first.Expires)
	}

	// Without -k (KRB5CCNAME names the cache) the command gets a copy.
	r = krenewEnv(t, k, []string{"KRB5CCNAME=" + cc}, "", "--", "sh", "-c", `echo "$KRB5CCNAME" > `+seen)
	if got := strings.TrimSpace(string(readFile(t, seen))); r.code != 0 || got == cc {
		t.Errorf("without -k: exit %d, KRB5CCNAME %q; want a private copy", r.code, got)
	}
}

// Point 13: a --wait-lock waiter ends at once on SIGTERM, SIGINT and
// SIGHUP, so that `systemctl stop` of a waiting unit does not hang.
func TestDropInWaitLockWaiterStopsOnSignal(t *testing.T) {
	t.Parallel()
	k := testkdc.Start(t, testkdc.Options{})
	cc, _ := cacheIn(t, "cc")
	startDaemon(t, k, testkdc.AlicePassword+"\n", "--password-stdin", "-u", "alice", "-l", "1h", "-r", "2h", "-k", cc)
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP} {
		t.Run(sig.String(), func(t *testing.T) {
			w := startKrenew(t, k, "--foreground", "--wait-lock", "-k", cc)
			waitFor(t, "the waiter's 'waiting for pid' line", 10*time.Second, func() bool { return w.count("waiting for pid") > 0 })
			w.cmd.Process.Signal(sig)
			if code := w.wait(t, 3*time.Second); code != 0 {
				t.Errorf("the waiter exited %d after %v, want 0", code, sig)
			}
		})
	}
}
