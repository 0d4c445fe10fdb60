package ccache

import (
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// plantTemp makes a file with a temp's name next to the cache, as a
// writer would have left it.
func plantTemp(t *testing.T, s FileStore, suffix string, mode os.FileMode, age time.Duration) string {
	t.Helper()
	p := filepath.Join(filepath.Dir(s.Path), "."+filepath.Base(s.Path)+".krenew-"+suffix)
	if err := os.WriteFile(p, []byte("half a cache"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-age)
	if err := os.Chtimes(p, old, old); err != nil {
		t.Fatal(err)
	}
	return p
}

func exists(p string) bool { _, err := os.Lstat(p); return err == nil }

func TestStaleTempsAreRemovedLiveOnesKept(t *testing.T) {
	s := storeWith(t, readFixture(t, "mit-v4.ccache"))
	dead := plantTemp(t, s, "0123456789ab", 0o600, 0)
	deadOld0 := plantTemp(t, s, "aaaaaaaaaaaa", 0, 2*unlockedTempGrace)
	young0 := plantTemp(t, s, "bbbbbbbbbbbb", 0, 0)
	notOurs := plantTemp(t, s, "not-a-suffix", 0o600, time.Hour)
	otherCache := filepath.Join(filepath.Dir(s.Path), ".krb5cc_other.krenew-0123456789ab")
	if err := os.WriteFile(otherCache, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	live := plantTemp(t, s, "cccccccccccc", 0o600, time.Hour)
	f, err := os.Open(live)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}

	Tidy(s)
	for _, p := range []string{dead, deadOld0} {
		if exists(p) {
			t.Errorf("stale temp %s survived a sweep", filepath.Base(p))
		}
	}
	for _, p := range []string{young0, notOurs, otherCache, live} {
		if !exists(p) {
			t.Errorf("%s was removed, but it is not a dead writer's temp of this cache", filepath.Base(p))
		}
	}
}

func TestTidyRemovesStaleTempsWithoutWriting(t *testing.T) {
	s := storeWith(t, readFixture(t, "mit-v4.ccache"))
	ino := inode(t, s.Path)
	dead := plantTemp(t, s, "0123456789ab", 0o600, 0)
	Tidy(s)
	if exists(dead) {
		t.Error("Tidy left a dead writer's temp")
	}
	if inode(t, s.Path) != ino {
		t.Error("Tidy rewrote the cache")
	}
}

func TestWriterHoldsItsTempLockedUntilRename(t *testing.T) {
	s := storeWith(t, readFixture(t, "mit-v4.ccache"))
	writers := map[string]func([]byte, fs.FileInfo) (string, *os.File, error){
		"unnamed (O_TMPFILE)": s.writeTemp, "named": s.writeNamedTemp,
	}
	for how, write := range writers {
		// The temp as it stands between the write and the rename: a
		// sweep by another writer must not touch it then.
		name, held, err := write([]byte("x"), nil)
		if err != nil {
			t.Fatal(err)
		}
		s.removeStaleTemps()
		if !exists(name) {
			t.Fatalf("%s: a sweep removed a temp whose writer is alive", how)
		}
		if fi, _ := os.Lstat(name); fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: locked temp has mode %v, want 0600", how, fi.Mode())
		}
		if b, _ := os.ReadFile(name); string(b) != "x" {
			t.Errorf("%s: temp holds %q before the rename", how, b)
		}
		held.Close()
		s.removeStaleTemps()
		if exists(name) {
			t.Errorf("%s: once its writer let go, the temp was not swept", how)
		}
	}
}
