package ccache

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

func TestIsCollection(t *testing.T) {
	dir := t.TempDir()
	for raw, want := range map[string]bool{
		"FILE:" + filepath.Join(dir, "cc"):          false,
		"DIR:" + dir:                                true,
		"DIR::" + filepath.Join(dir, "tktX"):        false,
		"KEYRING:session:coll":                      true,
		"KEYRING:persistent:1000":                   true,
		"KEYRING:legacycoll":                        true,
		"KEYRING:session:coll:krb_ccache_abcdefg":   false,
		"KEYRING:persistent:1000:krb_ccache_abcdef": false,
		"KCM:":     true,
		"KCM:1000": false,
	} {
		n, err := ParseName(raw)
		if err != nil {
			t.Fatalf("%s: %v", raw, err)
		}
		if got := n.IsCollection(); got != want {
			t.Errorf("%s: IsCollection %v, want %v", raw, got, want)
		}
	}
}

// Names that are not collections come back as they are, without a look
// at the cache (a KCM daemon that is not there is not contacted).
func TestForPrincipalLeavesSingleCachesAlone(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "cc")
	if err := os.WriteFile(file, readFixture(t, "mit-v4.ccache"), 0o600); err != nil {
		t.Fatal(err)
	}
	bob := Principal{NameType: NameTypePrincipal, Realm: "FIXTURE.TEST", Components: []string{"bob"}}
	for _, raw := range []string{
		"FILE:" + file,
		"DIR::" + filepath.Join(dir, "tktOne"),
		"KEYRING:session:coll:krb_ccache_abcdefg",
		"KCM:1000",
	} {
		n, err := ParseName(raw)
		if err != nil {
			t.Fatal(err)
		}
		sel, err := ForPrincipal(n, OpenOptions{KCMSocket: filepath.Join(dir, "no-socket")}, bob)
		if err != nil {
			t.Fatalf("%s: %v", raw, err)
		}
		if sel.Name != n || sel.Existing || sel.MakePrimary != nil || sel.Store == nil {
			t.Errorf("%s: got %+v", raw, sel)
		}
	}
	n, _ := ParseName("FILE:" + file)
	sel, _ := ForPrincipal(n, OpenOptions{}, bob)
	if _, ok := sel.Store.(FileStore); !ok {
		t.Errorf("FILE store is %T, want the plain FileStore", sel.Store)
	}
	// alice's FILE cache is bob's to overwrite, as kinit bob would.
	c, err := Parse(readFixture(t, "mit-v4.ccache"))
	if err != nil {
		t.Fatal(err)
	}
	c.DefaultPrincipal = bob
	if err := sel.Store.Update(func(*Cache) (*Cache, error) { return c, nil }); err != nil {
		t.Errorf("overwriting a FILE cache: %v", err)
	}
}

func fixtureCache(t *testing.T, user string) *Cache {
	t.Helper()
	c, err := Parse(readFixture(t, "mit-v4.ccache"))
	if err != nil {
		t.Fatal(err)
	}
	c.DefaultPrincipal = Principal{NameType: NameTypePrincipal, Realm: "FIXTURE.TEST", Components: []string{user}}
	return c
}

// dirWithAlice is a DIR collection whose primary holds alice.
func dirWithAlice(t *testing.T) Name {
	t.Helper()
	n, err := ParseName("DIR:" + filepath.Join(t.TempDir(), "coll"))
	if err != nil {
		t.Fatal(err)
	}
	s, _ := Open(n, OpenOptions{})
	mustUpdateAny(t, s, fixtureCache(t, "alice"))
	return n
}

func mustUpdateAny(t *testing.T, s Store, c *Cache) {
	t.Helper()
	if err := s.Update(func(*Cache) (*Cache, error) { return c, nil }); err != nil {
		t.Fatal(err)
	}
}

