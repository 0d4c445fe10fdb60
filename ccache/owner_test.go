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

// mallory is the uid of the other local user in these tests: nobody has
// it, so a file chowned to it is another user's.
const mallory = 4242

// statInfo is an fs.FileInfo with only an owner and a mode, for checkAs.
type statInfo struct {
	mode fs.FileMode
	uid  uint32
}

func (s statInfo) Name() string       { return "x" }
func (s statInfo) Size() int64        { return 0 }
func (s statInfo) Mode() fs.FileMode  { return s.mode }
func (s statInfo) ModTime() time.Time { return time.Time{} }
func (s statInfo) IsDir() bool        { return s.mode.IsDir() }
func (s statInfo) Sys() any           { return &syscall.Stat_t{Uid: s.uid} }

func TestOwnerPolicy(t *testing.T) {
	for _, tc := range []struct {
		name     string
		user     int
		anyOwner bool
		fi       statInfo
		want     UnsafeReason // 0: accepted
	}{
		{"own private file", 1000, false, statInfo{0o600, 1000}, 0},
		{"own file readable by all", 1000, false, statInfo{0o644, 1000}, 0},
		{"own private directory", 1000, false, statInfo{fs.ModeDir | 0o700, 1000}, 0},
		{"another user's file", 1000, false, statInfo{0o600, mallory}, NotOwned},
		{"root's file for a user", 1000, false, statInfo{0o600, 0}, NotOwned},
		{"another user's file, named explicitly", 1000, true, statInfo{0o600, mallory}, NotOwned},
		{"a user's file for root", 0, false, statInfo{0o600, mallory}, NotOwned},
		{"a user's file for root, named explicitly", 0, true, statInfo{0o600, mallory}, 0},
		{"own group-writable file", 1000, false, statInfo{0o620, 1000}, WritableByOthers},
		{"own world-writable file", 1000, false, statInfo{0o602, 1000}, WritableByOthers},
		{"own world-writable sticky directory", 1000, false, statInfo{fs.ModeDir | fs.ModeSticky | 0o777, 1000}, WritableByOthers},
		{"world-writable file for root, named explicitly", 0, true, statInfo{0o666, mallory}, WritableByOthers},
	} {
		err := ownerPolicy{anyOwner: tc.anyOwner}.checkAs(tc.user, tc.fi, "/tmp/x", roleCache)
		var ue *UnsafeError
		switch {
		case tc.want == 0 && err != nil:
			t.Errorf("%s: refused: %v", tc.name, err)
		case tc.want != 0 && !errors.As(err, &ue):
			t.Errorf("%s: %v, want an UnsafeError", tc.name, err)
		case tc.want != 0 && (ue.Reason != tc.want || !errors.Is(err, ErrUnsafe)):
			t.Errorf("%s: reason %d (%v), want %d", tc.name, ue.Reason, err, tc.want)
		}
	}
}

// asRoot skips a test that needs root to chown files to another user. CI
// runs make test as root, where these run, and then the packages' tests
// once more as an ordinary user (make unprivileged), where they skip.
func asRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to give files to another user (make test as root runs it)")
	}
}

func chown(t *testing.T, path string, uid int) {
	t.Helper()
	if err := os.Lchown(path, uid, uid); err != nil {
		t.Fatal(err)
	}
}

// wantUnsafe checks err is the refusal of path for reason.
func wantUnsafe(t *testing.T, what string, err error, path string, reason UnsafeReason) {
	t.Helper()
	var ue *UnsafeError
	if !errors.As(err, &ue) || !errors.Is(err, ErrUnsafe) {
		t.Errorf("%s: %v, want the refusal of %s", what, err, path)
		return
	}
	if ue.Path != path || ue.Reason != reason {
		t.Errorf("%s: refused %s for reason %d (%v), want %s for %d", what, ue.Path, ue.Reason, err, path, reason)
	}
}

