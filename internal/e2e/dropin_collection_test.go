package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/krenew/krenew/internal/testkdc"
)

// Point 2 of the drop-in issue: in a collection whose primary holds
// alice's ticket, krenew --once --init -u carol (and a keytab for yet
// another principal) puts the ticket in a cache of its own and makes it
// the primary, as MIT kinit does; alice's cache stays; --once -u carol
// renews carol's cache, as kinit -R carol does.
func TestDropInCollectionGetsACachePerPrincipal(t *testing.T) {
	longTest(t)
	t.Parallel()
	for _, kind := range collectionKinds() {
		t.Run(strings.ReplaceAll(kind.name, ":", "_"), func(t *testing.T) {
			k := testkdc.Start(t, testkdc.Options{})
			k.AddPrincipal(t, carol, carolPassword)
			keytab := k.AddKeytab(t, svc)
			cc := kind.make(t, k)
			collectionCleanup(t, k, cc)
			env := []string{"KRB5CCNAME=" + cc}
			mitKinit(t, k, cc, "alice", testkdc.AlicePassword, "-l", "1h", "-r", "2h")
			byP, _ := members(t, k, cc)
			aliceCache := byP[alice]
			aliceBefore := testkdc.Klist(t, k, aliceCache)

			r := krenewEnv(t, k, env, carolPassword+"\n", "--once", "--init", "--password-stdin", "-u", carol)
			if r.code != 0 {
				t.Fatalf("--once --init -u carol: exit %d\n%s", r.code, r.stderr)
			}
			byP, primary := members(t, k, cc)
			carolName := carol + "@" + testkdc.Realm
			if primary != carolName || byP[alice] != aliceCache || byP[carolName] == "" || byP[carolName] == aliceCache {
				t.Fatalf("after krenew -u carol: caches %v, primary %s; want carol's own cache as the primary and alice's %s kept", byP, primary, aliceCache)
			}
			if why := holds(t, k, aliceCache, alice); why != "" {
				t.Fatal(why)
			}
			if after := testkdc.Klist(t, k, aliceCache); after != aliceBefore {
				t.Errorf("alice's ticket changed: %+v, was %+v", after, aliceBefore)
			}

			// kinit -R carol: carol's cache in the collection, renewed.
			carolCache := byP[carolName]
			carolBefore := testkdc.Klist(t, k, carolCache)
			if out, errOut, code := k.Run(t, "kswitch", "-c", aliceCache); code != 0 {
				t.Fatalf("kswitch: %s%s", out, errOut)
			}
			sleepPastSecond()
			r = krenewEnv(t, k, env, "", "--once", "-u", carol)
			if r.code != 0 {
				t.Fatalf("--once -u carol with alice primary: exit %d\n%s", r.code, r.stderr)
			}
			byP, primary = members(t, k, cc)
			if got := testkdc.Klist(t, k, carolCache); !got.Start.After(carolBefore.Start) || byP[carolName] != carolCache || primary != carolName {
				t.Errorf("--once -u carol: carol's cache %s not renewed in place and made primary (caches %v, primary %s)", carolCache, byP, primary)
			}

			// A keytab for a third principal, with the collection named
			// by -k: its own cache too.
			r = krenew(t, k, "", "--once", "-f", keytab, "-u", svc, "-k", cc)
			if r.code != 0 {
				t.Fatalf("--once -f keytab -k %s: exit %d\n%s", cc, r.code, r.stderr)
			}
			byP, _ = members(t, k, cc)
			for who, cache := range map[string]string{alice: aliceCache, carolName: carolCache, svc + "@" + testkdc.Realm: byP[svc+"@"+testkdc.Realm]} {
				if why := holds(t, k, cache, who); why != "" {
					t.Error(why)
				}
			}
		})
	}
}

// The same collection filled by MIT kinit and by krenew ends up with the
// same principals and the same primary.
func TestDropInCollectionLikeKinit(t *testing.T) {
	t.Parallel()
	k := testkdc.Start(t, testkdc.Options{})
	k.AddPrincipal(t, carol, carolPassword)
	dir := t.TempDir()
	mit, ours := "DIR:"+filepath.Join(dir, "mit"), "DIR:"+filepath.Join(dir, "ours")
	for _, cc := range []string{mit, ours} {
		mitKinit(t, k, cc, "alice", testkdc.AlicePassword, "-l", "1h", "-r", "2h")
	}
	cmd := k.Command(t, "kinit", "-l", "1h", "-r", "2h", carol)
	cmd.Env = append(cmd.Env, "KRB5CCNAME="+mit)
	cmd.Stdin = strings.NewReader(carolPassword + "\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("kinit carol: %v\n%s", err, out)
	}
	if r := krenewEnv(t, k, []string{"KRB5CCNAME=" + ours}, carolPassword+"\n", "--once", "--init", "--password-stdin", "-u", carol); r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	mitCaches, mitPrimary := members(t, k, mit)
	ourCaches, ourPrimary := members(t, k, ours)
	if len(mitCaches) != 2 || len(ourCaches) != len(mitCaches) || mitPrimary != ourPrimary {
		t.Errorf("kinit: %v (primary %s); krenew: %v (primary %s)", mitCaches, mitPrimary, ourCaches, ourPrimary)
	}
	entries, _ := os.ReadDir(filepath.Join(dir, "ours"))
	if len(entries) != 3 { // primary, tkt, one new cache
		t.Errorf("the collection holds %d files, want 3", len(entries))
	}
}

// sleepPastSecond lets klist's whole-second times tell a renewal apart.
func sleepPastSecond() { time.Sleep(1100 * time.Millisecond) }