func TestDirNewCacheIsNamedAsMITNamesThem(t *testing.T) {
	n := dirWithAlice(t)
	sel := mustSelect(t, n, OpenOptions{}, fixtureCache(t, "carol").DefaultPrincipal)
	want := regexp.MustCompile(`^DIR::` + regexp.QuoteMeta(n.Residual) + `/tkt[A-Za-z0-9]{6}$`)
	if !want.MatchString(sel.Name.String()) || sel.Name.LockKey() != sel.Name.Path {
		t.Errorf("new cache %s, lock key %s", sel.Name, sel.Name.LockKey())
	}
	if _, err := os.Lstat(sel.Name.Path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("ForPrincipal created %s (%v)", sel.Name.Path, err)
	}
	if _, err := sel.Store.Load(); !errors.Is(err, ErrNotFound) {
		t.Errorf("Load of the new cache before any write: %v", err)
	}
}

// The new cache's name is taken, by another principal, between the choice
// and the write: nothing is overwritten.
func TestDirNewCacheNeverOverwritesAnotherPrincipal(t *testing.T) {
	n := dirWithAlice(t)
	carol := fixtureCache(t, "carol")
	sel := mustSelect(t, n, OpenOptions{}, carol.DefaultPrincipal)
	bob := fixtureCache(t, "bob")
	if err := os.WriteFile(sel.Name.Path, bob.Marshal(), 0o600); err != nil {
		t.Fatal(err)
	}
	err := sel.Store.Update(func(*Cache) (*Cache, error) { return carol, nil })
	if !errors.Is(err, ErrOtherPrincipal) {
		t.Fatalf("Update over bob's cache: %v, want ErrOtherPrincipal", err)
	}
	if b, _ := os.ReadFile(sel.Name.Path); string(b) != string(bob.Marshal()) {
		t.Errorf("bob's cache was changed")
	}
	// The same principal's cache is carol's to update.
	if err := os.WriteFile(sel.Name.Path, carol.Marshal(), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := sel.Store.Update(func(*Cache) (*Cache, error) { return carol, nil }); err != nil {
		t.Errorf("Update of carol's own cache: %v", err)
	}
}

func TestDirSwitchWritesThePrimaryAsMITDoes(t *testing.T) {
	n := dirWithAlice(t)
	sel := mustSelect(t, n, OpenOptions{}, fixtureCache(t, "carol").DefaultPrincipal)
	mustUpdateAny(t, sel.Store, fixtureCache(t, "carol"))
	if err := sel.MakePrimary(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(n.Residual, "primary"))
	if err != nil || string(b) != filepath.Base(sel.Name.Path)+"\n" {
		t.Errorf("primary file %q (%v)", b, err)
	}
	if fi, err := os.Stat(filepath.Join(n.Residual, "primary")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("primary file mode %v (%v)", fi.Mode(), err)
	}
	again, err := ParseName("DIR:" + n.Residual)
	if err != nil || again.Path != sel.Name.Path {
		t.Errorf("collection resolves to %s (%v), want %s", again.Path, err, sel.Name.Path)
	}
	ms := mustList(t, again, OpenOptions{})
	if len(ms) != 2 || !ms[0].Primary || ms[0].Principal.Components[0] != "carol" || ms[1].Principal.Components[0] != "alice" {
		t.Errorf("List: %+v", ms)
	}
}

// A parsed DIR name goes stale when the collection switches; the
// selection follows the primary as it is now.
func TestDirSelectionFollowsASwitchSinceParse(t *testing.T) {
	n := dirWithAlice(t)
	sel := mustSelect(t, n, OpenOptions{}, fixtureCache(t, "carol").DefaultPrincipal)
	mustUpdateAny(t, sel.Store, fixtureCache(t, "carol"))
	if err := sel.MakePrimary(); err != nil {
		t.Fatal(err)
	}
	got := mustSelect(t, n, OpenOptions{}, fixtureCache(t, "carol").DefaultPrincipal)
	if got.Name.Path != sel.Name.Path || !got.Existing || got.MakePrimary != nil {
		t.Errorf("carol with the name parsed before the switch: %+v", got)
	}
}