// A cache another user planted is neither read nor written, whatever its
// mode; root may use it only when it was named explicitly, and never one
// that others may write.
func TestFileStoreRefusesAnotherUsersCache(t *testing.T) {
	asRoot(t)
	fixture := readFixture(t, "mit-v4.ccache")
	for _, mode := range []fs.FileMode{0o600, 0o644, 0o666} {
		s := storeWith(t, fixture)
		chown(t, s.Path, mallory)
		if err := os.Chmod(s.Path, mode); err != nil {
			t.Fatal(err)
		}
		reason := NotOwned
		_, err := s.Load()
		wantUnsafe(t, "Load of a planted cache", err, s.Path, reason)
		called := false
		err = s.Update(func(c *Cache) (*Cache, error) { called = true; return c, nil })
		wantUnsafe(t, "Update of a planted cache", err, s.Path, reason)
		if called {
			t.Errorf("mode %04o: Update called fn with another user's cache", mode)
		}
		if got := readFile(t, s.Path); !bytes.Equal(got, fixture) {
			t.Errorf("mode %04o: the planted cache was changed", mode)
		}

		explicit := FileStore{Path: s.Path, Explicit: true}
		_, err = explicit.Load()
		if mode&0o022 != 0 {
			wantUnsafe(t, "explicit Load of a world-writable cache", err, s.Path, WritableByOthers)
		} else if err != nil {
			t.Errorf("mode %04o: root's explicit Load of a user's cache: %v", mode, err)
		}
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The user's own cache that others may write is refused too; nobody else
// is needed for that.
func TestFileStoreRefusesWritableCache(t *testing.T) {
	s := storeWith(t, readFixture(t, "mit-v4.ccache"))
	if err := os.Chmod(s.Path, 0o622); err != nil {
		t.Fatal(err)
	}
	_, err := s.Load()
	wantUnsafe(t, "Load", err, s.Path, WritableByOthers)
	err = s.Update(func(c *Cache) (*Cache, error) { return c, nil })
	wantUnsafe(t, "Update", err, s.Path, WritableByOthers)
}

// A collection directory another user owns, or anyone may write, is
// refused when the name is resolved, listed, written to or switched.
func TestCollectionDirOfAnotherUser(t *testing.T) {
	asRoot(t)
	base := t.TempDir()
	theirs := filepath.Join(base, "theirs")
	if err := os.Mkdir(theirs, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(theirs, "primary"), []byte("tkt\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(theirs, "tkt"), readFixture(t, "mit-v4.ccache"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{theirs, filepath.Join(theirs, "primary"), filepath.Join(theirs, "tkt")} {
		chown(t, p, mallory)
	}
	for _, raw := range []string{"DIR:" + theirs, "DIR::" + filepath.Join(theirs, "tkt")} {
		_, err := ParseName(raw)
		wantUnsafe(t, "ParseName("+raw+")", err, theirs, NotOwned)
		if _, err := Resolve("", raw, ""); !errors.Is(err, ErrUnsafe) {
			t.Errorf("root resolving %s from KRB5CCNAME: %v, want ErrUnsafe", raw, err)
		}
		// Root, told explicitly, may renew a user's collection.
		if _, err := Resolve(raw, "", ""); err != nil {
			t.Errorf("root resolving %s from -k: %v", raw, err)
		}
	}

	// World-writable, even root's own and named explicitly.
	open := filepath.Join(base, "open")
	if err := os.Mkdir(open, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(open, os.ModeSticky|0o777); err != nil {
		t.Fatal(err)
	}
	if _, err := Resolve("DIR:"+open, "", ""); err == nil {
		t.Error("a world-writable collection directory was accepted")
	} else {
		wantUnsafe(t, "world-writable directory", err, open, WritableByOthers)
	}
}

// The directory may be missing when the name is resolved and created by
// someone else before the first write: krenew then writes nothing there,
// neither a cache nor a primary file, and does not switch its primary.
func TestCollectionDirCreatedByAnotherUserMeanwhile(t *testing.T) {
	asRoot(t)
	dir := filepath.Join(t.TempDir(), "later")
	n, err := ParseName("DIR:" + dir)
	if err != nil {
		t.Fatal(err)
	}
	s, err := Open(n, OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	chown(t, dir, mallory)
	c := &Cache{Version: 4, DefaultPrincipal: Principal{NameType: 1, Realm: "R", Components: []string{"alice"}}}
	err = s.Update(func(*Cache) (*Cache, error) { return c, nil })
	wantUnsafe(t, "Update", err, dir, NotOwned)
	if err := switchDir(Name{Type: "DIR", Residual: ":" + filepath.Join(dir, "tktX"), Path: filepath.Join(dir, "tktX")}, OpenOptions{}); !errors.Is(err, ErrUnsafe) {
		t.Errorf("switchDir in another user's directory: %v, want ErrUnsafe", err)
	}
	if _, err := ForPrincipal(n, OpenOptions{}, c.DefaultPrincipal); !errors.Is(err, ErrUnsafe) {
		t.Errorf("ForPrincipal in another user's directory: %v, want ErrUnsafe", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("krenew wrote into another user's directory: %v", entries)
	}
}

// A primary file that is a link is never followed, so the first line of a
// file only the user may read never shows up in an error; nor is a
// primary file of another user's used.
func TestPrimaryFileLinkAndOwner(t *testing.T) {
	dir := t.TempDir()
	secret := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secret, []byte("hunter2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	primary := filepath.Join(dir, "primary")
	if err := os.Symlink(secret, primary); err != nil {
		t.Fatal(err)
	}
	_, err := ParseName("DIR:" + dir)
	wantUnsafe(t, "primary link", err, primary, Symlink)
	if err != nil && strings.Contains(err.Error(), "hunter2") {
		t.Errorf("the link's target leaked into the error: %v", err)
	}
	if _, err := List(Name{Type: "DIR", Residual: dir, Path: filepath.Join(dir, "tkt")}, OpenOptions{}); !errors.Is(err, ErrUnsafe) {
		t.Errorf("List with a primary link: %v, want ErrUnsafe", err)
	}
	// A link to a valid primary is refused all the same.
	good := filepath.Join(t.TempDir(), "good")
	if err := os.WriteFile(good, []byte("tkt\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	os.Remove(primary)
	if err := os.Symlink(good, primary); err != nil {
		t.Fatal(err)
	}
	_, err = ParseName("DIR:" + dir)
	wantUnsafe(t, "link to a valid primary", err, primary, Symlink)

	// A FIFO is no primary, and opening it does not hang.
	os.Remove(primary)
	if err := syscall.Mkfifo(primary, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ParseName("DIR:" + dir); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("FIFO primary: %v, want 'not a regular file'", err)
	}

	if os.Geteuid() != 0 {
		return
	}
	os.Remove(primary)
	if err := os.WriteFile(primary, []byte("tkt\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	chown(t, primary, mallory)
	_, err = ParseName("DIR:" + dir)
	wantUnsafe(t, "another user's primary", err, primary, NotOwned)
}

// A collection directory that is a link is not followed either.
func TestCollectionDirLink(t *testing.T) {
	real := t.TempDir()
	link := filepath.Join(t.TempDir(), "link")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	for _, raw := range []string{"DIR:" + link, "DIR::" + filepath.Join(link, "tkt")} {
		_, err := ParseName(raw)
		wantUnsafe(t, raw, err, link, Symlink)
	}
}
