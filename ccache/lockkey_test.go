package ccache

import (
	"os"
	"path/filepath"
	"testing"
)

// TestLockKey covers what each spelling of a cache turns into as a lock
// key: the text form the daemon package is given, and the Name form the
// command line starts from (Name.LockKey, then LockKey).
func TestLockKey(t *testing.T) {
	dir := t.TempDir()
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(dir, filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	file := "FILE:" + filepath.Join(real, "cc")

	for _, tc := range []struct{ name, want string }{
		{"FILE:" + dir + "/cc", file},
		{dir + "/cc", file}, // bare path: FILE is the default type
		{dir + "//cc", file},
		{dir + "/x/../cc", file},
		{filepath.Join(dir, "link", "cc"), file}, // symlinked directory
		{"cc", file},                             // relative path
		{"FILE:cc", file},
		{"./link/cc", file},
		{dir + "/cc2", "FILE:" + filepath.Join(real, "cc2")},
		{"DIR:" + dir, "DIR:" + real},
		// Only the directory part is resolved, the last element is not.
		{"DIR:" + filepath.Join(dir, "link"), "DIR:" + filepath.Join(real, "link")},
		{"DIR:link", "DIR:" + filepath.Join(real, "link")},
		{"KEYRING:persistent:1000", "KEYRING:persistent:1000"},
		{"KEYRING:session:x:x", "KEYRING:session:x:x"},
		{"KCM:", "KCM:"},
		{"KCM:1000", "KCM:1000"},
		{"KCM:1000:abc", "KCM:1000:abc"},
	} {
		got, err := LockKey(tc.name)
		if err != nil {
			t.Errorf("LockKey(%q): %v", tc.name, err)
			continue
		}
		if got != tc.want {
			t.Errorf("LockKey(%q) = %q, want %q", tc.name, got, tc.want)
		}
		if again, err := LockKey(got); err != nil || again != got {
			t.Errorf("LockKey(%q) = %q, %v: a key must be its own key", got, again, err)
		}
	}
	if _, err := LockKey(""); err == nil {
		t.Error("empty cache name accepted")
	}

	// Parsed names: FILE and DIR lock on the cache file, so a DIR cache and
	// the FILE spelling of the same file share a lock; the other types lock
	// on their full name.
	for _, tc := range []struct{ raw, want string }{
		{"FILE:" + dir + "/cc", file},
		{dir + "/cc", file},
		{"cc", file},
		{"DIR:" + dir, "FILE:" + filepath.Join(real, "tkt")},
		{"DIR::" + dir + "/tktx", "FILE:" + filepath.Join(real, "tktx")},
		{"KEYRING:persistent:1000", "KEYRING:persistent:1000"},
		{"KCM:", "KCM:"},
		{"KCM:1000", "KCM:1000"},
	} {
		n, err := ParseName(tc.raw)
		if err != nil {
			t.Errorf("ParseName(%q): %v", tc.raw, err)
			continue
		}
		got, err := LockKey(n.LockKey())
		if err != nil || got != tc.want {
			t.Errorf("%q: LockKey(%q) = %q, %v; want %q", tc.raw, n.LockKey(), got, err, tc.want)
		}
	}
}
