package ccache

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"github.com/krenew/krenew/internal/testkcm"
	"github.com/krenew/krenew/internal/testkdc"
)

// The scenarios below hold krenew's choice of cache in a collection to
// what MIT's kinit does with the same default cache, with MIT's kinit,
// klist and kswitch as the oracle, for each collection type.

const (
	carol         = "carol"
	carolPassword = "carol-secret-pw"
)

// collHarness is a test KDC with carol added, and a collection that MIT's
// tools use as their default cache (KRB5CCNAME), as kinit carol would.
type collHarness struct {
	k    *testkdc.KDC
	coll string
	opts OpenOptions
}

func newCollHarness(t *testing.T, k *testkdc.KDC, coll string, opts OpenOptions) *collHarness {
	t.Helper()
	k.AddPrincipal(t, carol, carolPassword)
	return &collHarness{k: k, coll: coll, opts: opts}
}

// run runs an MIT tool with the collection as its default cache.
func (h *collHarness) run(t *testing.T, stdin, prog string, args ...string) (string, int) {
	t.Helper()
	cmd := h.k.Command(t, prog, args...)
	cmd.Env = append(cmd.Env, "LC_ALL=C", "TZ=UTC", "KRB5CCNAME="+h.coll)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil && cmd.ProcessState == nil {
		t.Fatalf("running %s: %v", prog, err)
	}
	code := 0
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok {
		code = ws.ExitStatus()
	}
	return string(out), code
}

func (h *collHarness) ok(t *testing.T, stdin, prog string, args ...string) string {
	t.Helper()
	out, code := h.run(t, stdin, prog, args...)
	if code != 0 {
		t.Fatalf("%s %s (KRB5CCNAME=%s): exit %d\n%s", prog, strings.Join(args, " "), h.coll, code, out)
	}
	return out
}

func (h *collHarness) kinit(t *testing.T, user, password string) {
	t.Helper()
	h.ok(t, password+"\n", "kinit", "-r", "2d", h.k.Principal(user))
}

func (h *collHarness) principal(user string) Principal {
	return Principal{NameType: NameTypePrincipal, Realm: h.k.Realm, Components: []string{user}}
}

func (h *collHarness) name(t *testing.T) Name {
	t.Helper()
	n, err := ParseName(h.coll)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

var ticketCacheLine = regexp.MustCompile(`(?m)^Ticket cache: (\S+)$`)

// primaryName is the cache MIT's klist resolves the collection to.
func (h *collHarness) primaryName(t *testing.T) string {
	t.Helper()
	out := h.ok(t, "", "klist")
	m := ticketCacheLine.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("klist names no cache:\n%s", out)
	}
	return m[1]
}

// klistOf is everything klist shows of one cache but the line naming it.
func (h *collHarness) klistOf(t *testing.T, cache string) string {
	t.Helper()
	return dropCacheLine(h.ok(t, "", "klist", "-C", "-e", "-f", "-c", cache))
}

