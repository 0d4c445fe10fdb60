package ccache

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// storeWith puts content (nil: nothing) at a fresh cache path.
func storeWith(t *testing.T, content []byte) FileStore {
	t.Helper()
	p := filepath.Join(t.TempDir(), "krb5cc_test")
	if content != nil {
		if err := os.WriteFile(p, content, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return FileStore{Path: p}
}

func inode(t *testing.T, p string) uint64 {
	t.Helper()
	fi, err := os.Lstat(p)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Sys().(*syscall.Stat_t).Ino
}

func assertNoTemps(t *testing.T, s FileStore) {
	t.Helper()
	ents, err := os.ReadDir(filepath.Dir(s.Path))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if strings.Contains(e.Name(), ".krenew-") {
			t.Errorf("temporary file %s left behind", e.Name())
		}
	}
}

func assertUnchanged(t *testing.T, s FileStore, want []byte, ino uint64) {
	t.Helper()
	got, err := os.ReadFile(s.Path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Error("cache bytes changed")
	}
	if inode(t, s.Path) != ino {
		t.Error("cache file was replaced")
	}
	assertNoTemps(t, s)
}

func TestLoadMITFixture(t *testing.T) {
	s := storeWith(t, readFixture(t, "mit-v4.ccache"))
	c, err := s.Load()
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Credentials) != 4 || c.DefaultPrincipal.String() != "alice@FIXTURE.TEST" {
		t.Errorf("loaded %s with %d credentials", c.DefaultPrincipal, len(c.Credentials))
	}
}

func TestLoadMissing(t *testing.T) {
	s := storeWith(t, nil)
	_, err := s.Load()
	if !errors.Is(err, ErrNotFound) || !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("error %v, want ErrNotFound matching fs.ErrNotExist", err)
	}
	if !strings.Contains(err.Error(), s.Path) {
		t.Errorf("error %q does not name the file", err)
	}
	if err := s.Remove(); !errors.Is(err, ErrNotFound) {
		t.Errorf("Remove: %v, want ErrNotFound", err)
	}
}

