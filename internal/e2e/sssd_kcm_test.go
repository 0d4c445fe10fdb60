package e2e

import (
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/krenew/krenew/internal/testkcm"
	"github.com/krenew/krenew/internal/testkdc"
)

// sssd-kcm, the default cache (default_ccache_name = KCM:) on RHEL, Fedora
// and FreeIPA clients, run standalone by testkcm.StartSSSD: its own
// socket, and its caches and configuration in a private mount namespace
// with a temporary directory bound over /var/lib/sss and /etc/sssd, so a
// system sssd is neither used nor touched. MIT's tools reach it through
// kcm_socket in the realm's krb5.conf, which krenew reads too.

// sssdCache starts a private sssd-kcm and points the realm's krb5.conf at
// it; "KCM:" is then the user's default cache there, as on Fedora.
func sssdCache(t *testing.T, k *testkdc.KDC) string {
	d := testkcm.StartSSSD(t)
	k.Krb5Conf = d.Krb5Conf(t, k.Krb5Conf)
	return "KCM:"
}

// sssdKind is sssd-kcm among the collection types of the collection tests
// (issue 9): a cache per principal, with a primary.
var sssdKind = cacheKind{"KCM_sssd", sssdCache}

// statusCache is --status's line naming a KCM cache.
var statusCache = regexp.MustCompile(`(?m)^cache: +KCM:`)

// The acceptance every cache type meets, in order on one sssd-kcm: each
// step works on what the one before left.
func TestSSSDKCMAcceptance(t *testing.T) {
	t.Parallel()
	k := testkdc.Start(t, testkdc.Options{})
	cc := sssdCache(t, k)
	step := func(name string, f func(t *testing.T)) {
		if !t.Run(name, f) {
			t.FailNow()
		}
	}
	var before testkdc.Ticket
	step("kinit fills it", func(t *testing.T) {
		mitKinit(t, k, cc, "alice", testkdc.AlicePassword, "-l", "1h", "-r", "2h")
		before = testkdc.Klist(t, k, cc)
		if before.Principal != alice || !before.HasFlag("R") {
			t.Fatalf("klist after kinit into sssd-kcm: principal %q flags %q", before.Principal, before.Flags)
		}
	})
	step("krenew renews it", func(t *testing.T) {
		sleepPastSecond()
		if r := krenew(t, k, "", "--once", "-k", cc); r.code != 0 {
			t.Fatalf("krenew --once on kinit's sssd-kcm cache: exit %d: %s", r.code, r.stderr)
		}
		after := testkdc.Klist(t, k, cc)
		if !after.Expires.After(before.Expires) || after.Principal != alice {
			t.Errorf("after krenew --once klist shows %s ending %s, before %s", after.Principal, after.Expires, before.Expires)
		}
		if out, _, _ := k.Run(t, "klist", "-c", cc); strings.Count(out, "krbtgt/") != 1 {
			t.Errorf("the cache holds other than one TGT after the renewal:\n%s", out)
		}
		byP, _ := members(t, k, cc)
		if len(byP) != 1 {
			t.Errorf("the collection holds %v after the renewal, want alice's one cache", byP)
		}
		before = after
	})
	step("kinit -R renews what krenew wrote", func(t *testing.T) {
		sleepPastSecond()
		if _, errOut, code := k.Run(t, "kinit", "-R", "-c", cc); code != 0 {
			t.Fatalf("MIT kinit -R on what krenew wrote: %s", errOut)
		}
		if after := testkdc.Klist(t, k, cc); !after.Expires.After(before.Expires) {
			t.Errorf("after kinit -R klist shows the ticket ending %s, before %s", after.Expires, before.Expires)
		}
	})
	step("--status names it", func(t *testing.T) {
		r := krenew(t, k, "", "--status", "-k", cc)
		if r.code != 0 || !statusCache.MatchString(r.stdout) || !strings.Contains(r.stdout, alice) {
			t.Errorf("--status (exit %d) does not name alice's KCM: cache:\n%s%s", r.code, r.stdout, r.stderr)
		}
	})
	step("--init writes one klist and kvno use", func(t *testing.T) {
		if _, errOut, code := k.Run(t, "kdestroy", "-c", cc); code != 0 {
			t.Fatalf("kdestroy: %s", errOut)
		}
		r := krenew(t, k, testkdc.AlicePassword+"\n", "--init", "--once", "--password-stdin", "-u", "alice", "-l", "1h", "-r", "2h", "-k", cc)
		if r.code != 0 {
			t.Fatalf("krenew --init --once into sssd-kcm: exit %d: %s", r.code, r.stderr)
		}
		tk := testkdc.Klist(t, k, cc)
		if tk.Principal != alice || !tk.HasFlag("R") {
			t.Errorf("klist after krenew --init: principal %q flags %q", tk.Principal, tk.Flags)
		}
		if out, errOut, code := k.Run(t, "kvno", "-c", cc, testkdc.Service); code != 0 || !strings.Contains(out, "kvno = ") {
			t.Errorf("kvno with krenew's TGT in sssd-kcm: exit %d\n%s%s", code, out, errOut)
		}
	})
}

