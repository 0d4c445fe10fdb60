package e2e

import (
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/krenew/krenew/internal/testkdc"
)

// Points 1 and 2 of the drop-in issue as a fault test: a run of krenew
// invocations that may write a ticket for another principal than the one
// a cache holds (keytab commands without -k, --init -u for someone else,
// keytab daemons, wrong passwords, killed runs), each followed by a check
// that every cache the test filled before still holds its principal's
// valid ticket.
func TestFaultOtherPrincipalsTicketsSurvive(t *testing.T) {
	longTest(t)
	t.Parallel()
	k := testkdc.Start(t, testkdc.Options{})
	k.AddPrincipal(t, carol, carolPassword)
	keytab := k.AddKeytab(t, svc)
	var c faultCounts
	defer c.report(t)

	type guarded struct{ cache, principal string }
	var guards []guarded
	mine, _ := cacheIn(t, "mine")
	mitKinit(t, k, mine, "alice", testkdc.AlicePassword, "-l", "1h", "-r", "2h")
	guards = append(guards, guarded{mine, alice})
	var collections []string
	for _, kind := range collectionKinds() {
		cc := kind.make(t, k)
		collectionCleanup(t, k, cc)
		mitKinit(t, k, cc, "alice", testkdc.AlicePassword, "-l", "1h", "-r", "2h")
		byP, _ := members(t, k, cc)
		guards = append(guards, guarded{byP[alice], alice})
		collections = append(collections, cc)
	}
	check := func(what string) {
		for _, g := range guards {
			if why := holds(t, k, g.cache, g.principal); why != "" {
				c.fail("after %s: %s", what, why)
			}
		}
	}

	steps := []struct {
		name  string
		stdin string
		env   func(cc string) (env, args []string)
		args  []string
		kill  bool // SIGKILL 300 ms after the start
		// onFile: also run on a FILE cache of alice's. Asking for another
		// principal's ticket there replaces alice's, as kinit does (a FILE
		// cache holds one principal), so only steps that must not write
		// it run there.
		onFile bool
	}{
		{"keytab command, no -k", "", defaultCache, []string{"-U", "-f", keytab, "--", "klist", "-s"}, false, true},
		{"keytab command in the background", "", defaultCache, []string{"-b", "-U", "-f", keytab, "--", "sleep", "1"}, false, true},
		{"--once --init -u carol", carolPassword + "\n", defaultCache, []string{"--once", "--init", "--password-stdin", "-u", carol}, false, false},
		{"--once -u carol", "", defaultCache, []string{"--once", "-u", carol}, false, false},
		{"--once with a keytab", "", defaultCache, []string{"--once", "-f", keytab, "-u", svc}, false, false},
		{"-H with a keytab", "", defaultCache, []string{"-q", "-H", "60", "-U", "-f", keytab}, false, false},
		{"wrong password for carol", "not-the-password\n", defaultCache, []string{"--once", "--init", "--password-stdin", "-u", carol}, false, true},
		{"daemon for carol, killed", carolPassword + "\n", defaultCache, []string{"--foreground", "--init", "--password-stdin", "-u", carol}, true, false},
		{"keytab daemon, killed", "", defaultCache, []string{"--foreground", "-f", keytab, "-u", svc}, true, false},
		{"--init -u carol with -k", carolPassword + "\n", explicitCache, []string{"--once", "--init", "--password-stdin", "-u", carol}, false, false},
		{"--status -u carol", "", defaultCache, []string{"--status", "-u", carol}, false, true},
		{"bad option", "", defaultCache, []string{"-u", carol, "-i", "admin"}, false, true},
	}
	for _, step := range steps {
		caches := collections
		if step.onFile {
			caches = append([]string{mine}, collections...)
		}
		for _, cc := range caches {
			c.run()
			env, args := step.env(cc)
			what := step.name + " on " + cc
			if step.kill {
				c.inject()
				b := startBackground(t, append(append(k.Env(), "LC_ALL=C"), env...), step.stdin, append([]string{krenewBin}, append(args, step.args...)...)...)
				time.Sleep(300 * time.Millisecond)
				b.cmd.Process.Signal(syscall.SIGKILL)
				b.wait(t, 10*time.Second)
			} else {
				krenewEnv(t, k, env, step.stdin, append(args, step.args...)...)
			}
			check(what)
		}
	}
	// The background command's krenew is gone by now; make sure.
	time.Sleep(1500 * time.Millisecond)
	check("the background command's end")
	if c.runs == 0 || !strings.Contains(k.Log(), "AS_REQ") {
		t.Error("no krenew run reached the KDC")
	}
}

// defaultCache names the cache the way a login session does.
func defaultCache(cc string) (env, args []string) { return []string{"KRB5CCNAME=" + cc}, nil }

// explicitCache names it with -k.
func explicitCache(cc string) (env, args []string) { return nil, []string{"-k", cc} }