func TestUpdateReplacesAtomicallyAndKeepsOtherEntries(t *testing.T) {
	orig := readFixture(t, "mit-v4.ccache")
	s := storeWith(t, orig)
	oldIno := inode(t, s.Path)
	var renewed Credential
	err := s.Update(func(old *Cache) (*Cache, error) {
		tgt, ok := old.FindTGT()
		if !ok {
			t.Fatal("fixture has no TGT")
		}
		renewed = *tgt
		renewed.StartTime = tgt.StartTime.Add(30 * time.Minute)
		renewed.EndTime = tgt.EndTime.Add(30 * time.Minute)
		renewed.Ticket = []byte("renewed ticket")
		old.PutCredential(renewed)
		return old, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Lstat(s.Path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode() != 0o600 {
		t.Errorf("mode %v, want -rw-------", fi.Mode())
	}
	if inode(t, s.Path) == oldIno {
		t.Error("file rewritten in place, want a rename")
	}
	assertNoTemps(t, s)

	got, err := s.Load()
	if err != nil {
		t.Fatal(err)
	}
	want, _ := Parse(orig)
	if len(got.Credentials) != len(want.Credentials) {
		t.Fatalf("%d credentials, want %d", len(got.Credentials), len(want.Credentials))
	}
	for i := range want.Credentials {
		w := want.Credentials[i]
		if w.Server.IsTGTFor("FIXTURE.TEST") {
			w = renewed
		}
		if !bytes.Equal((&Cache{Credentials: []Credential{got.Credentials[i]}}).Marshal(), (&Cache{Credentials: []Credential{w}}).Marshal()) {
			t.Errorf("credential %d (%s) differs", i, w.Server)
		}
	}
	if !bytes.Equal(got.Header[0].Value, want.Header[0].Value) {
		t.Error("header not kept")
	}
}

func TestUpdateCreatesMissingCache0600(t *testing.T) {
	// The directory first: under this umask t.TempDir would make one its
	// owner cannot write to, which only root gets past (issue 18).
	s := storeWith(t, nil)
	old := syscall.Umask(0o277) // would make a plain create 0400
	defer syscall.Umask(old)
	calls := 0
	err := s.Update(func(old *Cache) (*Cache, error) {
		calls++
		if old != nil {
			t.Errorf("old = %+v for a missing file", old)
		}
		return &Cache{DefaultPrincipal: alice}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if calls != 1 {
		t.Errorf("fn called %d times", calls)
	}
	fi, err := os.Lstat(s.Path)
	if err != nil || fi.Mode() != 0o600 {
		t.Fatalf("stat %v %v, want mode 0600", fi, err)
	}
	c, err := s.Load()
	if err != nil || !c.DefaultPrincipal.Equal(alice) {
		t.Fatalf("Load: %+v %v", c, err)
	}
	assertNoTemps(t, s)
}

func TestUpdateFnErrorLeavesCacheUnchanged(t *testing.T) {
	orig := readFixture(t, "mit-v3.ccache")
	s := storeWith(t, orig)
	ino := inode(t, s.Path)
	boom := errors.New("boom")
	err := s.Update(func(old *Cache) (*Cache, error) {
		old.Credentials = nil
		return old, boom
	})
	if err != boom {
		t.Fatalf("error %v, want fn's error unchanged", err)
	}
	assertUnchanged(t, s, orig, ino)

	// (nil, nil) means "nothing to write".
	if err := s.Update(func(*Cache) (*Cache, error) { return nil, nil }); err != nil {
		t.Fatal(err)
	}
	assertUnchanged(t, s, orig, ino)

	// Nothing created for a missing cache either.
	missing := storeWith(t, nil)
	if err := missing.Update(func(*Cache) (*Cache, error) { return nil, boom }); err != boom {
		t.Fatalf("error %v", err)
	}
	if _, err := os.Lstat(missing.Path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("cache created although fn failed: %v", err)
	}
	assertNoTemps(t, missing)
}

func TestGarbageCacheIsAnErrorAndKept(t *testing.T) {
	garbage := []byte("this is not a credential cache\n")
	s := storeWith(t, garbage)
	ino := inode(t, s.Path)
	if _, err := s.Load(); !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), s.Path) {
		t.Errorf("Load: %v, want ErrFormat naming the file", err)
	}
	err := s.Update(func(*Cache) (*Cache, error) {
		t.Error("fn called for an unparsable cache")
		return &Cache{DefaultPrincipal: alice}, nil
	})
	if !errors.Is(err, ErrFormat) {
		t.Errorf("Update: %v, want ErrFormat", err)
	}
	assertUnchanged(t, s, garbage, ino)
}

func TestSymlinkIsNeverFollowed(t *testing.T) {
	for _, dangling := range []bool{false, true} {
		dir := t.TempDir()
		target := filepath.Join(dir, "target")
		content := readFixture(t, "mit-v4.ccache")
		if !dangling {
			if err := os.WriteFile(target, content, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		s := FileStore{Path: filepath.Join(dir, "krb5cc")}
		if err := os.Symlink(target, s.Path); err != nil {
			t.Fatal(err)
		}

		if _, err := s.Load(); !errors.Is(err, ErrSymlink) {
			t.Errorf("dangling=%v Load: %v, want ErrSymlink", dangling, err)
		}
		err := s.Update(func(*Cache) (*Cache, error) {
			t.Error("fn called through a symlink")
			return &Cache{DefaultPrincipal: alice}, nil
		})
		if !errors.Is(err, ErrSymlink) || !strings.Contains(err.Error(), s.Path) {
			t.Errorf("dangling=%v Update: %v, want ErrSymlink naming the path", dangling, err)
		}
		if err := s.Remove(); !errors.Is(err, ErrSymlink) {
			t.Errorf("dangling=%v Remove: %v, want ErrSymlink", dangling, err)
		}

		if fi, err := os.Lstat(s.Path); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
			t.Errorf("symlink replaced: %v %v", fi, err)
		}
		got, err := os.ReadFile(target)
		switch {
		case dangling && !errors.Is(err, fs.ErrNotExist):
			t.Errorf("dangling symlink target created: %v", err)
		case !dangling && !bytes.Equal(got, content):
			t.Error("symlink target modified")
		}
		assertNoTemps(t, s)
	}
}

// A symlink or file planted at the temp name is never written through:
// Update picks another name, and gives up without touching anything if
// every name it tries is taken.
func TestTempNameCollisionsAreNotFollowed(t *testing.T) {
	orig := readFixture(t, "mit-v4.ccache")
	s := storeWith(t, orig)
	victim := filepath.Join(t.TempDir(), "victim")
	if err := os.WriteFile(victim, []byte("keep"), 0o600); err != nil {
		t.Fatal(err)
	}
	planted := filepath.Join(filepath.Dir(s.Path), ".krb5cc_test.krenew-planted")
	if err := os.Symlink(victim, planted); err != nil {
		t.Fatal(err)
	}
	realSuffix := tempSuffix
	defer func() { tempSuffix = realSuffix }()

	// Always the planted name: Update fails, cache untouched.
	tempSuffix = func() string { return "planted" }
	ino := inode(t, s.Path)
	err := s.Update(func(c *Cache) (*Cache, error) { return c, nil })
	if !errors.Is(err, fs.ErrExist) {
		t.Errorf("Update: %v, want EEXIST", err)
	}
	if b, _ := os.ReadFile(s.Path); !bytes.Equal(b, orig) || inode(t, s.Path) != ino {
		t.Error("cache changed")
	}

	// The planted name first, then a fresh one: Update succeeds.
	first := true
	tempSuffix = func() string {
		if first {
			first = false
			return "planted"
		}
		return realSuffix()
	}
	if err := s.Update(func(c *Cache) (*Cache, error) { return c, nil }); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(victim); string(b) != "keep" {
		t.Error("symlink target written")
	}
	if fi, err := os.Lstat(planted); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		t.Errorf("planted symlink removed or replaced: %v %v", fi, err)
	}
}

func TestNonRegularCacheIsRejected(t *testing.T) {
	dir := t.TempDir()
	fifo := FileStore{Path: filepath.Join(dir, "fifo")}
	if err := syscall.Mkfifo(fifo.Path, 0o600); err != nil {
		t.Fatal(err)
	}
	sub := FileStore{Path: filepath.Join(dir, "sub")}
	if err := os.Mkdir(sub.Path, 0o700); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if _, err := fifo.Load(); !errors.Is(err, ErrNotRegular) {
			t.Errorf("fifo Load: %v, want ErrNotRegular", err)
		}
		if err := fifo.Update(func(*Cache) (*Cache, error) { return nil, nil }); !errors.Is(err, ErrNotRegular) {
			t.Errorf("fifo Update: %v, want ErrNotRegular", err)
		}
		if _, err := sub.Load(); !errors.Is(err, ErrNotRegular) {
			t.Errorf("directory Load: %v, want ErrNotRegular", err)
		}
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Load hung on a FIFO")
	}
}

func TestRemove(t *testing.T) {
	s := storeWith(t, readFixture(t, "mit-v4.ccache"))
	if err := s.Remove(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(s.Path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("cache still there: %v", err)
	}
	if err := s.Remove(); !errors.Is(err, ErrNotFound) {
		t.Errorf("second Remove: %v, want ErrNotFound", err)
	}
}

func TestUpdateAsRootKeepsOwner(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to chown")
	}
	s := storeWith(t, readFixture(t, "mit-v4.ccache"))
	if err := os.Chown(s.Path, 4242, 4343); err != nil {
		t.Fatal(err)
	}
	s.Explicit = true // root may use another user's cache only when named
	if err := s.Update(func(c *Cache) (*Cache, error) { return c, nil }); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Lstat(s.Path)
	if err != nil {
		t.Fatal(err)
	}
	if st := fi.Sys().(*syscall.Stat_t); st.Uid != 4242 || st.Gid != 4343 {
		t.Errorf("owner %d:%d, want 4242:4343", st.Uid, st.Gid)
	}
}

func TestCreatePrivate(t *testing.T) {
	dir := t.TempDir()
	c := &Cache{Version: 4, DefaultPrincipal: Principal{NameType: 1, Realm: "R", Components: []string{"alice"}}}
	seen := map[string]bool{}
	for range 5 {
		s, err := CreatePrivate(dir, "krb5cc_1000_", c)
		if err != nil {
			t.Fatal(err)
		}
		if seen[s.Path] || !strings.HasPrefix(filepath.Base(s.Path), "krb5cc_1000_") || filepath.Dir(s.Path) != dir {
			t.Fatalf("bad or repeated name %s", s.Path)
		}
		seen[s.Path] = true
		fi, err := os.Lstat(s.Path)
		if err != nil || fi.Mode().Perm() != 0o600 || !fi.Mode().IsRegular() {
			t.Fatalf("private cache %s: %v %v", s.Path, fi.Mode(), err)
		}
		got, err := s.Load()
		if err != nil || !got.DefaultPrincipal.Equal(c.DefaultPrincipal) {
			t.Fatalf("load: %v %+v", err, got)
		}
	}
}