// The daemon keeps an sssd-kcm cache valid through several renewals while
// MIT klist -s checks it every 0.1 s; --status meanwhile names the cache
// and the daemon.
//
// sssd-kcm (2.8, the version Debian 12 ships) has no way to replace a
// cache in one step: no REPLACE, no MOVE_CACHE, no REMOVE_CRED. A renewal
// is INITIALIZE and STORE, as MIT's own kinit -R does there, and a reader
// whose request falls between the two (a few milliseconds) finds the
// cache empty: measured with two klist -s loops, krenew and kinit -R each
// left about 0.35 klist -s runs per renewal failing. So a klist -s may
// fail once at a renewal; the cache must never be found invalid twice in a
// row (0.1 s apart), nor more often than it was renewed.
func TestSSSDKCMDaemonKeepsItValid(t *testing.T) {
	longTest(t)
	t.Parallel()
	k := testkdc.Start(t, testkdc.Options{})
	cc := sssdCache(t, k)
	pidfile := filepath.Join(t.TempDir(), "krenew.pid")
	// Renewed at about half of each 12 s lifetime until renew-till, 50 s
	// on: six renewals or so, then the daemon exits.
	pid := startDaemon(t, k, testkdc.AlicePassword+"\n", "--password-stdin", "-u", "alice",
		"-l", "12s", "-r", "50s", "-k", cc, "-p", pidfile)
	st := krenew(t, k, "", "--status", "-k", cc)
	if st.code != 0 || !statusCache.MatchString(st.stdout) || !strings.Contains(st.stdout, "krenew pid "+strconv.Itoa(pid)) {
		t.Errorf("--status (exit %d) does not name the KCM: cache and daemon %d:\n%s%s", st.code, pid, st.stdout, st.stderr)
	}
	ends := map[time.Time]bool{}
	checks, fails, inARow := 0, 0, 0
	deadline := time.Now().Add(90 * time.Second)
	for alive(pid) && time.Now().Before(deadline) {
		if _, errOut, code := k.Run(t, "klist", "-s", "-c", cc); code != 0 {
			fails++
			inARow++
			if inARow > 1 {
				t.Fatalf("klist -s failed twice in a row after %d checks while the daemon renewed %s: %s", checks, cc, errOut)
			}
			t.Logf("klist -s failed once after %d checks (a renewal between INITIALIZE and STORE)", checks)
		} else {
			inARow = 0
		}
		if checks%10 == 0 {
			ends[testkdc.Klist(t, k, cc).Expires] = true
		}
		checks++
		time.Sleep(100 * time.Millisecond)
	}
	if alive(pid) {
		t.Errorf("daemon %d still running after its renewable lifetime", pid)
	}
	if len(ends) < 4 {
		t.Errorf("saw %d end times in %d klist checks, want the first plus at least 3 renewals", len(ends), checks)
	}
	if fails > len(ends)-1 {
		t.Errorf("klist -s failed %d times in %d checks, more than the %d renewals", fails, checks, len(ends)-1)
	}
	if byP, _ := members(t, k, cc); len(byP) != 1 || byP[alice] == "" {
		t.Errorf("after the daemon the collection holds %v, want alice's one cache", byP)
	}
	t.Logf("%d klist -s checks, %d distinct end times, %d single failures", checks, len(ends), fails)
}

