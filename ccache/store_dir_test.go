package ccache

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeThrough(t *testing.T, s Store) error {
	t.Helper()
	c, err := Parse(readFixture(t, "mit-v4.ccache"))
	if err != nil {
		t.Fatal(err)
	}
	return s.Update(func(*Cache) (*Cache, error) { return c, nil })
}

func TestDirCollectionIsCreatedWithItsPrimary(t *testing.T) {
	coll := filepath.Join(t.TempDir(), "coll")
	n, err := ParseName("DIR:" + coll)
	if err != nil {
		t.Fatal(err)
	}
	s, err := Open(n, OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := writeThrough(t, s); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(coll)
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("collection directory: %v %v, want mode 0700 as MIT makes it", fi, err)
	}
	if b, err := os.ReadFile(filepath.Join(coll, "primary")); err != nil || string(b) != "tkt\n" {
		t.Errorf("primary file %q (%v), want \"tkt\\n\" as MIT writes it", b, err)
	}
	if _, err := s.Load(); err != nil {
		t.Errorf("reading back: %v", err)
	}
	if left, _ := filepath.Glob(filepath.Join(coll, ".*")); len(left) != 0 {
		t.Errorf("temporary files left in the collection: %v", left)
	}
}

func TestDirPrimaryIsNeverSwitched(t *testing.T) {
	coll := t.TempDir()
	if err := os.WriteFile(filepath.Join(coll, "primary"), []byte("tktOther\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	n, err := ParseName("DIR::" + filepath.Join(coll, "tktMine"))
	if err != nil {
		t.Fatal(err)
	}
	s, _ := Open(n, OpenOptions{})
	if err := writeThrough(t, s); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(coll, "primary")); string(b) != "tktOther\n" {
		t.Errorf("primary is now %q; writing a named cache must not switch the collection", b)
	}
	// The primary cache of the collection is the one recorded there.
	n, err = ParseName("DIR:" + coll)
	if err != nil || n.Path != filepath.Join(coll, "tktOther") {
		t.Fatalf("DIR:%s resolves to %+v (%v)", coll, n, err)
	}
}

func TestDirSubsidiaryDoesNotRecordAPrimary(t *testing.T) {
	coll := filepath.Join(t.TempDir(), "coll")
	n, err := ParseName("DIR::" + filepath.Join(coll, "tktA"))
	if err != nil {
		t.Fatal(err)
	}
	s, _ := Open(n, OpenOptions{})
	if err := writeThrough(t, s); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(coll, "primary")); !os.IsNotExist(err) {
		t.Errorf("a DIR:: cache recorded itself as the primary (%v); MIT's kinit does not", err)
	}
}

func TestDirWithoutParentIsAnError(t *testing.T) {
	coll := filepath.Join(t.TempDir(), "missing", "coll")
	n, err := ParseName("DIR:" + coll)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := Open(n, OpenOptions{})
	err = writeThrough(t, s)
	if err == nil || !strings.Contains(err.Error(), "parent does not exist") {
		t.Fatalf("error %v, want one saying the parent does not exist", err)
	}
}

// Root writing into another user's DIR collection (sudo krenew -k
// DIR:/run/user/1000/krb5cc) gives every file it creates there, the new
// cache, the primary it records or switches, to the directory's owner:
// a root-owned member makes that user's klist -A fail ("Credentials cache
// permissions incorrect"). Root's own collection stays root's.
func TestDirFilesRootCreatesBelongToTheCollectionsOwner(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to give files to another user (make test as root runs it)")
	}
	const uid, gid = 4242, 4243
	coll := filepath.Join(t.TempDir(), "coll")
	if err := os.Mkdir(coll, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(coll, uid, gid); err != nil {
		t.Fatal(err)
	}
	explicit := OpenOptions{Explicit: true}
	n, err := parseName("DIR:"+coll, policyFor(explicit))
	if err != nil {
		t.Fatal(err)
	}
	s, err := Open(n, explicit)
	if err != nil {
		t.Fatal(err)
	}
	if err := writeThrough(t, s); err != nil {
		t.Fatal(err)
	}
	other, err := parseName("DIR::"+filepath.Join(coll, "tktOther"), policyFor(explicit))
	if err != nil {
		t.Fatal(err)
	}
	os2, err := Open(other, explicit)
	if err != nil {
		t.Fatal(err)
	}
	if err := writeThrough(t, os2); err != nil {
		t.Fatal(err)
	}
	if err := switchDir(other, explicit); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"tkt", "tktOther", "primary"} {
		fi, err := os.Stat(filepath.Join(coll, name))
		if err != nil {
			t.Fatal(err)
		}
		st, _ := statOwner(fi)
		if st.Uid != uid || st.Gid != gid || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: owner %d:%d mode %04o, want %d:%d 0600", name, st.Uid, st.Gid, fi.Mode().Perm(), uid, gid)
		}
	}

	own := filepath.Join(t.TempDir(), "own")
	n, _ = ParseName("DIR:" + own)
	s, _ = Open(n, OpenOptions{})
	if err := writeThrough(t, s); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(own, "tkt"))
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := statOwner(fi); st.Uid != 0 {
		t.Errorf("root's own collection: cache owned by uid %d", st.Uid)
	}
}