// ticketOf gets user a ticket from the KDC into a file of its own and
// returns it: the cache the command line writes after kinit's exchange.
func (h *collHarness) ticketOf(t *testing.T, user, password string) *Cache {
	t.Helper()
	path := filepath.Join(t.TempDir(), user+".ccache")
	h.ok(t, password+"\n", "kinit", "-r", "2d", "-c", "FILE:"+path, h.k.Principal(user))
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	c, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func mustSelect(t *testing.T, n Name, o OpenOptions, p Principal) Selection {
	t.Helper()
	sel, err := ForPrincipal(n, o, p)
	if err != nil {
		t.Fatalf("ForPrincipal(%s, %s): %v", n, p, err)
	}
	return sel
}

func mustList(t *testing.T, n Name, o OpenOptions) []Member {
	t.Helper()
	ms, err := List(n, o)
	if err != nil {
		t.Fatalf("List(%s): %v", n, err)
	}
	return ms
}

// testKrenewBesideMIT: alice's ticket from MIT's kinit is the primary;
// carol's goes where kinit would have put it, a new cache of the
// collection that becomes the primary, and alice's stays as it was.
func testKrenewBesideMIT(t *testing.T, h *collHarness) {
	h.kinit(t, testkdc.Alice, testkdc.AlicePassword)
	aliceName := h.primaryName(t)
	aliceBefore := h.klistOf(t, aliceName)
	carolCache := h.ticketOf(t, carol, carolPassword)
	n := h.name(t)

	if sel := mustSelect(t, n, h.opts, h.principal(testkdc.Alice)); !sel.Existing || sel.MakePrimary != nil || sel.Name != n {
		t.Errorf("alice, the primary: got %s existing %v switch %v, want the collection name itself",
			sel.Name, sel.Existing, sel.MakePrimary != nil)
	}

	sel := mustSelect(t, n, h.opts, h.principal(carol))
	if sel.Existing || sel.MakePrimary == nil || sel.Name.IsCollection() || sel.Name.String() == aliceName {
		t.Fatalf("carol: got %s existing %v switch %v, want a new cache of the collection",
			sel.Name, sel.Existing, sel.MakePrimary != nil)
	}
	if ms := mustList(t, n, h.opts); len(ms) != 1 {
		t.Errorf("choosing a new cache created something: %+v", ms)
	}
	if sel.Name.LockKey() == "" || sel.Name.String() == h.coll {
		t.Errorf("new cache name %q, lock key %q", sel.Name, sel.Name.LockKey())
	}
	if reparsed, err := ParseName(sel.Name.String()); err != nil || reparsed.String() != sel.Name.String() ||
		reparsed.LockKey() != sel.Name.LockKey() {
		t.Errorf("the new cache's name %s does not parse back as itself: %+v %v", sel.Name, reparsed, err)
	}

	err := sel.Store.Update(func(old *Cache) (*Cache, error) {
		if old != nil {
			t.Errorf("the new cache already held %v", old.DefaultPrincipal)
		}
		return carolCache, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := h.primaryName(t); got != aliceName {
		t.Errorf("writing carol's cache switched the primary to %s before MakePrimary", got)
	}
	if err := sel.MakePrimary(); err != nil {
		t.Fatal(err)
	}

	if out := h.ok(t, "", "klist", "-l"); !strings.Contains(out, h.k.Principal(testkdc.Alice)) ||
		!strings.Contains(out, h.k.Principal(carol)) || !strings.Contains(out, sel.Name.String()) ||
		!strings.Contains(out, aliceName) {
		t.Errorf("klist -l does not list both caches:\n%s", out)
	}
	out := h.ok(t, "", "klist")
	if !strings.Contains(out, "Ticket cache: "+sel.Name.String()) ||
		!strings.Contains(out, "Default principal: "+h.k.Principal(carol)) {
		t.Errorf("klist of the collection after MakePrimary:\n%s", out)
	}
	t.Logf("alice in %s, carol in %s", aliceName, sel.Name)
	if got := h.klistOf(t, aliceName); got != aliceBefore {
		t.Errorf("alice's cache changed\n--- before\n%s\n--- after\n%s", aliceBefore, got)
	}
	if out := h.ok(t, "", "klist", "-s", "-c", aliceName); out != "" {
		t.Errorf("klist -s of alice's cache: %s", out)
	}

	n = h.name(t) // as the next krenew would parse it
	alice := mustSelect(t, n, h.opts, h.principal(testkdc.Alice))
	if !alice.Existing || alice.Name.String() != aliceName || alice.MakePrimary == nil {
		t.Errorf("alice after the switch: got %s existing %v switch %v, want her cache %s",
			alice.Name, alice.Existing, alice.MakePrimary != nil, aliceName)
	}
	again := mustSelect(t, n, h.opts, h.principal(carol))
	if !again.Existing || again.MakePrimary != nil || again.Name != n {
		t.Errorf("carol again: got %s existing %v switch %v, want the collection, whose primary is hers",
			again.Name, again.Existing, again.MakePrimary != nil)
	}
	if c, err := again.Store.Load(); err != nil || !c.DefaultPrincipal.Equal(h.principal(carol)) {
		t.Errorf("carol's second selection loads %v (%v)", c, err)
	}
	if ms := mustList(t, n, h.opts); len(ms) != 2 || !ms[0].Primary || ms[0].Name.String() != sel.Name.String() {
		t.Errorf("List after the switch: %+v", ms)
	}

	// MIT's kinit -R of carol renews the cache krenew made, and kinit of
	// alice finds hers: both agree with ForPrincipal's answers.
	h.ok(t, "", "kinit", "-R", h.k.Principal(carol))
	if got := h.primaryName(t); got != sel.Name.String() {
		t.Errorf("kinit -R carol used %s", got)
	}
	h.kinit(t, testkdc.Alice, testkdc.AlicePassword)
	if got := h.primaryName(t); got != aliceName {
		t.Errorf("MIT's kinit alice used %s, ForPrincipal %s", got, alice.Name)
	}
}

// testFindsMITCache: carol's cache made by MIT's kinit (a new cache, as
// alice's held the primary) is the one ForPrincipal picks once alice is
// the primary again, and MakePrimary switches to it as kswitch would.
// The names krenew makes for new caches look like MIT's.
func testFindsMITCache(t *testing.T, h *collHarness, sameShape func(mit, ours string) bool) {
	h.kinit(t, testkdc.Alice, testkdc.AlicePassword)
	aliceName := h.primaryName(t)
	h.kinit(t, carol, carolPassword)
	carolName := h.primaryName(t)
	if carolName == aliceName {
		t.Fatalf("MIT's kinit carol overwrote alice's cache %s", aliceName)
	}
	h.ok(t, "", "kswitch", "-p", h.k.Principal(testkdc.Alice))

	n := h.name(t)
	sel := mustSelect(t, n, h.opts, h.principal(carol))
	if !sel.Existing || sel.Name.String() != carolName || sel.MakePrimary == nil {
		t.Fatalf("carol: got %s existing %v switch %v, want MIT's cache %s",
			sel.Name, sel.Existing, sel.MakePrimary != nil, carolName)
	}
	if c, err := sel.Store.Load(); err != nil || !c.DefaultPrincipal.Equal(h.principal(carol)) {
		t.Errorf("carol's cache loads %v (%v)", c, err)
	}
	if err := sel.MakePrimary(); err != nil {
		t.Fatal(err)
	}
	if got := h.primaryName(t); got != carolName {
		t.Errorf("after MakePrimary klist shows %s, want %s", got, carolName)
	}

	bob := mustSelect(t, h.name(t), h.opts, h.principal(testkdc.Bob))
	t.Logf("MIT made %s for carol; krenew would make %s for bob", carolName, bob.Name)
	if bob.Existing || bob.MakePrimary == nil || !sameShape(carolName, bob.Name.String()) {
		t.Errorf("bob's new cache %s (existing %v), MIT made %s", bob.Name, bob.Existing, carolName)
	}
}

// testEmptyCollection: with nothing in the collection, the write goes to
// the collection name, whose primary it creates, as kinit's does.
func testEmptyCollection(t *testing.T, h *collHarness) {
	n := h.name(t)
	if ms := mustList(t, n, h.opts); len(ms) != 0 {
		t.Fatalf("fresh collection lists %+v", ms)
	}
	sel := mustSelect(t, n, h.opts, h.principal(carol))
	if sel.Existing || sel.MakePrimary != nil || sel.Name != n {
		t.Fatalf("empty collection: got %s existing %v switch %v", sel.Name, sel.Existing, sel.MakePrimary != nil)
	}
	carolCache := h.ticketOf(t, carol, carolPassword)
	if err := sel.Store.Update(func(*Cache) (*Cache, error) { return carolCache, nil }); err != nil {
		t.Fatal(err)
	}
	if out := h.ok(t, "", "klist"); !strings.Contains(out, "Default principal: "+h.k.Principal(carol)) {
		t.Errorf("klist of the collection:\n%s", out)
	}
	h.kinit(t, carol, carolPassword)
	if ms := mustList(t, h.name(t), h.opts); len(ms) != 1 {
		t.Errorf("MIT's kinit carol did not reuse the cache krenew wrote: %+v", ms)
	}
}

// testRenewKeepsPrimary: rewriting alice's cache while carol's is the
// primary, as a renewal does, leaves carol's the primary.
func testRenewKeepsPrimary(t *testing.T, h *collHarness) {
	h.kinit(t, testkdc.Alice, testkdc.AlicePassword)
	aliceName := h.primaryName(t)
	h.kinit(t, carol, carolPassword)
	carolName := h.primaryName(t)
	sel := mustSelect(t, h.name(t), h.opts, h.principal(testkdc.Alice))
	if !sel.Existing || sel.Name.String() != aliceName {
		t.Fatalf("alice: got %s existing %v, want %s", sel.Name, sel.Existing, aliceName)
	}
	err := sel.Store.Update(func(old *Cache) (*Cache, error) {
		old.SetConfig("krenew_test", nil, []byte("renewed"))
		return old, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := h.primaryName(t); got != carolName {
		t.Errorf("rewriting alice's cache made %s the primary, want carol's %s", got, carolName)
	}
	if out := h.ok(t, "", "klist", "-C", "-c", aliceName); !strings.Contains(out, "krenew_test = renewed") {
		t.Errorf("klist of alice's cache:\n%s", out)
	}
}

// sameSuffixShape: both names end in prefix and the same number of
// random characters.
func sameSuffixShape(prefix string) func(mit, ours string) bool {
	return func(mit, ours string) bool {
		i, j := strings.LastIndex(mit, prefix), strings.LastIndex(ours, prefix)
		return i >= 0 && j >= 0 && len(mit)-i == len(ours)-j && mit[:i] == ours[:j]
	}
}

func dirHarness(t *testing.T) *collHarness {
	t.Helper()
	k := testkdc.Start(t, testkdc.Options{})
	return newCollHarness(t, k, "DIR:"+filepath.Join(t.TempDir(), "coll"), OpenOptions{})
}

func TestCollectionDirKrenewBesideMIT(t *testing.T) {
	h := dirHarness(t)
	if err := os.Mkdir(strings.TrimPrefix(h.coll, "DIR:"), 0o700); err != nil {
		t.Fatal(err)
	}
	testKrenewBesideMIT(t, h)
	dir := strings.TrimPrefix(h.coll, "DIR:")
	if left, _ := filepath.Glob(filepath.Join(dir, ".*")); len(left) != 0 {
		t.Errorf("temporary files left in the collection: %v", left)
	}
	b, err := os.ReadFile(filepath.Join(dir, "primary"))
	if err != nil || !regexp.MustCompile(`^tkt[A-Za-z0-9]*\n$`).Match(b) {
		t.Errorf("primary file %q (%v)", b, err)
	}
}

func TestCollectionDirFindsMITCache(t *testing.T) {
	h := dirHarness(t)
	if err := os.Mkdir(strings.TrimPrefix(h.coll, "DIR:"), 0o700); err != nil {
		t.Fatal(err)
	}
	testFindsMITCache(t, h, sameSuffixShape("/tkt"))
}

func TestCollectionDirEmpty(t *testing.T) {
	testEmptyCollection(t, dirHarness(t))
}

func kcmHarness(t *testing.T) *collHarness {
	t.Helper()
	k := testkdc.Start(t, testkdc.Options{})
	d := testkcm.Start(t, testkcm.Options{})
	k.Krb5Conf = d.Krb5Conf(t, k.Krb5Conf)
	return newCollHarness(t, k, "KCM:", OpenOptions{KCMSocket: d.Socket})
}

func TestCollectionKCMKrenewBesideMIT(t *testing.T) {
	testKrenewBesideMIT(t, kcmHarness(t))
}

func TestCollectionKCMFindsMITCache(t *testing.T) {
	// The daemon names new caches; both come from its GEN_NEW.
	testFindsMITCache(t, kcmHarness(t), func(mit, ours string) bool {
		return strings.HasPrefix(mit, "KCM:") && strings.HasPrefix(ours, "KCM:") && mit != ours
	})
}

func TestCollectionKCMRenewKeepsPrimary(t *testing.T) {
	testRenewKeepsPrimary(t, kcmHarness(t))
}

func TestCollectionDirRenewKeepsPrimary(t *testing.T) {
	testRenewKeepsPrimary(t, dirHarness(t))
}

func TestCollectionKCMEmpty(t *testing.T) {
	testEmptyCollection(t, kcmHarness(t))
}