// Issue 9's collection rule on sssd-kcm: with alice's and carol's caches
// kinit'ed into the one KCM: collection, krenew renews each principal's in
// place and never writes over the other's; krenew --init for a third
// principal gets a cache of its own and makes it the primary, as kinit
// does.
func TestSSSDKCMSecondPrincipalKeepsItsOwnCache(t *testing.T) {
	t.Parallel()
	k := testkdc.Start(t, testkdc.Options{})
	k.AddPrincipal(t, carol, carolPassword)
	const dave, davePassword = "dave", "dave-secret-pw"
	k.AddPrincipal(t, dave, davePassword)
	cc := sssdCache(t, k)
	env := []string{"KRB5CCNAME=" + cc}
	carolName, daveName := carol+"@"+testkdc.Realm, dave+"@"+testkdc.Realm
	mitKinit(t, k, cc, "alice", testkdc.AlicePassword, "-l", "1h", "-r", "2h")
	cmd := k.Command(t, "kinit", "-l", "1h", "-r", "2h", carol)
	cmd.Env = append(cmd.Env, "KRB5CCNAME="+cc)
	cmd.Stdin = strings.NewReader(carolPassword + "\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("kinit carol into %s: %v\n%s", cc, err, out)
	}
	byP, primary := members(t, k, cc)
	aliceCache, carolCache := byP[alice], byP[carolName]
	if len(byP) != 2 || aliceCache == carolCache || primary != carolName {
		t.Fatalf("after kinit alice and kinit carol: caches %v, primary %s", byP, primary)
	}

	// KCM: is the primary, carol's: krenew renews it, alice's stays.
	aliceBefore, carolBefore := testkdc.Klist(t, k, aliceCache), testkdc.Klist(t, k, carolCache)
	sleepPastSecond()
	if r := krenew(t, k, "", "--once", "-k", cc); r.code != 0 {
		t.Fatalf("krenew --once -k %s: exit %d\n%s", cc, r.code, r.stderr)
	}
	if got := testkdc.Klist(t, k, carolCache); !got.Start.After(carolBefore.Start) || got.Principal != carolName {
		t.Errorf("carol's cache %s not renewed: %+v, was %+v", carolCache, got, carolBefore)
	}
	if got := testkdc.Klist(t, k, aliceCache); got != aliceBefore {
		t.Errorf("alice's cache %s changed when carol's was renewed: %+v, was %+v", aliceCache, got, aliceBefore)
	}
	// sssd 2.8 can lose the default when a cache is rewritten; krenew
	// puts it back.
	if _, primary := members(t, k, cc); primary != carolName {
		t.Errorf("renewing carol's primary made %s the primary", primary)
	}

	// -u alice: alice's own cache, renewed in place; carol's stays.
	carolBefore = testkdc.Klist(t, k, carolCache)
	sleepPastSecond()
	if r := krenewEnv(t, k, env, "", "--once", "-u", "alice"); r.code != 0 {
		t.Fatalf("krenew --once -u alice: exit %d\n%s", r.code, r.stderr)
	}
	byP, _ = members(t, k, cc)
	if got := testkdc.Klist(t, k, aliceCache); !got.Start.After(aliceBefore.Start) || byP[alice] != aliceCache || len(byP) != 2 {
		t.Errorf("-u alice did not renew alice's cache %s in place: caches %v", aliceCache, byP)
	}
	if got := testkdc.Klist(t, k, carolCache); got != carolBefore {
		t.Errorf("carol's cache %s changed when alice's was renewed: %+v, was %+v", carolCache, got, carolBefore)
	}

	// A principal the collection does not hold yet gets its own cache.
	r := krenewEnv(t, k, env, davePassword+"\n", "--once", "--init", "--password-stdin", "-u", dave, "-l", "1h", "-r", "2h")
	if r.code != 0 {
		t.Fatalf("krenew --once --init -u dave: exit %d\n%s", r.code, r.stderr)
	}
	byP, primary = members(t, k, cc)
	if len(byP) != 3 || primary != daveName || byP[alice] != aliceCache || byP[carolName] != carolCache {
		t.Errorf("after krenew --init -u dave: caches %v, primary %s; want dave's own cache as the primary beside alice's %s and carol's %s", byP, primary, aliceCache, carolCache)
	}
	for who, cache := range map[string]string{alice: aliceCache, carolName: carolCache, daveName: byP[daveName]} {
		if why := holds(t, k, cache, who); why != "" {
			t.Error(why)
		}
	}
	if out, errOut, code := k.Run(t, "kvno", "-c", byP[daveName], testkdc.Service); code != 0 {
		t.Errorf("kvno with dave's new cache: exit %d\n%s%s", code, out, errOut)
	}
}
